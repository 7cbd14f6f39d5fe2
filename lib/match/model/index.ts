/**
 * The learned match model (Fellegi–Sunter): comparison levels per kind of value, m and u
 * probabilities estimated without labels, term frequency adjustment, and a pair's waterfall.
 */
export { COMPARISON_TYPES, comparisonOf, type ComparisonType } from './comparisons.js';
export { jaroWinkler } from '../jaro-winkler.js';
export { defaultComparisonType, fieldSpecsOf } from './fields.js';
export { addPattern, expectationMaximisation, levelShares, MISSING, type EmOptions, type EmResult, type PatternCounts } from './estimate.js';
export { fitModel, trainModel, type ModelEvidence, type SessionSummary, type TrainedModel, type TrainingOptions } from './train.js';
export {
  comparePair,
  explainPair,
  matchProbability,
  probabilityOf,
  termFrequencies,
  weightTable,
  type FieldModel,
  type FieldSpec,
  type FieldValues,
  type FieldWeight,
  type LevelWeight,
  type MatchModel,
  type Waterfall,
} from './weights.js';
