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
  /** Blocks past `max_block_size`, compared by sub-block. */
  split_blocks: number;
  /** Pairs of sub-blocks still past the bound that were left outside the compared window. */
  uncompared_pairs: number;
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
    split_blocks: 0,
    uncompared_pairs: 0,
    comparisons: 0,
    fuzzy_candidates: 0,
    fuzzy_links: 0,
    fuzzy_blocked_by_identifiers: 0,
    clusters: 0,
    multi_member_clusters: 0,
  };
}
