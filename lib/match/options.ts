import type { OptionProblem, OptionSpec } from '../core/stage.js';
import { KEY_DEFAULTS } from './keys.js';
import { fieldSpecsOf, type FieldSpec } from './model/index.js';
import { decidingFields, formatExplanation, type PairExplanation } from './scorer.js';
import type { FieldWeights } from './similarity.js';

/** `matching_fields`, declared once for `fingerprint` (which computes the keys) and `dedupe` (which joins on them). */
export const MATCHING_FIELDS_OPTION: OptionSpec = {
  type: 'string[]',
  default: KEY_DEFAULTS.matching_fields,
  config: 'duplicate_detection.matching_fields',
  description:
    'Fields whose equal keys make two leads one: email, linkedin_url, phone or any identifier column. Company, website and name never identify a lead alone; listed here they only feed the fuzzy score.',
  example: ['email', 'linkedin_url', 'phone'],
};

/** `blocking_fields`, declared once for `fingerprint` (which writes the block keys) and `dedupe` (which writes them for records fingerprint did not see). */
export const BLOCKING_FIELDS_OPTION: OptionSpec = {
  type: 'string[]',
  default: KEY_DEFAULTS.blocking_fields,
  config: 'duplicate_detection.blocking_fields',
  description:
    'Fields whose equal keys put leads in one block; dedupe compares leads fuzzily only within blocks, never all pairs (fingerprint writes the blocks, dedupe too for records fingerprint did not see).',
  example: ['company', 'company_website', 'phone'],
};

/** How a fuzzy pair is scored (the dedupe stage's `scoring`). */
export const SCORINGS = ['weighted', 'learned'] as const;
export type Scoring = (typeof SCORINGS)[number];

/**
 * The fields a fuzzy pair is compared on: those of `field_weights`, then those only
 * `field_comparisons` names (weighing 1 under hand weights), each with its comparison type.
 */
export function comparedFields(options: { field_weights?: FieldWeights; field_comparisons?: Record<string, unknown> }): {
  weights: FieldWeights;
  specs: FieldSpec[];
  problems: OptionProblem[];
} {
  const weights: FieldWeights = { ...(options.field_weights ?? {}) };
  for (const field of Object.keys(options.field_comparisons ?? {})) if (!(field in weights)) weights[field] = 1;
  const { specs, problems } = fieldSpecsOf(Object.keys(weights), options.field_comparisons ?? {});
  return { weights, specs, problems };
}

/** A pair's explanation as the log shows it: which records, the waterfall, the fields that decided it. */
export function explainedPairLines(ids: readonly string[], explanation: PairExplanation, threshold: number): string[] {
  const outcome = explanation.score >= threshold && explanation.score > 0 ? 'the same person' : 'not the same person';
  return [
    `${ids.join(' and ')}: ${outcome} (score ${explanation.score.toFixed(4)}, threshold ${threshold})`,
    ...formatExplanation(explanation),
    `decided by: ${decidingFields(explanation, threshold).join(', ') || 'too little agreement'}`,
  ];
}
