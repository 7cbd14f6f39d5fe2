import { comparisonOf, fold } from './comparisons.js';
import { countPatterns, expectationMaximisation, levelShares, randomPairs, startingM, tiedFields, type PatternCounts } from './estimate.js';
import { comparePair, termFrequencies, usesTermFrequency, type FieldModel, type FieldSpec, type FieldValues, type MatchModel } from './weights.js';

/**
 * Training a model on unlabelled records, as Splink does: u from random pairs; then, per blocking
 * field, one EM session over the pairs that agree exactly on that field, in which the field itself
 * takes no part (its agreement is given, so it says nothing there). Each field's m is the mean of
 * the sessions that estimated it, weighed by the matches they found. The prior of a random pair
 * follows from each session's matches and the share of all matches its field's agreement catches.
 */

export interface TrainingOptions {
  /** Fields to block the EM sessions on, one session each (by default every field). */
  sessions?: readonly string[];
  /** Random pairs for u. */
  random_pairs?: number;
  /** Blocks of a session larger than this are left out: their pairs grow as the square. */
  max_block_size?: number;
  seed?: number;
}

/** What training found, beside the model: one line per session, for the report and the specs. */
export interface SessionSummary {
  field: string;
  pairs: number;
  /** The share of matches among the session's pairs. */
  prior: number;
  iterations: number;
  /** The fields left out of the session besides its own: they agree with it by more than chance (`tiedFields`). */
  left_out?: string[];
}

export interface TrainedModel {
  model: MatchModel;
  sessions: SessionSummary[];
}

/** A session with fewer pairs than this estimates nothing reliable and is skipped. */
const MIN_SESSION_PAIRS = 20;

/** Trains a model of `fields` on `records` (read once per session; kept by the caller). */
export function trainModel(records: readonly FieldValues[], fields: readonly FieldSpec[], options: TrainingOptions = {}): TrainedModel {
  const sessionFields = options.sessions ?? fields.map((f) => f.field);
  const sessions = new Map<string, PatternCounts>();
  for (const name of sessionFields) {
    if (!fields.some((f) => f.field === name)) continue;
    sessions.set(
      name,
      countPatterns([...blockPairs(records, name, options.max_block_size ?? 500)].map(([i, j]) => comparePair(fields, records[i]!, records[j]!))),
    );
  }
  return fitModel(fields, {
    sample: records,
    sessions,
    sessionFields,
    records: records.length,
    random_pairs: options.random_pairs,
    seed: options.seed,
  });
}

/** What a model is fitted from: a sample of records and the counted patterns of each session's pairs. */
export interface ModelEvidence {
  /** Records drawn at random (in an order that does not depend on the input's): u and term frequencies come from them. */
  sample: readonly FieldValues[];
  /** Per session field, the patterns of the pairs that agree exactly on it. */
  sessions: ReadonlyMap<string, PatternCounts>;
  /** The session fields asked for, in order (every one must be a compared field). */
  sessionFields?: readonly string[];
  /** How many records there are in all (the prior is per pair of them). */
  records: number;
  /** The share of all blocked pairs the sessions saw (1 when they saw every one): their matches are scaled up by it. */
  coverage?: number;
  random_pairs?: number;
  seed?: number;
}

/** Fits a model of `fields` to the evidence: u from random pairs of the sample, m and the prior by EM per session. */
export function fitModel(fields: readonly FieldSpec[], evidence: ModelEvidence): TrainedModel {
  const sessionFields = evidence.sessionFields ?? [...evidence.sessions.keys()];
  const unknown = sessionFields.find((name) => !fields.some((f) => f.field === name));
  if (unknown !== undefined)
    throw new Error(`Training session on "${unknown}", which is not a compared field; use one of ${fields.map((f) => f.field).join(', ')}.`);
  const { sample } = evidence;
  const levelCounts = fields.map((f) => comparisonOf(f.type).levels.length);
  const random = countPatterns(
    mapPairs(randomPairs(sample.length, evidence.random_pairs ?? 200_000, evidence.seed ?? 1), (i, j) => comparePair(fields, sample[i]!, sample[j]!)),
  );
  const u = levelShares(random, levelCounts);
  const tied = tiedFields(
    random,
    levelCounts.map((n) => n - 1),
  );
  const estimates = fields.map(() => ({ m: [] as number[][], weight: [] as number[] }));
  const sessions: SessionSummary[] = [];
  const sessionMatches: { field: number; matches: number }[] = [];
  for (const name of sessionFields) {
    const index = fields.findIndex((f) => f.field === name);
    const patterns = evidence.sessions.get(name);
    const pairs = patterns ? [...patterns.values()].reduce((s, p) => s + p.count, 0) : 0;
    if (!patterns || pairs < MIN_SESSION_PAIRS) continue;
    const exclude = [index, ...tied[index]!];
    const em = expectationMaximisation(patterns, u, { exclude, m: startingM(levelCounts) });
    sessions.push({
      field: name,
      pairs,
      prior: em.prior,
      iterations: em.iterations,
      ...(tied[index]!.length ? { left_out: tied[index]!.map((f) => fields[f]!.field) } : {}),
    });
    const matches = em.prior * pairs;
    sessionMatches.push({ field: index, matches });
    fields.forEach((_, f) => {
      if (exclude.includes(f)) return;
      estimates[f]!.m.push(em.m[f]!);
      estimates[f]!.weight.push(matches);
    });
  }
  const m = estimates.map((e, f) => (e.m.length ? weightedMean(e.m, e.weight) : startingM([levelCounts[f]!])[0]!));
  const models: FieldModel[] = fields.map((spec, f) => ({
    ...spec,
    levels: comparisonOf(spec.type).levels,
    m: m[f]!,
    u: u[f]!,
    ...(usesTermFrequency(spec)
      ? {
          tf: termFrequencies(
            sample.map((r) => r[spec.field]),
            spec.type,
          ),
        }
      : {}),
  }));
  const model: MatchModel = { prior: priorOf(sessionMatches, m, evidence), fields: models };
  const groups = groupsOf(tied);
  if (groups.some((group, f) => group !== f)) model.groups = groups;
  return { model, sessions };
}

/** Each field's group (its first field) when tied fields are joined, either way round. */
function groupsOf(tied: readonly number[][]): number[] {
  const group = tied.map((_, f) => f);
  const find = (f: number): number => (group[f] === f ? f : (group[f] = find(group[f]!)));
  tied.forEach((others, f) => {
    for (const g of others) {
      const [x, y] = [find(f), find(g)];
      if (x !== y) group[Math.max(x, y)] = Math.min(x, y);
    }
  });
  return group.map((_, f) => find(f));
}

/**
 * The prior of a random pair: the matches each session found, over the share of all matches that
 * agree exactly on its field (and the share of pairs it saw), averaged over sessions, per pair.
 */
function priorOf(sessionMatches: readonly { field: number; matches: number }[], m: number[][], evidence: ModelEvidence): number {
  const coverage = Math.min(Math.max(evidence.coverage ?? 1, 1e-9), 1);
  let matchesFound = 0;
  for (const { field, matches } of sessionMatches) matchesFound += matches / coverage / Math.max(m[field]![0]!, 1e-3);
  const allPairs = (evidence.records * (evidence.records - 1)) / 2;
  const estimate = sessionMatches.length ? matchesFound / sessionMatches.length / allPairs : 1 / Math.max(allPairs, 1);
  return Math.min(Math.max(estimate, 1e-12), 0.5);
}

function* mapPairs<T>(pairs: Iterable<[number, number]>, map: (i: number, j: number) => T): Generator<T> {
  for (const [i, j] of pairs) yield map(i, j);
}

/** The pairs of records whose folded values of `field` are equal, block by block in first-seen order. */
function* blockPairs(records: readonly FieldValues[], field: string, maxBlock: number): Generator<[number, number]> {
  const blocks = new Map<string, number[]>();
  records.forEach((record, i) => {
    const value = record[field];
    if (!value) return;
    const key = fold(value);
    const block = blocks.get(key);
    if (block) block.push(i);
    else blocks.set(key, [i]);
  });
  for (const block of blocks.values()) {
    if (block.length > maxBlock) continue;
    for (let i = 0; i < block.length; i++) for (let j = i + 1; j < block.length; j++) yield [block[i]!, block[j]!];
  }
}

function weightedMean(vectors: number[][], weights: number[]): number[] {
  const total = weights.reduce((s, w) => s + w, 0) || 1;
  return vectors[0]!.map((_, level) => vectors.reduce((s, v, k) => s + v[level]! * weights[k]!, 0) / total);
}
