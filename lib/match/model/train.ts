import { comparisonOf, fold } from './comparisons.js';
import { expectationMaximisation, levelShares, randomPairs, startingM } from './estimate.js';
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
  const unknown = sessionFields.find((name) => !fields.some((f) => f.field === name));
  if (unknown !== undefined)
    throw new Error(`Training session on "${unknown}", which is not a compared field; use one of ${fields.map((f) => f.field).join(', ')}.`);
  const levelCounts = fields.map((f) => comparisonOf(f.type).levels.length);
  const u = levelShares(
    mapPairs(randomPairs(records.length, options.random_pairs ?? 200_000, options.seed ?? 1), (i, j) => comparePair(fields, records[i]!, records[j]!)),
    levelCounts,
  );
  const estimates = fields.map(() => ({ m: [] as number[][], weight: [] as number[] }));
  const sessions: SessionSummary[] = [];
  let matchesFound = 0;
  let matchesCaught = 0;
  const sessionMatches: { field: number; matches: number }[] = [];
  for (const name of sessionFields) {
    const index = fields.findIndex((f) => f.field === name);
    const patterns = [...blockPairs(records, name, options.max_block_size ?? 500)].map(([i, j]) => comparePair(fields, records[i]!, records[j]!));
    if (patterns.length < MIN_SESSION_PAIRS) continue;
    const em = expectationMaximisation(patterns, u, { exclude: [index], m: startingM(levelCounts) });
    sessions.push({ field: name, pairs: patterns.length, prior: em.prior, iterations: em.iterations });
    const matches = em.prior * patterns.length;
    sessionMatches.push({ field: index, matches });
    fields.forEach((_, f) => {
      if (f === index) return;
      estimates[f]!.m.push(em.m[f]!);
      estimates[f]!.weight.push(matches);
    });
  }
  const m = estimates.map((e, f) => (e.m.length ? weightedMean(e.m, e.weight) : startingM([levelCounts[f]!])[0]!));
  // Matches a session found, over the share of all matches that agree exactly on its field.
  for (const { field, matches } of sessionMatches) {
    matchesFound += matches / Math.max(m[field]![0]!, 1e-3);
    matchesCaught++;
  }
  const allPairs = (records.length * (records.length - 1)) / 2;
  const prior = Math.min(Math.max(matchesCaught ? matchesFound / matchesCaught / allPairs : 1 / Math.max(allPairs, 1), 1e-12), 0.5);
  const models: FieldModel[] = fields.map((spec, f) => ({
    ...spec,
    levels: comparisonOf(spec.type).levels,
    m: m[f]!,
    u: u[f]!,
    ...(usesTermFrequency(spec)
      ? {
          tf: termFrequencies(
            records.map((r) => r[spec.field]),
            spec.type,
          ),
        }
      : {}),
  }));
  return { model: { prior, fields: models }, sessions };
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
