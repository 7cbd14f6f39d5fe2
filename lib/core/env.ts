/**
 * `${VAR}` and `${VAR:-default}` in YAML string values; a default may itself hold `${OTHER}`
 * (`${LEADS_DB:-${LEADS_DATA_DIR}/leads.db}`). An unset variable with no default is a
 * configuration error; `$${` escapes a literal `${`.
 */

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-((?:[^}$]|\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$(?!\{))*))?\}/g;

/** The result of substituting: the new text, or the names that were unset and had no default. */
export interface Substitution {
  value: string;
  missing: string[];
}

/** Replaces every `${VAR}` reference in `text` from `env`. */
export function substituteEnv(text: string, env: NodeJS.ProcessEnv = process.env): Substitution {
  const missing: string[] = [];
  const value = text.replace(REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    const set = env[name!];
    if (set !== undefined && set !== '') return set;
    if (fallback !== undefined) {
      const inner = substituteEnv(fallback, env);
      missing.push(...inner.missing);
      return inner.value;
    }
    missing.push(name!);
    return '';
  });
  return { value, missing };
}
