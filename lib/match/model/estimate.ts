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
export function countPatterns(patterns: Iterable<readonly number[]>): Map<string, { pattern: number[]; count: number }> {
  const counts = new Map<string, { pattern: number[]; count: number }>();
  for (const pattern of patterns) {
    const key = pattern.join(',');
    const entry = counts.get(key);
    if (entry) entry.count++;
    else counts.set(key, { pattern: [...pattern], count: 1 });
  }
  return counts;
}

/**
 * The share of each level per field among the pairs (random pairs: the u probabilities). A level
 * no pair reached gets half a pair's share, so its weight stays finite.
 */
export function levelShares(patterns: Iterable<readonly number[]>, levelCounts: readonly number[]): number[][] {
  const counts = levelCounts.map((n) => new Array<number>(n).fill(0));
  for (const pattern of patterns) {
    pattern.forEach((level, field) => {
      if (level !== MISSING) counts[field]![level]!++;
    });
  }
  return counts.map((levels) => {
    const total = levels.reduce((s, n) => s + n, 0);
    return levels.map((n) => (n + 0.5) / (total + 0.5 * levels.length));
  });
}

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
 * Expectation maximisation of m and the prior over candidate pairs, u fixed. Deterministic: the
 * patterns are visited in the order given.
 */
export function expectationMaximisation(patterns: Iterable<readonly number[]>, u: number[][], options: EmOptions = {}): EmResult {
  const distinct = [...countPatterns(patterns).values()];
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
