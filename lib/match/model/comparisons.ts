import levenshtein from 'fast-levenshtein';
import { jaroWinkler } from '../jaro-winkler.js';

/**
 * Comparison levels per kind of value: how two values of one field agree, from the closest level
 * (0, always "exact") to "different" (the last). A learned model gives each level of each field
 * its own match weight, so the levels only need to order closeness, not to be calibrated.
 * Values come as match keys or plain text; each type folds case and spacing itself.
 */

/** The kinds of value a field can be compared as. */
export const COMPARISON_TYPES = ['exact', 'name', 'text', 'address', 'date', 'phone', 'email', 'url'] as const;
export type ComparisonType = (typeof COMPARISON_TYPES)[number];

/** How one type compares two present values. */
export interface Comparison {
  /** The level names, closest first; the last is "different". */
  readonly levels: readonly string[];
  /** The level of two present values (an index into `levels`). */
  level(a: string, b: string): number;
}

/** Folds case and runs of spacing, so `Ada  Lovelace` and `ada lovelace` are one value. */
export function fold(value: string): string {
  return value.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** 1 less the edit distance over the longer length. */
function ratio(a: string, b: string): number {
  return 1 - levenshtein.get(a, b) / Math.max(a.length, b.length, 1);
}

/** The first index whose bound the similarity reaches, else the last level. */
function byBounds(similarity: number, bounds: readonly number[]): number {
  const index = bounds.findIndex((bound) => similarity >= bound);
  return index < 0 ? bounds.length : index;
}

/** Each token of the shorter list matched to its closest token of the other: the mean similarity. */
function tokenAlignment(a: string[], b: string[], similarity: (x: string, y: string) => number): number {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  if (!short.length) return 0;
  let sum = 0;
  for (const token of short) {
    // An equal token is the best there is: the (costly) similarities of the others are not needed.
    if (long.includes(token)) {
      sum += 1;
      continue;
    }
    let best = 0;
    for (const other of long) best = Math.max(best, similarity(token, other));
    sum += best;
  }
  // Tokens the longer value has beyond the shorter one's count against it, by half.
  return sum / (short.length + (long.length - short.length) / 2);
}

const exact: Comparison = { levels: ['exact', 'different'], level: (a, b) => (fold(a) === fold(b) ? 0 : 1) };

/** True when b is a with one character changed, added, dropped, or two adjacent ones swapped. */
function oneEditOff(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  if (levenshtein.get(a, b) <= 1) return true;
  if (a.length !== b.length) return false;
  let i = 0;
  while (a[i] === b[i]) i++;
  return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
}

/** True when every token of the shorter name is in the longer one (`wilde` / `sebastian wilde`). */
function tokensContained(a: string[], b: string[]): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return short.length < long.length && short.every((token) => long.includes(token));
}

const digits = (value: string): string => value.replace(/\D/g, '');

const COMPARISONS: Record<ComparisonType, Comparison> = {
  // An identifier keyed in by hand: a typed-in digit too many, too few or swapped is still likely it.
  exact: {
    levels: ['exact', 'one character off', 'different'],
    level(a, b) {
      const [x, y] = [fold(a), fold(b)];
      return x === y ? 0 : oneEditOff(x, y) ? 1 : 2;
    },
  },
  name: {
    levels: ['exact', 'same tokens', 'part of the other', 'close', 'somewhat close', 'different'],
    level(a, b) {
      const [x, y] = [fold(a), fold(b)];
      if (x === y) return 0;
      const [tx, ty] = [x.split(' '), y.split(' ')];
      if ([...tx].sort().join(' ') === [...ty].sort().join(' ')) return 1;
      if (tokensContained(tx, ty)) return 2;
      return 3 + byBounds(tokenAlignment(tx, ty, jaroWinkler), [0.92, 0.8]);
    },
  },
  text: {
    levels: ['exact', 'close', 'somewhat close', 'different'],
    level: (a, b) => (fold(a) === fold(b) ? 0 : 1 + byBounds(ratio(fold(a), fold(b)), [0.85, 0.65])),
  },
  address: {
    levels: ['exact', 'close', 'somewhat close', 'partly the same', 'different'],
    level(a, b) {
      const [x, y] = [fold(a), fold(b)];
      if (x === y) return 0;
      return 1 + byBounds(tokenAlignment(x.split(' '), y.split(' '), ratio), [0.85, 0.65, 0.45]);
    },
  },
  date: {
    levels: ['exact', 'one digit off', 'close', 'different'],
    level(a, b) {
      const [x, y] = [digits(a), digits(b)];
      if (x === y) return 0;
      const distance = levenshtein.get(x, y);
      return distance <= 1 ? 1 : distance <= 2 ? 2 : 3;
    },
  },
  phone: {
    levels: ['exact', 'same last 7 digits', 'different'],
    level(a, b) {
      const [x, y] = [digits(a), digits(b)];
      if (x === y) return 0;
      return x.length >= 7 && x.slice(-7) === y.slice(-7) ? 1 : 2;
    },
  },
  email: exact,
  url: exact,
};

/** The comparison of a type; throws, naming the known types, on an unknown one. */
export function comparisonOf(type: string): Comparison {
  const comparison = COMPARISONS[type as ComparisonType];
  if (!comparison) throw new Error(`Unknown comparison type "${type}"; use one of ${COMPARISON_TYPES.join(', ')}.`);
  return comparison;
}
