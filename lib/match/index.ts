/**
 * Matching: match keys (the fingerprint stage), fuzzy similarity, clustering with flat memory and
 * per-system resolution (the dedupe stage).
 */
export { fingerprint, fieldKey, emailKey, companyKey, domainKey, linkedinKey, nameKey, phoneKey, strongKeyNames, KEY_DEFAULTS, type KeySettings } from './keys.js';
export { contradicts, fieldSimilarity, namesAgree, scorePair, LEAD_WEIGHTS, type FieldWeights, type Profile } from './similarity.js';
export { ClusterStore, clusterIdOf, identityOf, type Cluster, type ClusterSettings, type ClusterStats, type MatchReason } from './clustering.js';
export { chooseSurvivor, fillInto, mergeInto, qualityScore, resolveCluster, type ResolutionSettings, type ResolutionStrategy, type FieldRule } from './resolution.js';
