import levenshtein from 'fast-levenshtein';
import { jaroWinkler } from './jaro-winkler.js';
import { areNicknames, expandCompounds } from './nicknames.js';

/**
 * How two person names are compared, in one place: how alike they are (the name's part of the
 * fuzzy score) and whether they can be one person at all (which rules a fuzzy pair out, and keeps
 * apart two people who share an email or a phone). Names come as their match keys (`nameKey`:
 * folded to lower-case ASCII, tokens sorted and joined by one space), so case, accents and the
 * order of the words are settled before; names are compared word by word, never as one string,
 * since the sorted order of `pierre pnea` and `pena pierre` says nothing about the person.
 */

/**
 * How alike two name keys are, in [0, 1]: each word is paired with its most alike word of the
 * other name (Jaro-Winkler, a nickname, an initial), in any order, each pair counting as much as
 * its longer word; a word left without a pair (a middle name only one side has) counts against.
 */
export function nameSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  const [tokensA, tokensB] = [a.split(' '), b.split(' ')];
  const [x, y] = expandCompounds(tokensA, tokensB);
  // `jf` written out as `jean francois` is a nickname, not the name itself.
  const scale = x === tokensA && y === tokensB ? 1 : NICKNAME_SIMILARITY;
  // Past a few words a "name" is free text: the pairing below would cost more than it tells.
  if (x.length > MAX_WORDS || y.length > MAX_WORDS) return 1 - levenshtein.get(a, b) / Math.max(a.length, b.length);
  const similarity = SIMILARITIES;
  for (let i = 0; i < x.length; i++) for (let j = 0; j < y.length; j++) similarity[i * MAX_WORDS + j] = wordSimilarity(x[i]!, y[j]!);
  // Greedy pairing, most alike first (ties to the earlier words): names have two or three words.
  let score = 0;
  let total = 0;
  let unpaired = 0;
  for (const word of x) unpaired += word.length;
  for (const word of y) unpaired += word.length;
  for (let pairs = Math.min(x.length, y.length); pairs > 0; pairs--) {
    let best = 0;
    let at = -1;
    for (let i = 0; i < x.length; i++) {
      for (let j = 0; j < y.length; j++) {
        if (similarity[i * MAX_WORDS + j]! <= best) continue;
        best = similarity[i * MAX_WORDS + j]!;
        at = i * MAX_WORDS + j;
      }
    }
    if (at < 0) break;
    const i = Math.floor(at / MAX_WORDS);
    const j = at % MAX_WORDS;
    for (let k = 0; k < MAX_WORDS; k++) similarity[i * MAX_WORDS + k] = similarity[k * MAX_WORDS + j] = 0;
    const weight = 2 * Math.max(x[i]!.length, y[j]!.length);
    score += best * weight;
    total += weight;
    unpaired -= x[i]!.length + y[j]!.length;
  }
  total += unpaired * UNPAIRED_WEIGHT;
  return total ? (scale * score) / total : 0;
}
const MAX_WORDS = 8;
/** The word pairs' similarities, reused: this runs for every pair of leads the fuzzy comparison scores. */
const SIMILARITIES = new Float64Array(MAX_WORDS * MAX_WORDS);

/** The similarity of two words of names: a nickname is nearly the name, an initial says little. */
function wordSimilarity(x: string, y: string): number {
  if (x === y) return 1;
  if (isInitialOf(x, y)) return INITIAL_SIMILARITY;
  if (areNicknames(x, y)) return NICKNAME_SIMILARITY;
  // Jaro-Winkler finds no match for a letter dropped from a two-letter word (`aa`/`ama`), and
  // counts a letter changed beside a repeated one as transpositions (`tanaka`/`tnnaka` 0.78).
  if (droppedLetter(x, y) || changedLetter(x, y)) return 1 - 1 / Math.max(x.length, y.length);
  const similarity = jaroWinkler(x, y);
  return similarity > UNRELATED_WORDS ? (similarity - UNRELATED_WORDS) / (1 - UNRELATED_WORDS) : 0;
}

/**
 * Jaro-Winkler gives two unrelated words 0.5 to 0.7 (`khan`/`kumar` 0.67): below this, words are
 * not alike at all, and the scale above it is stretched to [0, 1] (Winkler's own boost starts at
 * this value), so two different surnames do not look like a near miss.
 */
const UNRELATED_WORDS = 0.7;
/** A word one name has and the other lacks weighs this much per letter (a pair weighs 2). */
const UNPAIRED_WEIGHT = 1;
/** `j` for `john`: the same first letter, and nothing known of the rest. */
const INITIAL_SIMILARITY = 0.4;
const NICKNAME_SIMILARITY = 0.9;

/**
 * True when two name keys can be one person: every word of the shorter name has a close word in
 * the other (a typo, a dropped letter, two letters swapped), is an initial of one, or is one of
 * its nicknames. `Jhn Lapointe` = `John Lapointe`, `J Smith` = `John Smith`, `Bob Smith` =
 * `Robert Smith`, `JF Roy` = `Jean-François Roy`; `Anthony Khan` ≠ `Anthony Kumar`, `Mary Carter` ≠
 * `Mélanie Carter`. Stricter than `nameSimilarity`, on edit distance rather than Jaro-Winkler,
 * which calls `michael`/`michelle`, `nadia`/`nadine` and `ella`/`ellen` close: two people sharing
 * an email or a phone must stay apart.
 */
export function namesAgree(a: string, b: string): boolean {
  if (a === b) return true;
  let [short, long] = expandCompounds(a.split(' '), b.split(' '));
  if (short.length > long.length) [short, long] = [long, short];
  const covered = (from: string[], to: string[]): boolean => from.every((token) => to.some((other) => wordsAgree(token, other)));
  // With as many words on each side, neither name is the shorter: both must be covered, or the
  // answer would depend on the argument order (`Omer O Brien` would match `Zoe O Brien` through
  // the initial O, but not the other way round).
  return covered(short, long) && (short.length !== long.length || covered(long, short));
}

function wordsAgree(x: string, y: string): boolean {
  return (
    x === y ||
    isInitialOf(x, y) ||
    swapped(x, y) ||
    droppedLetter(x, y) ||
    1 - levenshtein.get(x, y) / Math.max(x.length, y.length) >= NAME_TOKEN_AGREEMENT ||
    areNicknames(x, y)
  );
}

/** Two name tokens this similar are one name with a typo (`lapointe`/`lapionte` 0.75, `jhn`/`john` 0.75). */
const NAME_TOKEN_AGREEMENT = 0.7;

function isInitialOf(x: string, y: string): boolean {
  return (x.length === 1 && y.startsWith(x)) || (y.length === 1 && x.startsWith(y));
}

/** True when b is a with two adjacent letters swapped (`jacbo`/`jacob`: a typo Levenshtein counts twice). */
function swapped(a: string, b: string): boolean {
  if (a.length !== b.length || a.length < 2) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i < a.length - 1 && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
}

/**
 * True when two words of at least CHANGED_LETTER_LENGTH letters differ in one letter after the
 * first (`tanaka`/`tnnaka`, `paquette`/`pequette`): a typo. In shorter words one letter is another
 * name (`mark`/`mary`, `jon`/`jan`), and a different first letter is one too (`kim`/`tim`).
 */
function changedLetter(x: string, y: string): boolean {
  if (x.length !== y.length || x.length < CHANGED_LETTER_LENGTH || x[0] !== y[0]) return false;
  let differences = 0;
  for (let i = 1; i < x.length && differences < 2; i++) if (x[i] !== y[i]) differences++;
  return differences === 1;
}
const CHANGED_LETTER_LENGTH = 5;

/**
 * True when the shorter word is the longer with one letter left out after the first (`aa`/`ama`,
 * `jo`/`joe`): in a short name one dropped letter is a third of it, past the ratio above. The first
 * letter must stay: `ed`/`ted` and `kim`/`tim` are other names.
 */
function droppedLetter(x: string, y: string): boolean {
  const short = x.length < y.length ? x : y;
  const long = short === x ? y : x;
  if (short.length < 2 || long.length !== short.length + 1 || short[0] !== long[0]) return false;
  let i = 1;
  while (i < short.length && short[i] === long[i]) i++;
  return short.slice(i) === long.slice(i + 1);
}
