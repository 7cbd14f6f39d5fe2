/**
 * What every canonicalizer returns: the standardized value when it could make one, the names of
 * the steps that changed something (for the audit log), and the problems found. When `value` is
 * undefined the input could not be standardized and must be kept as it was.
 */
export interface Canonical<T = string> {
  value?: T;
  /** Steps that changed the value, e.g. `trim`, `lowercase`, `www_domain`. Empty when unchanged. */
  steps: string[];
  /** Problems found, as codes (`invalid_email`, `placeholder_email_domain`, …). */
  problems: Problem[];
}

/** One problem with a value: a machine-readable code and a sentence saying how to fix it. */
export interface Problem {
  code: string;
  message: string;
}

/** True for null, undefined and strings that are empty once trimmed. */
export function isEmpty(value: unknown): boolean {
  return value === null || value === undefined || (typeof value === 'string' && value.trim() === '');
}

/** A short, safe rendering of a value for messages (long values are cut). */
export function show(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const cut = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return typeof value === 'string' ? JSON.stringify(cut) : cut;
}

/** The problem for a value of the wrong JSON type (a number or object where text is expected). */
export function wrongType(field: string, value: unknown): Problem {
  const type = Array.isArray(value) ? 'a list' : value === null ? 'null' : `a ${typeof value}`;
  return { code: 'wrong_type', message: `${field} must be text, not ${type} (${show(value)}); it was kept as it is. Fix the source or export it as a string.` };
}
