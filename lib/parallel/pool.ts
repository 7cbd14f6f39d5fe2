import { Worker } from 'node:worker_threads';
import type winston from 'winston';
import { StageError } from '../core/errors.js';
import type { LineBlock } from '../core/line-blocks.js';
import type { StageContext, StageCounters } from '../core/stage.js';
import type { StepOf } from './capabilities.js';
import type { FinalLogs } from './logs.js';
import type { CountersDelta, SegmentReply, SegmentRequest, WorkerSetup } from './messages.js';

/**
 * Blocks a worker holds at once: one being processed and the next ones waiting, so it never idles.
 * On a busy machine the main thread may wait its turn for a core while a worker finishes a block;
 * with more than one block waiting the worker goes on meanwhile.
 */
export const BLOCKS_PER_WORKER = 4;

// Bounded heaps keep the peak memory flat however long the input: a worker holds its stages and a
// block or two, and unbounded V8 heaps grow with the run's length. A block too
// large for them is processed on the main thread (segment.ts). A larger young generation would
// collect less often, but V8 grows it over a long run, so peak memory would grow with the input.
const WORKER_HEAP = { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 128 };

interface PoolWorker {
  thread: Worker;
  ready: boolean;
  inFlight: number;
  /** Set once the worker was asked to end: its answer, or the run's failure. */
  ended?: { resolve: (message: Extract<SegmentReply, { t: 'end' }>) => void; reject: (error: Error) => void };
}

/** The worker threads of a parallel run, started on demand. */
export class WorkerPool {
  private readonly workers: PoolWorker[] = [];
  private closing = false;
  failure: Error | undefined;
  /** The earliest block a worker failed on, and why, until the blocks before it are written (see failureAt). */
  private blockFailure: { seq: number; error: Error } | undefined;
  onChange: () => void = () => undefined;
  onBlock: (seq: number, output: { data: Uint8Array | string; records: number; operations: Record<string, number> }) => void = () => undefined;

  constructor(
    private readonly setup: WorkerSetup,
    readonly size: number,
    private readonly contexts: StageContext[],
    private readonly counters: StageCounters[],
    private readonly steps: StepOf[],
    private readonly finalLogs: FinalLogs,
  ) {}

  start(): void {
    if (this.workers.length || this.closing) return;
    this.contexts[0]!.log.info(`The input is large: ${this.size} worker threads share the work.`, { workers: this.size });
    for (let i = 0; i < this.size; i++) {
      const thread = new Worker(new URL('./worker.js', import.meta.url), { workerData: this.setup, resourceLimits: WORKER_HEAP });
      const worker: PoolWorker = { thread, ready: false, inFlight: 0 };
      thread.on('message', (message: SegmentReply) => this.receive(worker, message));
      thread.on('error', (error) => this.fail(error));
      thread.on('exit', (code) => {
        if (!this.closing) this.fail(new Error(`a worker thread stopped unexpectedly (exit code ${code})`));
      });
      this.workers.push(worker);
    }
  }

  get started(): boolean {
    return this.workers.length > 0;
  }

  anyReady(): boolean {
    return this.workers.some((w) => w.ready);
  }

  /** Sends a block to the least busy ready worker; false when none can take it now. */
  send(seq: number, block: LineBlock): boolean {
    let best: PoolWorker | undefined;
    for (const worker of this.workers) {
      if (worker.ready && worker.inFlight < BLOCKS_PER_WORKER && (!best || worker.inFlight < best.inFlight)) best = worker;
    }
    if (!best) return false;
    best.inFlight++;
    const message: SegmentRequest = { t: 'block', seq, block };
    best.thread.postMessage(message, [block.data.buffer as ArrayBuffer]);
    return true;
  }

  private receive(worker: PoolWorker, message: SegmentReply): void {
    switch (message.t) {
      case 'ready':
        worker.ready = true;
        break;
      case 'block':
        worker.inFlight--;
        this.addCounts(message.counters);
        this.onBlock(message.seq, message);
        break;
      case 'reject':
        this.contexts[message.step]!.reject(message.entry);
        break;
      case 'log':
        if (message.final) this.finalLogs.add(message.step, message.info);
        else this.contexts[message.step]!.log.log(message.info as winston.LogEntry);
        break;
      case 'end':
        this.addCounts(message.counters);
        worker.ended?.resolve(message);
        break;
      case 'error': {
        const stage = message.step === undefined ? undefined : this.steps[message.step]!.stage.name;
        const prefix = `${stage}: `;
        const error = stage && message.message.startsWith(prefix) ? new StageError(stage, message.message.slice(prefix.length)) : new Error(message.message);
        // A failure in a block waits for the blocks before it, which other workers may still fail
        // on: the run stops at the first failure in input order, as on one thread.
        if (message.seq === undefined) this.fail(error);
        else if (!this.blockFailure || message.seq < this.blockFailure.seq) this.blockFailure = { seq: message.seq, error };
        break;
      }
    }
    this.onChange();
  }

  private addCounts(deltas: CountersDelta[]): void {
    deltas.forEach((delta, step) => {
      addCounters(this.counters[step]!, delta);
    });
  }

  /**
   * The failure of the first block a worker failed on, once every block before it is written
   * (`written` blocks are): it then stops the run like any other failure.
   */
  failureAt(written: number): Error | undefined {
    if (this.blockFailure && written >= this.blockFailure.seq) this.fail(this.blockFailure.error);
    return this.failure;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const worker of this.workers) worker.ended?.reject(this.failure);
    this.onChange();
  }

  /** Ends the ready workers' stages and collects what they emit at the end and their counters. */
  async finish(): Promise<Array<Extract<SegmentReply, { t: 'end' }>>> {
    const ends: Array<Promise<Extract<SegmentReply, { t: 'end' }>>> = [];
    for (const worker of this.workers) {
      if (!worker.ready) continue; // still loading: it has done nothing
      ends.push(
        new Promise((resolve, reject) => {
          worker.ended = { resolve, reject };
        }),
      );
      const message: SegmentRequest = { t: 'end' };
      worker.thread.postMessage(message);
    }
    return Promise.all(ends);
  }

  async terminate(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.thread.terminate()));
  }
}

function addCounters(counters: StageCounters, delta: CountersDelta): void {
  counters.received += delta.received;
  counters.sent += delta.sent;
  counters.errored += delta.errored;
  for (const [reason, count] of Object.entries(delta.dropped)) counters.dropped[reason] = (counters.dropped[reason] ?? 0) + count;
}
