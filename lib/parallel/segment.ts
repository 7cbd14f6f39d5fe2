import fs from 'node:fs';
import type { Readable } from 'node:stream';
import type winston from 'winston';
import { StageError } from '../core/errors.js';
import { JsonlWriter, openInput } from '../core/jsonl.js';
import { inputLabel, readError } from '../core/jsonl-records.js';
import { LineCutter, type LineBlock } from '../core/line-blocks.js';
import type { StageContext } from '../core/stage.js';
import { BlockProcessor, type SegmentStep } from './block.js';
import type { LineConsumer } from './capabilities.js';
import { entryLogger, FinalLogs } from './logs.js';
import { OrderedOutput } from './output.js';
import { moduleOf, type ParallelPlan, type SegmentRun } from './plan.js';
import { BLOCKS_PER_WORKER, WorkerPool } from './pool.js';

/**
 * A run of JSON Lines in, stages whose records are independent, and JSON Lines out
 * (`run-stage normalize < in.jsonl > out.jsonl`) runs on every core: the main thread cuts the
 * input into blocks of whole lines and writes the output; worker threads, each with its own
 * instances of the stages, turn blocks of input lines into blocks of output lines, which are
 * written in input order. Parsing, the stages and serializing all happen in the workers, so the
 * main thread only moves bytes.
 *
 * The last stage before the writer may instead be one that takes lines (dedupe, which needs all
 * records before it emits any): the workers' lines, made by its line maker, go to its `lines` in
 * input order, and what it emits as it ends goes to the writer (serialized records as they are).
 *
 * Starting a worker loads every stage's code, which costs more than a small input takes, so one is handled on
 * the main thread alone, and workers start only once the input has proved large; until they are
 * ready the main thread keeps processing blocks itself. The output is the same either way, byte
 * for byte, as are the counters, the rejects and their line numbers.
 */

export type { ParallelOptions } from './plan.js';

const BLOCK_BYTES = 256 * 1024;
// About 20,000 leads: below that, starting the workers costs more than they save.
const THRESHOLD_BYTES = 8 * 1024 * 1024;
/** Blocks are cut at the first line end past blockBytes; one this large holds a huge line and stays on the main thread (the workers' heaps are bounded). */
const MAX_WORKER_BLOCK = 4 * 1024 * 1024;

/** Runs a parallel plan to its end (see the top of this file). */
export async function runParallelSegment(plan: ParallelPlan, run: SegmentRun): Promise<void> {
  const started = performance.now();
  const segment = new Segment(plan, run);
  try {
    await segment.start();
    await segment.readInput();
    await segment.finish();
  } finally {
    await segment.stop();
    const elapsed = Math.round(performance.now() - started);
    for (const c of run.counters) c.elapsed_ms = elapsed;
  }
}

class Segment {
  private readonly label: string;
  /** The step the lines of the independent stages go into: the writer, or the stage that takes lines. */
  private readonly into: number;
  /** What the stages log as they end is held and merged with what the workers' instances log then. */
  private readonly finalLogs = new FinalLogs();
  private finishing = false;
  private readonly wake = new Wakeup();
  private pool!: WorkerPool;
  private local!: BlockProcessor;
  private output!: OrderedOutput;
  private closeWriter!: () => Promise<void>;
  private dispatched = 0;
  private bytesRead = 0;

  constructor(
    private readonly plan: ParallelPlan,
    private readonly run: SegmentRun,
  ) {
    this.label = inputLabel(plan.read.path);
    this.into = plan.lines?.step ?? plan.steps.length - 1;
  }

  /** Creates the main thread's instances of the stages, the output and the (not yet started) workers. */
  async start(): Promise<void> {
    const { plan, run } = this;
    const middle: SegmentStep[] = [];
    for (let step = 1; step < this.into; step++) {
      const ctx = this.holdingFinalLogs(step);
      const instance = await run.create(step, ctx);
      if (typeof instance !== 'function' && typeof (instance as { transform?: unknown }).transform !== 'function' && !('batch' in instance)) {
        throw new StageError(plan.steps[step]!.stage.name, 'is declared independent but is not a per-record transform');
      }
      middle.push({ instance: instance as SegmentStep['instance'], ctx, counters: run.counters[step]! });
    }
    let lineStage: LineConsumer | undefined;
    if (plan.lines) {
      lineStage = (await run.create(plan.lines.step, run.contexts[plan.lines.step]!)) as LineConsumer;
      if (typeof lineStage.lines !== 'function') throw new StageError(plan.steps[plan.lines.step]!.stage.name, 'is declared to take lines but has no lines()');
    }
    this.output = new OrderedOutput(
      plan,
      run,
      lineStage,
      this.openWriter(),
      () => this.check(),
      () => this.wake.wake(),
    );
    const stripMeta = plan.lines ? false : plan.write.stripMeta;
    this.local = new BlockProcessor({ label: this.label, rules: plan.read.rules, ctx: this.holdingFinalLogs(0), counters: run.counters[0]! }, middle, {
      stripMeta,
      ctx: run.contexts[this.into]!,
      counters: run.counters[this.into]!,
      passesOn: !lineStage,
      lineOf: plan.lines?.lineOf,
    });
    this.pool = new WorkerPool(
      {
        // Workers run the steps up to the one their lines go into.
        steps: plan.steps.slice(0, this.into + 1).map((step) => ({ stage: step.stage.name, module: moduleOf(step), options: step.options })),
        passesOn: !lineStage,
        stripMeta,
        rules: plan.read.rules,
        runId: run.runId,
        dryRun: run.dryRun,
        baseDir: run.baseDir,
        config: run.config,
        logLevel: run.contexts[0]!.log.level,
        inputLabel: this.label,
      },
      plan.workers,
      run.contexts,
      run.counters,
      plan.steps,
      this.finalLogs,
    );
    this.pool.onChange = () => this.wake.wake();
    this.pool.onBlock = (seq, output) => void this.output.add(seq, output);
  }

  /** A step's context whose log lines written as the stages end are held, to be merged with the workers'. */
  private holdingFinalLogs(step: number): StageContext {
    const real = this.run.contexts[step]!;
    const hold = (info: Record<string, unknown>): void => {
      if (this.finishing) this.finalLogs.add(step, info);
      else real.log.log(info as winston.LogEntry);
    };
    return { ...real, log: entryLogger(real.log.level, hold).child({ stage: real.stage }) };
  }

  /** Opens the output; it is closed once, as the run ends or when the run's cleanups run, whichever comes first. */
  private openWriter(): JsonlWriter {
    const { path } = this.plan.write;
    const last = this.plan.steps.length - 1;
    let writer: JsonlWriter;
    try {
      writer = new JsonlWriter(path, this.run.contexts[last]!.stdout);
    } catch (error) {
      throw new StageError(this.plan.steps[last]!.stage.name, `cannot write ${path}: ${(error as Error).message}`, { cause: error });
    }
    let closed = false;
    this.closeWriter = async () => {
      if (closed) return;
      closed = true;
      await writer.close();
    };
    this.run.contexts[last]!.onClose(this.closeWriter);
    return writer;
  }

  /** Throws what stopped the run, if anything did: an abort, a worker's failure, a failure to write. */
  private check(): void {
    if (this.run.signal.aborted) throw this.run.signal.reason ?? new Error('aborted');
    const failure = this.pool.failureAt(this.output.written);
    if (failure) throw failure;
    if (this.output.failure) throw this.output.failure;
  }

  /** Cuts the input into blocks of whole lines and hands each on; a line past the limit is skipped as it is read (see LineCutter). */
  async readInput(): Promise<void> {
    const { plan, run } = this;
    const threshold = plan.options.thresholdBytes ?? THRESHOLD_BYTES;
    // An input known to be large (a file, or stdin redirected from one) starts the workers at once.
    if ((inputSize(plan.read.path, run.contexts[0]!.stdin) ?? 0) >= threshold) this.pool.start();
    let input: Readable;
    try {
      input = openInput(plan.read.path, run.contexts[0]!.stdin);
    } catch (error) {
      throw new StageError(plan.steps[0]!.stage.name, `cannot read ${this.label}: ${(error as Error).message}`, { cause: error });
    }
    // Ctrl-C while waiting on a stdin that never ends must still stop the run.
    const onAbort = (): void => {
      input.destroy();
      this.wake.wake();
    };
    run.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const cutter = new LineCutter(plan.read.rules.maxLineBytes, plan.options.blockBytes ?? BLOCK_BYTES);
      try {
        for await (const chunk of input) {
          for (const block of cutter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) await this.dispatch(block, threshold);
        }
      } catch (error) {
        this.check();
        if (error instanceof StageError) throw error;
        throw readError(error, this.label, run.contexts[0]!);
      }
      const last = cutter.end();
      if (last) await this.dispatch(last, threshold);
      while (this.output.written < this.dispatched) {
        this.check();
        await this.wake.next();
      }
      this.check();
    } finally {
      run.signal.removeEventListener('abort', onAbort);
    }
  }

  /** Hands a block to an idle worker, or processes it here while no worker is ready yet. */
  private async dispatch(block: LineBlock, threshold: number): Promise<void> {
    const seq = this.dispatched++;
    this.bytesRead += block.data.length;
    if (this.bytesRead >= threshold) this.pool.start();
    const maxAhead = this.pool.size * BLOCKS_PER_WORKER + 2;
    for (;;) {
      this.check();
      if (seq - this.output.written < maxAhead) {
        const huge = block.data.length > MAX_WORKER_BLOCK;
        if (!huge && this.pool.send(seq, block)) return;
        if (huge || (!this.pool.anyReady() && (this.plan.options.inline !== false || !this.pool.started))) {
          const output = await this.local.process(block);
          await this.output.add(seq, output);
          return;
        }
      }
      await this.wake.next();
    }
  }

  /** Every block is written: ends the stages, the workers' and our own (what a flush emits goes last). */
  async finish(): Promise<void> {
    this.finishing = true;
    const ends = await this.pool.finish();
    const tail = await this.local.finish();
    await this.output.consumeEnds([...ends, tail]);
    // The workers are done: their memory goes back before the stage that takes lines does its own work at the end.
    await this.pool.terminate();
    await this.output.writeFlushed();
    this.finalLogs.write(this.run.contexts.map((ctx) => ctx.log));
    await this.closeWriter();
  }

  async stop(): Promise<void> {
    await this.pool?.terminate();
  }
}

/** The size of the input in bytes when it is a regular file (a path, or stdin redirected from a file); undefined for a pipe. */
function inputSize(path: string, stdin: Readable): number | undefined {
  try {
    if (path !== '-') return fs.statSync(path).size;
    const fd = (stdin as Readable & { fd?: unknown }).fd;
    if (typeof fd !== 'number') return undefined;
    const stat = fs.fstatSync(fd);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined; // opening it reports the problem
  }
}

/** Lets the dispatch loop sleep until something changes (a worker answered, a write finished). */
class Wakeup {
  private waiting: Array<() => void> = [];

  next(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}
