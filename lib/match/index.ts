/**
 * Matching: match keys (the fingerprint stage), fuzzy similarity and name comparison, resolution
 * of each system's duplicates, and the clustering with flat memory behind the dedupe engine.
 */
export {
  fingerprint,
  fieldKey,
  emailKey,
  companyKey,
  domainKey,
  linkedinKey,
  nameKey,
  strongKeyNames,
  KEY_DEFAULTS,
  type KeySettings,
} from './keys.js';
export { phoneKey } from './phone-key.js';
export { contradicts, fieldSimilarity, scorePair, LEAD_WEIGHTS, type FieldWeights, type Profile } from './similarity.js';
export { namesAgree, nameSimilarity } from './names.js';
export { formatExplanation, learnedScorer, weightedScorer, type FieldPart, type PairExplanation, type PairScorer } from './scorer.js';
export * as model from './model/index.js';
export { clusterIdOf, identityOf, type Cluster, type MatchReason } from './cluster.js';
export { openDedupeEngine, parkingLine, type DedupeEngine, type DedupeSettings } from './engine/index.js';
export { ClusterStore } from './engine/store.js';
export type { ClusterSettings, ClusterStats } from './engine/cluster-settings.js';
export {
  chooseSurvivor,
  fillInto,
  mergeInto,
  qualityScore,
  resolveCluster,
  type ResolutionSettings,
  type ResolutionStrategy,
  type FieldRule,
} from './resolution.js';
