import { Worker } from 'node:worker_threads';
import { metaOf, type Lead } from '../record.js';
import { isEvent } from '../types.js';
import { parkingRow, type ClusterSettings, type ClusterStats } from './clustering.js';
import { fingerprint, type KeySettings } from './keys.js';
import type { ResolutionSettings } from './resolution.js';

/** What the clustering thread needs: how to link, how to resolve, how to key records that come without keys. */
export interface ThreadSettings {
  cluster: ClusterSettings;
  resolution: ResolutionSettings;
  /** For records without `_meta.keys` (fingerprint did not run before dedupe): the thread fingerprints them. */
  keys: KeySettings;
  /** Whether records a resolution marks as duplicates are left out of the output. */
  drop_duplicates: boolean;
}

/**
 * A record as the clustering thread takes it from a parallel run's workers, one line: `r`, a tab
 * and its `parkingRow` (the identity, linking keys, block hashes and comparison profile worked
 * out there, laid out so that the thread copies its parts into its files as bytes); `u` instead
 * of `r` for a record that came without match keys and was fingerprinted there (counted); `e`, a
 * tab and the JSON of an event (a duplicate group, an operation), which passes through. `add`
 * sends `j`, a tab and the record's JSON instead: the thread then does that work itself, beside
 * the stage's thread.
 */
export function parkingLine(record: Lead, settings: ThreadSettings): string {
  if (isEvent(record)) return `e\t${JSON.stringify(record)}`;
  const { keys, fingerprinted } = matchKeys(record, settings.keys);
  return `${fingerprinted ? 'u' : 'r'}\t${parkingRow(record, keys, settings.cluster)}`;
}

/** A record's match keys; one that came without (fingerprint did not run before dedupe) is fingerprinted here. */
export function matchKeys(record: Lead, settings: KeySettings): { keys: Record<string, string>; fingerprinted: boolean } {
  const keys = record._meta?.keys as Record<string, string> | undefined;
  if (keys) return { keys, fingerprinted: false };
  return { keys: (metaOf(record).keys = fingerprint(record, settings)), fingerprinted: true };
}

/** Messages to the clustering thread. */
export type ToWorker =
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
  /** A batch of the events that came in (they come first), not of records. */
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
  /** Records that came without match keys and were fingerprinted by the thread. */
  unkeyed: number;
  /** Records the resolutions marked as duplicates (left out or not). */
  duplicates: number;
}

/** Messages from the clustering thread. */
export type FromWorker =
  /** A message of records was parked; `parked` (for `lines` messages) is how many records it held, events not counted. */
  | { type: 'added'; parked?: number }
  | ({ type: 'output' } & OutputBatch)
  | ({ type: 'done' } & ClusteringResult)
  | { type: 'error'; message: string; stack?: string };

/**
 * The clustering (lib/match/clustering.ts) and the resolution (lib/match/resolution.ts) in a
 * worker thread, so that parking, linking, resolving, annotating and reading back the records run
 * beside the stream's own work on a second core. Records go over as `parkingLine`s: from `add`,
 * in batches of about `BATCH_CHARS`; from `addLines`, the blocks of lines a parallel run's workers
 * wrote, as they are. The output comes back as JSON lines ready to write. At most `IN_FLIGHT`
 * messages are on their way in either direction, so memory stays bounded when one side is slower
 * (`add` and `addLines` then return a promise to wait on).
 */
export class ClusterThread {
  private static readonly BATCH_CHARS = 128 * 1024;
  private static readonly IN_FLIGHT = 8;
  private static readonly YOUNG_GENERATION_MB = 32;
  /** Started with the first record: a stage that gets none (or is only checked) starts no thread. */
  private worker: Worker | undefined;
  /** Records' JSON waiting to go, joined when sent (a string built by `+=` is copied again when posted). */
  private batch: string[] = [];
  private batchChars = 0;
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private readonly arrived: OutputBatch[] = [];
  private wake: (() => void) | undefined;
  private finished: ClusteringResult | undefined;
  private failure: Error | undefined;
  private closed = false;

  /** `onParked` hears how many records each `addLines` block held, once they are parked (events not counted). */
  constructor(private readonly file: string, private readonly settings: ThreadSettings, private readonly onParked: (records: number) => void = () => undefined) {}

  private start(): Worker {
    const worker = new Worker(new URL('./cluster-worker.js', import.meta.url), {
      workerData: { file: this.file, settings: this.settings, batchChars: ClusterThread.BATCH_CHARS },
      // A bounded young generation: left to itself V8 grows it under the thread's steady allocation,
      // and the peak memory with the input's length (at a million leads about 420 MB, 360-375 MB bounded).
      resourceLimits: { maxYoungGenerationSizeMb: ClusterThread.YOUNG_GENERATION_MB },
    });
    worker.on('message', (message: FromWorker) => this.receive(message));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => {
      if (!this.closed && this.finished === undefined) this.fail(new Error(`the clustering thread stopped (exit code ${code}) before it finished`));
    });
    return (this.worker = worker);
  }

  /** What the clustering counted, once every batch of the output has come back. */
  get result(): ClusteringResult {
    if (!this.finished) throw new Error('clustering has not finished');
    return this.finished;
  }

  /**
   * Parks one record; returns a promise when the thread is behind. The record crosses as its JSON
   * alone (see `parkingLine`): the thread works out the rest with time it has to spare while this
   * thread reads and fingerprints, and text is joined and posted at copying speed.
   */
  add(record: Lead): void | Promise<void> {
    if (this.failure) throw this.failure;
    const line = `j\t${JSON.stringify(record)}`;
    this.batch.push(line);
    if ((this.batchChars += line.length) < ClusterThread.BATCH_CHARS) return;
    this.send();
    return this.backpressure();
  }

  /**
   * Parks the records of `parkingLine`s, each ending with a newline (UTF-8 bytes are handed over,
   * not copied, and must not be used afterwards); returns a promise when the thread is behind.
   */
  addLines(data: string | Uint8Array): void | Promise<void> {
    if (this.failure) throw this.failure;
    this.send();
    this.inFlight++;
    const message: ToWorker = { type: 'lines', data };
    const worker = this.worker ?? this.start();
    if (typeof data !== 'string' && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) worker.postMessage(message, [data.buffer as ArrayBuffer]);
    else worker.postMessage(message);
    return this.backpressure();
  }

  private backpressure(): void | Promise<void> {
    if (this.inFlight > ClusterThread.IN_FLIGHT) return new Promise<void>((resolve) => (this.drained = resolve));
  }

  private send(): void {
    if (!this.batch.length) return;
    this.inFlight++;
    this.post({ type: 'add', text: this.batch.join('\n') });
    this.batch = [];
    this.batchChars = 0;
  }

  /**
   * Ends the input; yields the output a batch at a time (one await per batch, not per record):
   * first the events that came in (duplicate groups and operations pass through), then every
   * cluster once, in the order of its first member's arrival.
   */
  async *output(): AsyncGenerator<OutputBatch> {
    if (!this.worker && !this.batch.length) {
      this.finished = {
        stats: { records: 0, exact_links: 0, blocks: 0, oversized_blocks: 0, comparisons: 0, fuzzy_candidates: 0, fuzzy_links: 0, fuzzy_blocked_by_identifiers: 0, clusters: 0, multi_member_clusters: 0 },
        unkeyed: 0, duplicates: 0,
      };
      return;
    }
    this.send();
    this.post({ type: 'end', credits: ClusterThread.IN_FLIGHT });
    for (;;) {
      if (this.failure) throw this.failure;
      const batch = this.arrived.shift();
      if (batch !== undefined) {
        this.post({ type: 'more' });
        yield batch;
      } else if (this.finished) {
        return;
      } else {
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    }
  }

  /** Stops the thread; after a finished run it removes its scratch files first. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    if (this.finished && !this.failure) {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      this.post({ type: 'close' });
      await exited;
      return;
    }
    // Stopped early (an error, an abort): the thread may be busy linking; the run's scratch
    // directory goes with the run.
    await worker.terminate();
  }

  private post(message: ToWorker): void {
    (this.worker ?? this.start()).postMessage(message);
  }

  private receive(message: FromWorker): void {
    if (message.type === 'added') {
      if (message.parked !== undefined) this.onParked(message.parked);
      this.inFlight--;
      if (this.inFlight <= ClusterThread.IN_FLIGHT && this.drained) {
        const drained = this.drained;
        this.drained = undefined;
        drained();
      }
      return;
    }
    if (message.type === 'output') this.arrived.push(message);
    else if (message.type === 'done') this.finished = { stats: message.stats, unkeyed: message.unkeyed, duplicates: message.duplicates };
    else {
      const error = new Error(message.message);
      if (message.stack) error.stack = message.stack;
      this.fail(error);
      return;
    }
    this.wakeUp();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.wakeUp();
    const drained = this.drained;
    this.drained = undefined;
    drained?.();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
