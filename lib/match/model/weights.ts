import { comparisonOf, fold, type ComparisonType } from './comparisons.js';
import { MISSING } from './estimate.js';

/**
 * A Fellegi–Sunter model and what it makes of a pair: each field's comparison level carries the
 * match weight log2(m / u); the weights add up with the prior's, and the total is the pair's match
 * probability in log-odds. On an exact agreement, u is the agreed value's own frequency (term
 * frequency adjustment), so a common name counts for less than a rare one.
 */

/** One field as the model compares it. */
export interface FieldSpec {
  field: string;
  type: ComparisonType;
  /** Weigh an exact agreement by the agreed value's frequency (by default for names and text). */
  term_frequency?: boolean;
}

/** A value's share of the records with the field; names by their tokens' shares, multiplied. */
export interface TermFrequencies {
  shares: Map<string, number>;
  /** The share of a value never seen: one record's. */
  floor: number;
  /** Whether values are split into tokens (names). */
  tokens: boolean;
}

export interface FieldModel extends FieldSpec {
  levels: readonly string[];
  m: number[];
  u: number[];
  tf?: TermFrequencies;
}

export interface MatchModel {
  /** The probability that two records drawn at random are one person. */
  prior: number;
  fields: FieldModel[];
  /**
   * Per field, the first field of its group of fields that say the same thing (a company and its
   * website: `tiedFields`); of a group's agreements only the strongest counts, so one fact is not
   * counted twice. By default each field is its own group.
   */
  groups?: number[];
}

/** Values of one record by field, as the model reads them (absent or empty: missing). */
export type FieldValues = Readonly<Record<string, string | undefined>>;

/** Whether a field's exact agreements are weighed by term frequency unless it says otherwise. */
export function usesTermFrequency(spec: FieldSpec): boolean {
  return spec.term_frequency ?? (spec.type === 'name' || spec.type === 'text');
}

/** The term frequencies of a field's values over a set of records. */
export function termFrequencies(values: Iterable<string | undefined>, type: ComparisonType): TermFrequencies {
  const tokens = type === 'name';
  const counts = new Map<string, number>();
  let records = 0;
  for (const value of values) {
    if (!value) continue;
    records++;
    const folded = fold(value);
    for (const term of new Set(tokens ? folded.split(' ') : [folded])) counts.set(term, (counts.get(term) ?? 0) + 1);
  }
  const shares = new Map<string, number>();
  for (const [term, count] of counts) shares.set(term, count / records);
  return { shares, floor: 1 / Math.max(records, 1), tokens };
}

/** The share of records that would agree exactly with a value, by chance. */
function chanceAgreement(tf: TermFrequencies, value: string): number {
  const terms = tf.tokens ? fold(value).split(' ') : [fold(value)];
  const share = terms.reduce((p, term) => p * (tf.shares.get(term) ?? tf.floor), 1);
  return Math.max(share, tf.floor * tf.floor);
}

/** The comparison level of each field for two records (MISSING where either lacks it). */
export function comparePair(fields: readonly FieldSpec[], a: FieldValues, b: FieldValues): number[] {
  return fields.map(({ field, type }) => {
    const [x, y] = [a[field], b[field]];
    return x && y ? comparisonOf(type).level(x, y) : MISSING;
  });
}

/** One step of a pair's waterfall: a field, its level and the weight it adds. */
export interface FieldWeight {
  field: string;
  level: string;
  /** log2(m / u), term frequency included; 0 when a value is missing. */
  weight: number;
  /** The part of the weight the agreed value's frequency changed (exact agreements only). */
  tf_adjustment?: number;
}

/** A pair's match-weight waterfall: prior, each field's weight, total and probability. */
export interface Waterfall {
  prior_weight: number;
  fields: FieldWeight[];
  total: number;
  probability: number;
}

/** The probability of a match from a total weight (log2 odds). */
export function probabilityOf(weight: number): number {
  return 1 / (1 + 2 ** -weight);
}

/** The waterfall of a pair. */
export function explainPair(model: MatchModel, a: FieldValues, b: FieldValues): Waterfall {
  const prior_weight = Math.log2(model.prior / (1 - model.prior));
  const { levels, weights, adjustments, counted } = fieldWeights(model, a, b);
  let total = prior_weight;
  const fields = model.fields.map((field, i): FieldWeight => {
    const level = levels[i]!;
    if (level === MISSING) return { field: field.field, level: 'missing', weight: 0 };
    const step: FieldWeight = { field: field.field, level: field.levels[level]!, weight: weights[i]! };
    if (adjustments[i] !== undefined) step.tf_adjustment = adjustments[i];
    if (counted[i] !== i) {
      step.level = `${step.level} (as ${model.fields[counted[i]!]!.field})`;
      step.weight = 0;
    }
    total += step.weight;
    return step;
  });
  return { prior_weight, fields, total, probability: probabilityOf(total) };
}

/** The match probability of a pair, in [0, 1]: the waterfall's total, without its text. */
export function matchProbability(model: MatchModel, a: FieldValues, b: FieldValues): number {
  const { weights, counted } = fieldWeights(model, a, b);
  let total = Math.log2(model.prior / (1 - model.prior));
  for (let i = 0; i < weights.length; i++) if (counted[i] === i) total += weights[i]!;
  return probabilityOf(total);
}

/**
 * Each field's level and weight for a pair (term frequency included), and which field's weight
 * counts for it: its own, or, for an agreement of a group of fields that say the same thing, the
 * group's strongest agreement.
 */
function fieldWeights(
  model: MatchModel,
  a: FieldValues,
  b: FieldValues,
): { levels: number[]; weights: number[]; adjustments: (number | undefined)[]; counted: number[] } {
  const n = model.fields.length;
  const levels = comparePair(model.fields, a, b);
  const weights = new Array<number>(n).fill(0);
  const adjustments = new Array<number | undefined>(n);
  const counted = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    const field = model.fields[i]!;
    const level = levels[i]!;
    if (level === MISSING) continue;
    weights[i] = Math.log2(field.m[level]! / field.u[level]!);
    if (level === 0 && field.tf) {
      const chance = Math.max(chanceAgreement(field.tf, a[field.field]!), chanceAgreement(field.tf, b[field.field]!));
      adjustments[i] = Math.log2(field.u[0]! / chance);
      weights[i]! += adjustments[i]!;
    }
  }
  const groups = model.groups;
  if (groups) {
    for (let i = 0; i < n; i++) {
      if (weights[i]! <= 0) continue;
      for (let j = 0; j < n; j++) {
        if (j === i || groups[j] !== groups[i] || weights[j]! <= 0) continue;
        // The stronger agreement counts for both; between equals, the earlier field.
        if (weights[j]! > weights[i]! || (weights[j] === weights[i] && j < i)) counted[i] = j;
      }
    }
  }
  return { levels, weights, adjustments, counted };
}

/** One row of a model's table of weights: a field's level, its m and u, and the weight it carries. */
export interface LevelWeight {
  field: string;
  level: string;
  m: number;
  u: number;
  /** log2(m / u), before any term frequency adjustment. */
  weight: number;
}

/** The estimated weights per field and level, in the model's order (for a report or a log). */
export function weightTable(model: MatchModel): LevelWeight[] {
  return model.fields.flatMap((f) => f.levels.map((level, i) => ({ field: f.field, level, m: f.m[i]!, u: f.u[i]!, weight: Math.log2(f.m[i]! / f.u[i]!) })));
}
