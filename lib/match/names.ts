import levenshtein from 'fast-levenshtein';

/**
 * How two person names are compared, in one place: how alike they are (the name's part of the
 * fuzzy score) and whether they can be one person at all (which rules a fuzzy pair out, and keeps
 * apart two people who share an email or a phone). Names come as their match keys (`nameKey`:
 * folded to lower-case ASCII, tokens joined by one space), so case and accents are settled before.
 */

/** How alike two name keys are, in [0, 1]: 1 less the edit distance over the longer length. */
export function nameSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  return 1 - levenshtein.get(a, b) / Math.max(a.length, b.length);
}

/**
 * True when two name keys can be one person: every token of the shorter name has a close token in
 * the other (a typo, a dropped letter) or is an initial of one. `Jhn Lapointe` = `John Lapointe`,
 * `J Smith` = `John Smith`; `Anthony Khan` ≠ `Anthony Kumar`, `Mary Carter` ≠ `Mélanie Carter`.
 */
export function namesAgree(a: string, b: string): boolean {
  if (a === b) return true;
  let [short, long] = [a.split(' '), b.split(' ')];
  if (short.length > long.length) [short, long] = [long, short];
  return short.every((token) =>
    long.some(
      (other) =>
        token === other ||
        (token.length === 1 && other.startsWith(token)) ||
        (other.length === 1 && token.startsWith(other)) ||
        swapped(token, other) ||
        nameSimilarity(token, other) >= NAME_TOKEN_AGREEMENT,
    ),
  );
}

/** True when b is a with two adjacent letters swapped (`jacbo`/`jacob`: a typo Levenshtein counts twice). */
function swapped(a: string, b: string): boolean {
  if (a.length !== b.length || a.length < 2) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i < a.length - 1 && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
}

/** Two name tokens this similar are one name with a typo (`lapointe`/`lapionte` 0.75, `jhn`/`john` 0.75). */
const NAME_TOKEN_AGREEMENT = 0.7;
