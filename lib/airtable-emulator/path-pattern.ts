/**
 * Fault paths: a decoded path prefix in which `*` stands for any run of characters and a final
 * `$` anchors the end. Matched with `startsWith`/`indexOf` only, so the time is linear in the
 * path and the pattern: a fault path, unlike a regular expression, cannot stall the server.
 */

/** A fault path longer than this is refused (real paths are far shorter). */
export const MAX_PATH_PATTERN_LENGTH = 2_048;

/** Compiles a fault path into a matcher; throws an Error that says how to write it on a bad one. */
export function compilePathPattern(pattern: string): (path: string) => boolean {
  if (typeof pattern !== 'string') throw new Error(`Fault path must be a string, not ${JSON.stringify(pattern)}.`);
  if (pattern.length > MAX_PATH_PATTERN_LENGTH) {
    throw new Error(`Fault path is ${pattern.length} characters long; the limit is ${MAX_PATH_PATTERN_LENGTH}.`);
  }
  if (pattern.startsWith('^')) {
    throw new Error(
      `Fault path "${pattern.slice(0, 80)}" starts with "^" like a regular expression; regular expressions are not accepted ` +
        '(one can stall the server). Give a path prefix such as "/v0/appXXXXXXXXXXXXXX/Leads", with * for any run of characters and a final $ to match the whole path.',
    );
  }
  const anchored = pattern.endsWith('$');
  const parts = (anchored ? pattern.slice(0, -1) : pattern).split('*');
  const first = parts[0]!;
  const last = parts.length - 1;
  return (path) => {
    if (!path.startsWith(first)) return false;
    let pos = first.length;
    for (let i = 1; i <= last; i++) {
      const part = parts[i]!;
      // The last part of an anchored pattern must end the path; any earlier part is taken at
      // its leftmost place, which leaves the most room for the parts after it.
      if (i === last && anchored) return path.length - part.length >= pos && path.endsWith(part);
      const at = path.indexOf(part, pos);
      if (at < 0) return false;
      pos = at + part.length;
    }
    return !anchored || pos === path.length;
  };
}
