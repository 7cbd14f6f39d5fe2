import { explainPair, matchProbability, type MatchModel } from './model/index.js';
import { namesAgree } from './names.js';
import { contradicts, fieldSimilarity, scorePair, type FieldWeights, type Profile } from './similarity.js';

/**
 * The one door through which a fuzzy pair is scored: a profile pair in, a score in [0, 1] out,
 * and on request the reasons. The engine calls `score` only; which scoring stands behind it
 * (hand weights, or a model learned from the data) is the dedupe stage's choice.
 */
export interface PairScorer {
  /** The pair's score in [0, 1]; 0 when the pair cannot be one person. `threshold` lets a scorer stop early below it. */
  score(a: Profile, b: Profile, threshold?: number): number;
  /** Why the pair scores what it does. */
  explain(a: Profile, b: Profile): PairExplanation;
}

/** One field's part in a pair's score. */
export interface FieldPart {
  field: string;
  /** The comparison level (learned) or the similarity rounded to two places (weighted); `missing` when either lacks it. */
  level: string;
  /** The field's match weight (learned, log2 odds) or its weight × similarity (weighted). */
  weight: number;
}

export interface PairExplanation {
  scoring: 'weighted' | 'learned';
  /** The prior's weight (learned only): what a random pair starts from, in log2 odds. */
  prior_weight?: number;
  fields: FieldPart[];
  /** The sum of the weights (and the prior's). */
  total: number;
  score: number;
  /** Why a pair scores 0 whatever its fields, when it does. */
  ruled_out?: string;
}

const RULED_OUT = 'different LinkedIn profiles, work emails or names that cannot be one person';

/** Today's scoring: the weighted mean of field similarities (similarity.ts). */
export function weightedScorer(weights: FieldWeights): PairScorer {
  return {
    score: (a, b, threshold) => scorePair(a, b, weights, threshold),
    explain(a, b) {
      const fields = Object.keys(weights).map((field): FieldPart => {
        const [x, y] = [a.f[field], b.f[field]];
        if (x === undefined || y === undefined) return { field, level: 'missing', weight: 0 };
        const similarity = fieldSimilarity(field, x, y);
        return { field, level: similarity.toFixed(2), weight: (weights[field] ?? 0) * similarity };
      });
      const score = scorePair(a, b, weights);
      const explanation: PairExplanation = { scoring: 'weighted', fields, total: fields.reduce((s, f) => s + f.weight, 0), score };
      if (contradicts(a, b)) explanation.ruled_out = RULED_OUT;
      return explanation;
    },
  };
}

/** Two different LinkedIn profiles or work emails: two people, whatever else they share. */
function identifiersContradict(a: Profile, b: Profile): boolean {
  return (a.li !== undefined && b.li !== undefined && a.li !== b.li) || (a.em !== undefined && b.em !== undefined && a.em !== b.em);
}

/**
 * Two names that cannot be one person on one contact point (an email or phone both hold): a
 * shared mailbox or switchboard, not a shared person, as exact keys judge it too.
 */
function sharedContactPoint(model: MatchModel, a: Profile, b: Profile): boolean {
  const [na, nb] = [a.f.name, b.f.name];
  if (na === undefined || nb === undefined) return false;
  const shared = model.fields.some(({ field, type }) => (type === 'email' || type === 'phone') && a.f[field] !== undefined && a.f[field] === b.f[field]);
  return shared && !namesAgree(na, nb);
}

const ruledOut = (model: MatchModel, a: Profile, b: Profile): boolean => identifiersContradict(a, b) || sharedContactPoint(model, a, b);

/**
 * Scoring by a learned model: the pair's match probability. Contradicting identifiers still rule
 * a pair out, as they do under hand weights, and so do names that cannot be one person on a shared
 * email or phone; otherwise how far apart two names are is the model's to weigh.
 */
export function learnedScorer(model: MatchModel): PairScorer {
  return {
    score: (a, b) => (ruledOut(model, a, b) ? 0 : matchProbability(model, a.f, b.f)),
    explain(a, b) {
      const waterfall = explainPair(model, a.f, b.f);
      const explanation: PairExplanation = {
        scoring: 'learned',
        prior_weight: waterfall.prior_weight,
        fields: waterfall.fields.map(({ field, level, weight }) => ({ field, level, weight })),
        total: waterfall.total,
        score: waterfall.probability,
      };
      if (ruledOut(model, a, b)) {
        explanation.ruled_out = identifiersContradict(a, b)
          ? 'different LinkedIn profiles or work emails'
          : 'names that cannot be one person on a shared email or phone';
        explanation.score = 0;
      }
      return explanation;
    },
  };
}

/** Signed, two decimals: the waterfall's steps read as what they add. */
const signed = (x: number): string => (x >= 0 ? `+${x.toFixed(2)}` : x.toFixed(2));

/**
 * A pair's explanation as lines of text: for a learned score, the match-weight waterfall (the
 * prior, each field's level and weight, the total and the probability); for a weighted one, each
 * field's similarity and weighted share, and the score.
 */
export function formatExplanation(explanation: PairExplanation): string[] {
  const width = Math.max(5, ...explanation.fields.map((f) => f.field.length));
  const levelWidth = Math.max(5, ...explanation.fields.map((f) => f.level.length));
  const row = (label: string, level: string, value: string) => `${label.padEnd(width)}  ${level.padEnd(levelWidth)}  ${value.padStart(7)}`;
  const lines: string[] = [];
  if (explanation.prior_weight !== undefined) lines.push(row('prior', '', signed(explanation.prior_weight)));
  for (const f of explanation.fields) lines.push(row(f.field, f.level, f.level === 'missing' ? '0' : signed(f.weight)));
  const learned = explanation.scoring === 'learned';
  lines.push(
    `${row('total', '', learned ? signed(explanation.total) : explanation.total.toFixed(2))}  ${learned ? 'probability' : 'score'} ${explanation.score.toFixed(4)}`,
  );
  if (explanation.ruled_out) lines.push(`ruled out: ${explanation.ruled_out}`);
  return lines;
}

/**
 * The fields that decided a pair: for a match, its strongest agreements, as few as bring the
 * total (with the prior) to the threshold on their own; for a non-match, its strongest
 * disagreements, as few as keep it below. Hand weights have no prior: there, the fields in the
 * outcome's direction, strongest first.
 */
export function decidingFields(explanation: PairExplanation, threshold: number): string[] {
  if (explanation.ruled_out) return [`ruled out (${explanation.ruled_out})`];
  const match = explanation.score >= threshold && explanation.score > 0;
  const present = explanation.fields.filter((f) => f.level !== 'missing');
  if (explanation.scoring === 'weighted') {
    const ordered = match
      ? [...present].sort((x, y) => y.weight - x.weight)
      : present.filter((f) => Number(f.level) < 1).sort((x, y) => Number(x.level) - Number(y.level));
    return ordered.slice(0, 3).map((f) => `${f.field} (${f.level})`);
  }
  const bar = Math.log2(threshold / (1 - threshold));
  const sign = match ? 1 : -1;
  const pushing = present.filter((f) => sign * f.weight > 0).sort((x, y) => sign * (y.weight - x.weight));
  const decided: FieldPart[] = [];
  // A match: its agreements alone (with the prior) reach the bar; a non-match: the rest without its disagreements would.
  let total = match ? (explanation.prior_weight ?? 0) : explanation.total;
  for (const f of pushing) {
    decided.push(f);
    total += match ? f.weight : -f.weight;
    if (total >= bar) break;
  }
  return decided.map((f) => `${f.field} ${f.level} (${signed(f.weight)})`);
}
