import type { LineRules } from '../core/jsonl-read.js';
import type { LineBlock } from '../core/line-blocks.js';
import type { RejectEntry, StageCounters } from '../core/stage.js';

/**
 * The messages between the main thread of a parallel run and its workers. Steps are numbered as
 * in the pipeline: 0 reads the input, the independent stages follow, and the last a worker knows
 * of is where its output lines go (the writer, or a stage that takes lines).
 */
export interface WorkerSetup {
  /**
   * The steps up to the one the output lines go into (neither the first nor that one runs in the
   * workers); `module` is where a stage the worker runs, or whose line maker it uses, is loaded from.
   */
  steps: Array<{ stage: string; module?: string; options: Record<string, unknown> }>;
  /** Whether that last step passes the records on (the writer) or only receives them. */
  passesOn: boolean;
  /** Whether the lines are written without `_meta`. */
  stripMeta: boolean;
  /** How the input's lines are read. */
  rules: LineRules;
  runId: string;
  dryRun: boolean;
  baseDir: string;
  config: Record<string, unknown>;
  logLevel: string;
  /** How the input is named in messages. */
  inputLabel: string;
}

/** What the main thread asks of a worker: a block of input lines to process, or to end its stages. */
export type SegmentRequest = { t: 'block'; seq: number; block: LineBlock } | { t: 'end' };

/** What a worker's counters grew by since its last message (rejects are counted where they are written, on the main thread). */
export type CountersDelta = Pick<StageCounters, 'received' | 'sent' | 'errored' | 'dropped'>;

/** What a worker tells the main thread. */
export type SegmentReply =
  | { t: 'ready' }
  /** Output lines as UTF-8 bytes (moved, not copied, and written or handed on as they are). */
  | { t: 'block'; seq: number; data: Uint8Array | string; records: number; operations: Record<string, number>; counters: CountersDelta[] }
  | { t: 'reject'; step: number; entry: RejectEntry }
  /** A log entry of a stage; `final` when written as the stages end (merged across workers). */
  | { t: 'log'; step: number; final: boolean; info: Record<string, unknown> }
  | { t: 'end'; data: Uint8Array | string; records: number; operations: Record<string, number>; counters: CountersDelta[] }
  /** `seq`: the block the worker failed on, when it failed on one (a run stops at the first in input order). */
  | { t: 'error'; message: string; step?: number; seq?: number };
