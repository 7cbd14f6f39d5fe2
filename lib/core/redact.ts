/**
 * Secret redaction for logs, errors and reports. Two nets: values under keys that name a secret
 * (token, key, secret, password, authorization…), and strings that look like one wherever they
 * appear (Airtable personal access tokens, bearer headers, `key=value` pairs in URLs and messages),
 * plus the exact values of secret-bearing environment variables.
 */

const SECRET_KEY = /(token|secret|passw(or)?d|api[_-]?key|authorization|auth|encryption[_-]?key|private[_-]?key|credential)/i;

const PATTERNS: RegExp[] = [
  /\bpat[A-Za-z0-9]{14}\.[A-Za-z0-9]{20,}\b/g, // Airtable personal access token
  /\bkey[A-Za-z0-9]{14}\b/g, // legacy Airtable API key
  /\bBearer\s+[A-Za-z0-9._~+/=-]+/gi,
  /\b((?:[a-z_]*(?:token|secret|password|passwd|api_?key|apikey|key))\s*[=:]\s*)("?)[^\s"&,;]+\2/gi,
];

const MASK = '[REDACTED]';

/** Values of environment variables whose names say they hold a secret, longest first. */
function secretEnvValues(): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(process.env)) {
    if (value && value.length >= 6 && SECRET_KEY.test(name)) values.push(value);
  }
  return values.sort((a, b) => b.length - a.length);
}

/** Masks anything in `text` that looks like a secret. */
export function redactText(text: string): string {
  let out = text;
  for (const value of secretEnvValues()) out = out.split(value).join(MASK);
  for (const pattern of PATTERNS) {
    out = out.replace(pattern, (match, prefix?: string) =>
      typeof prefix === 'string' && match.startsWith(prefix) && pattern.source.includes('\\s*[=:]') ? `${prefix}${MASK}` : MASK,
    );
  }
  return out;
}

/** Returns a copy of `value` with secrets masked: strings scanned, secret-named keys blanked. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value instanceof Error) {
    const copy = new Error(redactText(value.message));
    copy.name = value.name;
    copy.stack = value.stack ? redactText(value.stack) : undefined;
    return copy;
  }
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  // Built from entries, so a field named `__proto__` stays a field of the copy instead of setting its prototype.
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      SECRET_KEY.test(key) && v !== undefined && v !== null && v !== '' && typeof v !== 'object' ? MASK : redact(v, depth + 1),
    ]),
  );
}
