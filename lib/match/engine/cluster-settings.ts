import type { FieldWeights } from '../similarity.js';

/** How the clustering links records. */
export interface ClusterSettings {
  /** `_meta.keys` names that link exactly. */
  strong_keys: readonly string[];
  weights: FieldWeights;
  threshold: number;
  max_block_size: number;
  default_country: string;
}

/** What the clustering counted. */
export interface ClusterStats {
  records: number;
  exact_links: number;
  blocks: number;
  oversized_blocks: number;
  comparisons: number;
  fuzzy_candidates: number;
  fuzzy_links: number;
  fuzzy_blocked_by_identifiers: number;
  clusters: number;
  multi_member_clusters: number;
}

/** The counts before any record. */
export function noStats(): ClusterStats {
  return {
    records: 0,
    exact_links: 0,
    blocks: 0,
    oversized_blocks: 0,
    comparisons: 0,
    fuzzy_candidates: 0,
    fuzzy_links: 0,
    fuzzy_blocked_by_identifiers: 0,
    clusters: 0,
    multi_member_clusters: 0,
  };
}
