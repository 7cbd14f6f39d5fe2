/**
 * Jaro-Winkler similarity (Winkler 1990, as in the U.S. Census record-linkage tools): made for
 * short strings such as names, where one edit is a large share of the length and the edit
 * distance says too little (`dwayne`/`duane` 0.84 where the Levenshtein ratio is 0.67). Letters
 * count as matching within a window of half the longer length, transpositions cost half, and a
 * shared prefix (up to 4 letters) raises the score, since typos are rarer at the start of a name.
 */
export function jaroWinkler(a: string, b: string): number {
  if (a === b) return 1;
  const jaro = jaroSimilarity(a, b);
  let prefix = 0;
  while (prefix < MAX_PREFIX && prefix < a.length && a[prefix] === b[prefix]) prefix++;
  return jaro + prefix * PREFIX_SCALE * (1 - jaro);
}

const MAX_PREFIX = 4;
const PREFIX_SCALE = 0.1;

// Match flags, reused: this runs for every pair of name words the fuzzy comparison scores.
let takenA = new Uint8Array(64);
let takenB = new Uint8Array(64);

function jaroSimilarity(a: string, b: string): number {
  if (!a.length || !b.length) return 0;
  if (takenA.length < a.length || takenB.length < b.length) [takenA, takenB] = [new Uint8Array(2 * a.length), new Uint8Array(2 * b.length)];
  takenA.fill(0, 0, a.length);
  takenB.fill(0, 0, b.length);
  const window = Math.max(0, Math.floor(Math.max(a.length, b.length) / 2) - 1);
  let matches = 0;
  for (let i = 0; i < a.length; i++) {
    const end = Math.min(b.length, i + window + 1);
    for (let j = Math.max(0, i - window); j < end; j++) {
      if (takenB[j] || a.charCodeAt(i) !== b.charCodeAt(j)) continue;
      takenA[i] = takenB[j] = 1;
      matches++;
      break;
    }
  }
  if (!matches) return 0;
  let outOfOrder = 0;
  for (let i = 0, j = 0; i < a.length; i++) {
    if (!takenA[i]) continue;
    while (!takenB[j]) j++;
    if (a.charCodeAt(i) !== b.charCodeAt(j++)) outOfOrder++;
  }
  return (matches / a.length + matches / b.length + (matches - outOfOrder / 2) / matches) / 3;
}
