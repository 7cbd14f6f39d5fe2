import type { LineBlock } from '../line-blocks.js';
import type { RejectEntry, StageCounters } from '../stage.js';

/**
 * The messages between the main thread of a parallel run and its workers. Steps are numbered as
 * in the pipeline: 0 is read-jsonl, the parallel stages follow, and the last a worker knows of is
 * where its output lines go (write-jsonl, or a stage that takes lines).
 */
export interface WorkerSetup {
  /** The steps up to the one the output lines go into: write-jsonl, or a stage that takes lines (not run in the workers). */
  steps: Array<{ stage: string; options: Record<string, unknown> }>;
  /** Whether that last step passes the records on (write-jsonl) or only receives them. */
  passesOn: boolean;
  runId: string;
  dryRun: boolean;
  baseDir: string;
  config: Record<string, unknown>;
  logLevel: string;
  /** How read-jsonl names its input in messages. */
  inputLabel: string;
}

export type ToWorker =
  | { t: 'block'; seq: number; block: LineBlock }
  | { t: 'end' };

/** What a worker's counters grew by since its last message (rejects are counted where they are written, on the main thread). */
export type CountersDelta = Pick<StageCounters, 'received' | 'sent' | 'errored' | 'dropped'>;

export type FromWorker =
  | { t: 'ready' }
  /** Output lines as UTF-8 bytes for write-jsonl (moved, not copied, and written as they are), as text for a stage that takes lines. */
  | { t: 'block'; seq: number; data: Uint8Array | string; records: number; operations: Record<string, number>; counters: CountersDelta[] }
  | { t: 'reject'; step: number; entry: RejectEntry }
  /** A log entry of a stage; `final` when written as the stages end (merged across workers). */
  | { t: 'log'; step: number; final: boolean; info: Record<string, unknown> }
  | { t: 'end'; data: Uint8Array | string; records: number; operations: Record<string, number>; counters: CountersDelta[] }
  | { t: 'error'; message: string; step?: number };
