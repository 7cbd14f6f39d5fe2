import type { FieldSpec, LevelWeight, SessionSummary } from '../model/index.js';
import type { PairExplanation } from '../scorer.js';
import type { FieldWeights } from '../similarity.js';

/** How the clustering links records. */
export interface ClusterSettings {
  /** `_meta.keys` names that link exactly. */
  strong_keys: readonly string[];
  weights: FieldWeights;
  threshold: number;
  max_block_size: number;
  default_country: string;
  /** How a fuzzy pair is scored: the hand weights (the default), or a model trained on the records first (`training`). */
  scoring?: 'weighted' | 'learned';
  training?: TrainingSettings;
  /** Two record identities (`<source>:<id>`) whose pair's score is explained. */
  explain?: readonly string[];
}

/** What training the learned model needs besides the blocks (training.ts). */
export interface TrainingSettings {
  /** The compared fields with their comparison types, in the profiles' slot order. */
  fields: FieldSpec[];
  /** The compared fields whose blocks hold EM sessions (the blocks of other fields are not read). */
  sessions: string[];
  seed: number;
}

/** The compared pairs' scores in bands of 1 / HISTOGRAM_BANDS, lowest first. */
export const HISTOGRAM_BANDS = 20;

/** What the clustering found out beside the links: the model it trained, the scores it gave, the pair it explained. */
export interface ClusterFindings {
  scoring: 'weighted' | 'learned';
  /** The trained model's prior and weights per field and level (learned scoring). */
  model?: { prior: number; weights: LevelWeight[]; sessions: SessionSummary[] };
  /** How many compared pairs scored in each band (a pair the scorer stopped early on or ruled out counts as 0). */
  histogram: number[];
  /**
   * The first pairs fuzzy matching joined (by their records' arrival), each with the fields that
   * decided it (`decidingFields`): what a person reading the output meets first.
   */
  first_pairs?: Array<{ ids: string[]; score: number; decided_by: string[] }>;
  /** The pair `explain` asked for: its explanation, or the identities no compared record had. */
  explained?: { ids: string[]; explanation?: PairExplanation; missing: string[] };
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
