/**
 * Estimating a Fellegi–Sunter model without labels: u probabilities (how often two records of
 * different people agree at each level) from random pairs, where matches are too rare to matter;
 * m probabilities (the same for two records of one person) and the share of matches by
 * expectation maximisation over candidate pairs, u held fixed (as Splink does). Pure functions
 * over comparison patterns: one level per field, MISSING where either value is absent.
 */

import { seededRandom } from '../../core/random.js';

/** A pattern's slot when either record lacks the field: it takes no part in the pair's weight. */
export const MISSING = -1;

/** Identical patterns counted once: EM's cost grows with distinct patterns, not pairs. */
export type PatternCounts = Map<string, { pattern: number[]; count: number }>;

/** Counts `patterns` into `counts` (a new map by default). */
export function countPatterns(patterns: Iterable<readonly number[]>, counts: PatternCounts = new Map()): PatternCounts {
  for (const pattern of patterns) addPattern(counts, pattern);
  return counts;
}

/** Counts one pattern. */
export function addPattern(counts: PatternCounts, pattern: readonly number[], times = 1): void {
  const key = pattern.join(',');
  const entry = counts.get(key);
  if (entry) entry.count += times;
  else counts.set(key, { pattern: [...pattern], count: times });
}

/** The distinct patterns in the order of their keys: sums over them then do not depend on the order pairs were met in. */
function sortedPatterns(counts: PatternCounts): { pattern: number[]; count: number }[] {
  return [...counts.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, entry]) => entry);
}

/**
 * The share of each level per field among the pairs (random pairs: the u probabilities). A level
 * no pair reached gets half a pair's share, so its weight stays finite.
 */
export function levelShares(patterns: Iterable<readonly number[]> | PatternCounts, levelCounts: readonly number[]): number[][] {
  const counts = levelCounts.map((n) => new Array<number>(n).fill(0));
  const counted = patterns instanceof Map ? patterns.values() : mapIterable(patterns, (pattern) => ({ pattern, count: 1 }));
  for (const { pattern, count } of counted) {
    pattern.forEach((level, field) => {
      if (level !== MISSING) counts[field]![level]! += count;
    });
  }
  return counts.map((levels) => {
    const total = levels.reduce((s, n) => s + n, 0);
    return levels.map((n) => (n + 0.5) / (total + 0.5 * levels.length));
  });
}

function* mapIterable<T, R>(items: Iterable<T>, map: (item: T) => R): Generator<R> {
  for (const item of items) yield map(item);
}

/**
 * Per field, the fields that agree with it among pairs that are not one person: two fields that
 * say the same thing (a company and its website). Among random pairs, those agreeing exactly on f
 * wholly different on some third field and the same on none are taken as two people; g is tied to f when most pairs
 * agreeing on f (and having g) are such, and at least half of them agree exactly on g too. An EM session blocked on f leaves out the
 * fields tied to f, whose agreement there comes with the blocking as much as f's own.
 * `lastLevels`: each field's last level ("different").
 */
export function tiedFields(patterns: PatternCounts, lastLevels: readonly number[]): number[][] {
  const fields = lastLevels.length;
  const both = Array.from({ length: fields }, () => new Array<number>(fields).fill(0));
  const present = Array.from({ length: fields }, () => new Array<number>(fields).fill(0));
  const agreeing = Array.from({ length: fields }, () => new Array<number>(fields).fill(0));
  for (const { pattern, count } of patterns.values()) {
    pattern.forEach((level, f) => {
      if (level !== 0) return;
      pattern.forEach((other, g) => {
        if (g === f || other === MISSING) return;
        agreeing[f]![g]! += count;
        if (!twoPeople(pattern, f, g, lastLevels)) return;
        present[f]![g]! += count;
        if (other === 0) both[f]![g]! += count;
      });
    });
  }
  // Tied: most pairs agreeing on f are two people, and most of those agree on g.
  const tied = (f: number, g: number): boolean =>
    present[f]![g]! >= MIN_TIE_PAIRS && present[f]![g]! >= agreeing[f]![g]! / 2 && both[f]![g]! >= present[f]![g]! / 2;
  return both.map((row, f) => row.flatMap((_, g) => (tied(f, g) ? [g] : [])));
}
/** Whether a pair agreeing on f is two people by its other fields than f and g: one wholly different, none the same. */
function twoPeople(pattern: readonly number[], f: number, g: number, lastLevels: readonly number[]): boolean {
  let different = false;
  for (let h = 0; h < pattern.length; h++) {
    if (h === f || h === g) continue;
    if (pattern[h] === 0) return false;
    if (pattern[h] === lastLevels[h]) different = true;
  }
  return different;
}

/** Fewer pairs than this agreeing on a field say nothing about what agrees with it. */
const MIN_TIE_PAIRS = 5;

export interface EmOptions {
  /** The share of matches among the pairs to start from. */
  prior?: number;
  /** The m probabilities to start from (per field, per level); by default most weight on the closest levels. */
  m?: number[][];
  /** Fields left out of this estimation (e.g. the one the pairs were blocked on): their m stays as given. */
  exclude?: readonly number[];
  iterations?: number;
  /** Stop once no probability moves by more than this. */
  tolerance?: number;
}

export interface EmResult {
  m: number[][];
  /** The share of matches among the pairs. */
  prior: number;
  iterations: number;
}

/** A starting m: each level half as likely as the one closer than it, so EM starts on the side of agreement. */
export function startingM(levelCounts: readonly number[]): number[][] {
  return levelCounts.map((n) => {
    const raw = Array.from({ length: n }, (_, level) => 2 ** -(2 * level));
    const total = raw.reduce((s, v) => s + v, 0);
    return raw.map((v) => v / total);
  });
}

/**
 * Expectation maximisation of m and the prior over candidate pairs (or their counted patterns), u
 * fixed. Deterministic: the distinct patterns are visited in a fixed order, whatever the pairs' order.
 */
export function expectationMaximisation(patterns: Iterable<readonly number[]> | PatternCounts, u: number[][], options: EmOptions = {}): EmResult {
  const distinct = sortedPatterns(patterns instanceof Map ? patterns : countPatterns(patterns));
  const excluded = new Set(options.exclude ?? []);
  const m = (options.m ?? startingM(u.map((levels) => levels.length))).map((levels) => [...levels]);
  let prior = options.prior ?? 0.1;
  const maxIterations = options.iterations ?? 100;
  const tolerance = options.tolerance ?? 1e-6;
  let iteration = 0;
  while (iteration < maxIterations) {
    iteration++;
    const sums = m.map((levels) => new Array<number>(levels.length).fill(0));
    let matches = 0;
    let total = 0;
    for (const { pattern, count } of distinct) {
      let pm = prior;
      let pu = 1 - prior;
      pattern.forEach((level, field) => {
        if (level === MISSING || excluded.has(field)) return;
        pm *= m[field]![level]!;
        pu *= u[field]![level]!;
      });
      const posterior = pm / (pm + pu);
      matches += posterior * count;
      total += count;
      pattern.forEach((level, field) => {
        if (level !== MISSING && !excluded.has(field)) sums[field]![level]! += posterior * count;
      });
    }
    let moved = Math.abs(matches / total - prior);
    prior = matches / total;
    sums.forEach((levels, field) => {
      if (excluded.has(field)) return;
      const present = levels.reduce((s, v) => s + v, 0);
      if (present <= 0) return;
      levels.forEach((v, level) => {
        // A floor keeps an unseen level's weight finite and lets later iterations revive it.
        const next = Math.max(v / present, 1e-6);
        moved = Math.max(moved, Math.abs(next - m[field]![level]!));
        m[field]![level] = next;
      });
    });
    if (moved < tolerance) break;
  }
  return { m, prior, iterations: iteration };
}

/** `count` random pairs of distinct indexes below `n` (fewer when n is small: every pair). */
export function* randomPairs(n: number, count: number, seed: number): Generator<[number, number]> {
  if ((n * (n - 1)) / 2 <= count) {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) yield [i, j];
    return;
  }
  const random = seededRandom(seed);
  for (let k = 0; k < count; k++) {
    const i = Math.floor(random() * n);
    let j = Math.floor(random() * (n - 1));
    if (j >= i) j++;
    yield [i, j];
  }
}
