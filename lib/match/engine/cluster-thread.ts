import { Worker } from 'node:worker_threads';
import type { Lead } from '../../core/record.js';
import { noStats } from './cluster-settings.js';
import { jsonLine } from './parking-line.js';
import type { ClusterReply, ClusterRequest, ClusteringResult, DedupeSettings, OutputBatch } from './protocol.js';

/**
 * The clustering (store.ts) and the resolution (lib/match/resolution.ts) in a worker thread
 * (cluster-worker.ts), so that parking, linking, resolving, annotating and reading back the
 * records run beside the stream's own work on a second core. Records go over as `parkingLine`s: from `add`,
 * in batches of about `BATCH_CHARS`; from `addLines`, the blocks of lines a parallel run's workers
 * wrote, as they are. The output comes back as JSON lines ready to write. At most `IN_FLIGHT`
 * messages are on their way in either direction, so memory stays bounded when one side is slower
 * (`add` and `addLines` then return a promise to wait on).
 */
export class ClusterThread {
  private static readonly BATCH_CHARS = 128 * 1024;
  /** The size of a batch of the output: larger than the input's, since every batch crosses as a message of its own. */
  private static readonly OUTPUT_BYTES = 512 * 1024;
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
  constructor(
    private readonly file: string,
    private readonly settings: DedupeSettings,
    private readonly onParked: (records: number) => void = () => undefined,
  ) {}

  private start(): Worker {
    const worker = new Worker(new URL('./cluster-worker.js', import.meta.url), {
      workerData: { file: this.file, settings: this.settings, outputBytes: ClusterThread.OUTPUT_BYTES },
      // A bounded young generation: left to itself V8 grows it under the thread's steady allocation,
      // and the peak memory with the input's length.
      resourceLimits: { maxYoungGenerationSizeMb: ClusterThread.YOUNG_GENERATION_MB },
    });
    worker.on('message', (message: ClusterReply) => this.receive(message));
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
    const line = jsonLine(record);
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
    const message: ClusterRequest = { type: 'lines', data };
    const worker = this.worker ?? this.start();
    if (typeof data !== 'string' && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength)
      worker.postMessage(message, [data.buffer as ArrayBuffer]);
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
      this.finished = { stats: noStats(), findings: { scoring: this.settings.cluster.scoring ?? 'weighted', histogram: [] }, unkeyed: 0, duplicates: 0 };
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

  private post(message: ClusterRequest): void {
    (this.worker ?? this.start()).postMessage(message);
  }

  private receive(message: ClusterReply): void {
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
    else if (message.type === 'done')
      this.finished = { stats: message.stats, findings: message.findings, unkeyed: message.unkeyed, duplicates: message.duplicates };
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
