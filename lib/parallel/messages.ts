import type { RejectEntry, StageCounters } from '../stage.js';

/**
 * The messages between the main thread of a parallel run and its workers. Steps are numbered as
 * in the pipeline: 0 is read-jsonl, the last is write-jsonl, the parallel stages lie between.
 */
export interface WorkerSetup {
  steps: Array<{ stage: string; options: Record<string, unknown> }>;
  runId: string;
  dryRun: boolean;
  baseDir: string;
  config: Record<string, unknown>;
  logLevel: string;
  /** How read-jsonl names its input in messages. */
  inputLabel: string;
}

export type ToWorker =
  | { t: 'block'; seq: number; firstLine: number; data: Uint8Array }
  | { t: 'end' };

/** What a worker's counters grew by since its last message (rejects are counted where they are written, on the main thread). */
export type CountersDelta = Pick<StageCounters, 'received' | 'sent' | 'errored' | 'dropped'>;

export type FromWorker =
  | { t: 'ready' }
  | { t: 'block'; seq: number; data: Uint8Array; records: number; operations: Record<string, number>; counters: CountersDelta[] }
  | { t: 'reject'; step: number; entry: RejectEntry }
  /** A log entry of a stage; `final` when written as the stages end (merged across workers). */
  | { t: 'log'; step: number; final: boolean; info: Record<string, unknown> }
  | { t: 'end'; data: Uint8Array; records: number; operations: Record<string, number>; counters: CountersDelta[] }
  | { t: 'error'; message: string; step?: number };
