import { Worker } from 'node:worker_threads';
import type { Lead } from '../record.js';
import type { DuplicateGroup } from '../types.js';
import { escapeField, unescapeField } from './buckets.js';
import { identityFromJson, type ClusterSettings, type ClusterStats } from './clustering.js';
import type { ResolutionSettings } from './resolution.js';

/** Messages to the clustering thread. */
export type ToWorker =
  | { type: 'add'; text: string }
  | { type: 'end'; credits: number }
  | { type: 'more' }
  | { type: 'close' };

/**
 * A cluster as it comes back: a single record as it was parked (`resolved` false, for the stage
 * to annotate), or the records of a cluster of several as resolved, with the group for the
 * report when it has one.
 */
export interface ResolvedCluster {
  id: string;
  texts: string[];
  resolved: boolean;
  group?: DuplicateGroup;
}

/**
 * Messages from the clustering thread. Clusters come as one text per batch (see `resolvedLines`):
 * a string crosses threads as one copy, where an array of objects is cloned object by object.
 */
export type FromWorker =
  | { type: 'added' }
  | { type: 'clusters'; text: string }
  | { type: 'done'; stats: ClusterStats }
  | { type: 'error'; message: string; stack?: string };

/**
 * The clustering (lib/match/clustering.ts) and the resolution of clusters of several records
 * (lib/match/resolution.ts) in a worker thread, so that parking, linking, resolving and reading
 * back the records run beside the stream's own work (parsing, fingerprinting, writing) on a
 * second core. Records go over as JSON lines in batches of about `BATCH_CHARS`, clusters come
 * back as lines too; at most `IN_FLIGHT` batches are on their way in either direction, so
 * memory stays bounded when one side is slower (`add` then returns a promise to wait on).
 */
export class ClusterThread {
  private static readonly BATCH_CHARS = 128 * 1024;
  private static readonly IN_FLIGHT = 8;
  /** Started with the first record: a stage that gets none (or is only checked) starts no thread. */
  private worker: Worker | undefined;
  /** Records' JSON waiting to go, joined when sent (a string built by `+=` is copied again when posted). */
  private batch: string[] = [];
  private batchChars = 0;
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private readonly arrived: string[] = [];
  private wake: (() => void) | undefined;
  private finished: ClusterStats | undefined;
  private failure: Error | undefined;
  private closed = false;

  constructor(private readonly file: string, private readonly settings: ClusterSettings, private readonly resolution: ResolutionSettings) {}

  private start(): Worker {
    const worker = new Worker(new URL('./cluster-worker.js', import.meta.url), {
      workerData: { file: this.file, settings: this.settings, resolution: this.resolution, batchChars: ClusterThread.BATCH_CHARS },
    });
    worker.on('message', (message: FromWorker) => this.receive(message));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => {
      if (!this.closed && this.finished === undefined) this.fail(new Error(`the clustering thread stopped (exit code ${code}) before it finished`));
    });
    return (this.worker = worker);
  }

  /** The counts of the clustering, once every cluster has come back. */
  get stats(): ClusterStats {
    if (!this.finished) throw new Error('clustering has not finished');
    return this.finished;
  }

  /**
   * Parks one record (with `_meta.keys` set); returns a promise when the thread is behind. The
   * record crosses as its JSON alone: the thread parses it and works out the rest (identity,
   * linking keys, blocks, comparison profile) with time it has to spare while this thread reads
   * and fingerprints, and JSON text is joined and posted at copying speed.
   */
  add(record: Lead): void | Promise<void> {
    if (this.failure) throw this.failure;
    const json = JSON.stringify(record);
    this.batch.push(json);
    if ((this.batchChars += json.length) < ClusterThread.BATCH_CHARS) return;
    this.send();
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
   * Ends the input; yields every cluster once, in the order of its first member's arrival, a
   * batch at a time (one await per batch, not per cluster).
   */
  async *clusters(): AsyncGenerator<ResolvedCluster[]> {
    if (!this.worker && !this.batch.length) {
      this.finished = { records: 0, exact_links: 0, blocks: 0, oversized_blocks: 0, comparisons: 0, fuzzy_candidates: 0, fuzzy_links: 0, fuzzy_blocked_by_identifiers: 0, clusters: 0, multi_member_clusters: 0 };
      return;
    }
    this.send();
    this.post({ type: 'end', credits: ClusterThread.IN_FLIGHT });
    for (;;) {
      if (this.failure) throw this.failure;
      const batch = this.arrived.shift();
      if (batch !== undefined) {
        this.post({ type: 'more' });
        yield readClusters(batch);
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
      this.inFlight--;
      if (this.inFlight <= ClusterThread.IN_FLIGHT && this.drained) {
        const drained = this.drained;
        this.drained = undefined;
        drained();
      }
      return;
    }
    if (message.type === 'clusters') this.arrived.push(message.text);
    else if (message.type === 'done') this.finished = message.stats;
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

/**
 * Clusters cross back in batches of lines: a single record as its parked entry (identity as JSON,
 * a tab, the record's JSON: it starts with a quote); a cluster of several as a header line `TAB id
 * TAB count TAB group-json-or-nothing`, then its resolved records' JSON, a line each. JSON never
 * holds a raw tab or newline, and ids are escaped.
 */
export function resolvedLines(id: string, texts: readonly string[], group: DuplicateGroup | undefined): string[] {
  return [`\t${escapeField(id)}\t${texts.length}\t${group ? JSON.stringify(group) : ''}`, ...texts];
}

/** Reads back a batch of cluster lines. */
export function readClusters(text: string): ResolvedCluster[] {
  const clusters: ResolvedCluster[] = [];
  const next = (start: number): number => {
    const end = text.indexOf('\n', start);
    return end === -1 ? text.length : end;
  };
  for (let start = 0; start < text.length;) {
    let end = next(start);
    if (text.charCodeAt(start) === 9) {
      const [, id, count, group] = text.slice(start, end).split('\t');
      const texts: string[] = [];
      for (let i = 0; i < Number(count); i++) {
        start = end + 1;
        end = next(start);
        texts.push(text.slice(start, end));
      }
      clusters.push({ id: unescapeField(id!), texts, resolved: true, group: group ? (JSON.parse(group) as DuplicateGroup) : undefined });
    } else {
      const tab = text.indexOf('\t', start);
      clusters.push({ id: identityFromJson(text.slice(start, tab)), texts: [text.slice(tab + 1, end)], resolved: false });
    }
    start = end + 1;
  }
  return clusters;
}
