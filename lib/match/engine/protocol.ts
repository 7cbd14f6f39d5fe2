import type { KeySettings } from '../keys.js';
import type { ResolutionSettings } from '../resolution.js';
import type { ClusterFindings, ClusterSettings, ClusterStats } from './cluster-settings.js';

/**
 * What the clustering thread is given and the messages it exchanges with the stage's thread
 * (cluster-thread.ts on the stage's side, cluster-worker.ts on the thread's).
 */

/** What the dedupe engine needs: how to link, how to resolve, how to key records that come without keys. */
export interface DedupeSettings {
  cluster: ClusterSettings;
  resolution: ResolutionSettings;
  /** For records without `_meta.keys` (fingerprint did not run before dedupe): the engine fingerprints them. */
  keys: KeySettings;
  /** Whether records a resolution marks as duplicates are left out of the output. */
  drop_duplicates: boolean;
  /** Whether the duplicate groups come out too, after the records. */
  emit_groups: boolean;
  /** The keys of the groups a person kept apart ("not duplicates", lib/review/apart.ts). */
  apart?: string[];
}

/** Messages to the clustering thread. */
export type ClusterRequest =
  /** Parking lines from `add`, joined by newlines. */
  | { type: 'add'; text: string }
  /** Parking lines from `addLines`, as text or UTF-8 bytes. */
  | { type: 'lines'; data: string | Uint8Array }
  | { type: 'end'; credits: number }
  | { type: 'more' }
  | { type: 'close' };

/**
 * A batch of the output, in order: whole JSON lines (each ending with a newline), every record
 * annotated and each system's survivor resolved; how many records, how many left out as
 * duplicates (`drop_duplicates`); and the duplicate groups of the clusters in it, as JSON, when
 * the resolution describes groups.
 */
export interface OutputBatch {
  /** A batch of events, not of records: the events that came in (they come first) or the duplicate groups (`emit_groups`, last). */
  events: boolean;
  /** The lines as UTF-8 bytes. */
  data: Uint8Array;
  count: number;
  dropped: number;
  groups: string[];
}

/** What the clustering counted, once it has finished. */
export interface ClusteringResult {
  stats: ClusterStats;
  /** The model trained, the histogram of scores, the pair explained. */
  findings: ClusterFindings;
  /** Records that came without match keys and were fingerprinted by the engine. */
  unkeyed: number;
  /** Records the resolutions marked as duplicates (left out or not). */
  duplicates: number;
}

/** Messages from the clustering thread. */
export type ClusterReply =
  /** A message of records was parked; `parked` (for `lines` messages) is how many records it held, events not counted. */
  | { type: 'added'; parked?: number }
  | ({ type: 'output' } & OutputBatch)
  | ({ type: 'done' } & ClusteringResult)
  | { type: 'error'; message: string; stack?: string };
