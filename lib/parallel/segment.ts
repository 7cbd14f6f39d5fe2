import fs from 'node:fs';
import os from 'node:os';
import type { Readable } from 'node:stream';
import type winston from 'winston';
import { StageError } from '../errors.js';
import { JsonlWriter, openInput, recordCount, SerializedRecords } from '../jsonl.js';
import { LineCutter, type LineBlock } from '../line-blocks.js';
import { isOperation, operationKey } from '../operation.js';
import type { Lead } from '../record.js';
import type { PipelineStep } from '../pipeline.js';
import type { RecordFunction, RecordTransform, StageContext, StageCounters, StageInstance } from '../stage.js';
import { inputLabel, lineRules, readError } from '../../stages/read-jsonl.js';
import { withoutMeta } from '../../stages/write-jsonl.js';
import { BlockProcessor, type SegmentStep } from './block.js';
import { entryLogger, FinalLogs } from './logs.js';
import { BLOCKS_PER_WORKER, WorkerPool } from './pool.js';

/**
 * A pipeline of JSON Lines in (read-jsonl), stages whose records are independent (`parallel`),
 * and JSON Lines out (write-jsonl) — `run-stage normalize < in.jsonl > out.jsonl` — runs on every
 * core: the main thread cuts the input into blocks of whole lines and writes the output; worker
 * threads, each with its own instances of the stages, turn blocks of input lines into blocks of
 * output lines, which are written in input order. Parsing, the stages and serializing all happen
 * in the workers, so the main thread only moves bytes.
 *
 * The last stage before write-jsonl may instead be one that `takesLines` (dedupe, which needs all
 * records before it emits any): the workers' lines, made by its `lineOf`, go to its `lines` in
 * input order, and what it emits as it ends goes to write-jsonl (serialized records as they are).
 *
 * Starting a worker loads every stage's code (most of a second), so a small input is handled on
 * the main thread alone, and workers start only once the input has proved large; until they are
 * ready the main thread keeps processing blocks itself. The output is the same either way, byte
 * for byte, as are the counters, the rejects and their line numbers.
 */

export interface ParallelOptions {
  /** Worker threads; fewer than 2 runs every pipeline the ordinary way. Default: the cores available. */
  workers?: number;
  /** Input bytes read before workers start. */
  thresholdBytes?: number;
  /** About how many input bytes go to a worker at a time (cut at a line end). */
  blockBytes?: number;
  /** Whether the main thread processes blocks itself while no worker is ready (default true; tests turn it off to send every block to a worker). */
  inline?: boolean;
}

const BLOCK_BYTES = 256 * 1024;
// About 20,000 leads: below that, starting the workers costs more than they save.
const THRESHOLD_BYTES = 8 * 1024 * 1024;
/** Blocks are cut at the first line end past blockBytes; one this large holds a huge line and stays on the main thread (the workers' heaps are bounded). */
const MAX_WORKER_BLOCK = 4 * 1024 * 1024;

/** The worker count a run uses: as given, else one per core unless the config's `performance.enable_parallel_processing` is false. */
export function parallelWorkers(options: ParallelOptions = {}, config: Record<string, unknown> = {}): number {
  if (options.workers !== undefined) return options.workers;
  const performance = config.performance as { enable_parallel_processing?: unknown } | undefined;
  return performance?.enable_parallel_processing === false ? 1 : os.availableParallelism();
}

/**
 * Whether a pipeline is one parallel segment: read-jsonl, then only `parallel` stages, then
 * write-jsonl; the stage just before write-jsonl may instead be one that `takesLines` (dedupe),
 * which then gets the workers' output lines as they are (see `lineStepOf`).
 */
export function isParallelSegment(steps: PipelineStep[], workers: number): boolean {
  if (workers < 2 || steps.length < 3) return false;
  const last = steps.length - 1;
  return steps[0]!.stage.name === 'read-jsonl'
    && steps[last]!.stage.name === 'write-jsonl'
    && steps.slice(1, lineStepOf(steps) ?? last).every((step) => step.stage.parallel === true);
}

/** The step that takes the workers' lines, when the stage before write-jsonl `takesLines`. */
function lineStepOf(steps: PipelineStep[]): number | undefined {
  const step = steps.length - 2;
  return steps[step]!.stage.takesLines === true ? step : undefined;
}

export interface SegmentRun {
  steps: PipelineStep[];
  /** Creates the instance of a step between the first and the last, for the blocks the main thread processes itself. */
  create(step: number, ctx: StageContext): Promise<StageInstance>;
  contexts: StageContext[];
  counters: StageCounters[];
  signal: AbortSignal;
  options: ParallelOptions;
  runId: string;
  dryRun: boolean;
  baseDir: string;
  config: Record<string, unknown>;
  /** Called as output is written: records written and the operations among them. */
  onOutput(records: number, operations: Record<string, number>): void;
}

/** Runs a parallel segment to its end (see the top of this file). */
export async function runParallelSegment(run: SegmentRun): Promise<void> {
  const started = performance.now();
  const { steps, contexts, counters } = run;
  const last = steps.length - 1;
  const readPath = steps[0]!.options.path as string;
  const writePath = steps[last]!.options.path as string;
  const label = inputLabel(readPath);
  const rules = lineRules(steps[0]!.options);

  // What the stages log as they end is held and merged with what the workers' instances log then.
  const finalLogs = new FinalLogs();
  let finishing = false;
  // The lines of the parallel stages go to write-jsonl, or to a stage that takes lines and whose own output write-jsonl gets at the end.
  const lineStep = lineStepOf(steps);
  const into = lineStep ?? last;
  const middle: SegmentStep[] = [];
  for (let step = 1; step < into; step++) {
    const real = contexts[step]!;
    const ctx: StageContext = {
      ...real,
      log: entryLogger(real.log.level, real.stage, (info) => (finishing ? finalLogs.add(step, info) : real.log.log(info as winston.LogEntry))),
    };
    const instance = await run.create(step, ctx);
    if (typeof instance !== 'function' && typeof (instance as RecordTransform).transform !== 'function') {
      throw new StageError(steps[step]!.stage.name, 'is marked parallel but is not a per-record transform');
    }
    middle.push({ instance: instance as RecordFunction | RecordTransform, ctx, counters: counters[step]! });
  }
  let lineStage: RecordTransform | undefined;
  if (lineStep !== undefined) {
    lineStage = (await run.create(lineStep, contexts[lineStep]!)) as RecordTransform;
    if (typeof lineStage.lines !== 'function') throw new StageError(steps[lineStep]!.stage.name, 'is marked takesLines but has no lines()');
  }
  const stripMeta = steps[last]!.options.strip_meta === true;
  let writer: JsonlWriter;
  try {
    writer = new JsonlWriter(writePath, contexts[last]!.stdout);
  } catch (error) {
    throw new StageError('write-jsonl', `cannot write ${writePath}: ${(error as Error).message}`, { cause: error });
  }
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await writer.close();
  };
  contexts[last]!.onClose(close);
  // What read-jsonl logs as it ends is merged with what the workers' readers log then.
  const readCtx: StageContext = {
    ...contexts[0]!,
    log: entryLogger(contexts[0]!.log.level, contexts[0]!.stage, (info) => (finishing ? finalLogs.add(0, info) : contexts[0]!.log.log(info as winston.LogEntry))),
  };
  const local = new BlockProcessor(
    { label, rules, ctx: readCtx, counters: counters[0]! },
    middle,
    { stripMeta: lineStage ? false : stripMeta, ctx: contexts[into]!, counters: counters[into]!, passesOn: !lineStage, lineOf: lineStage ? steps[into]!.stage.lineOf?.(steps[into]!.options) : undefined },
  );

  const pool = new WorkerPool({
    // Workers run the steps up to the one their lines go into.
    steps: steps.slice(0, into + 1).map((step) => ({ stage: step.stage.name, options: step.options })),
    passesOn: !lineStage,
    runId: run.runId,
    dryRun: run.dryRun,
    baseDir: run.baseDir,
    config: run.config,
    logLevel: contexts[0]!.log.level,
    inputLabel: label,
  }, parallelWorkers(run.options, run.config), contexts, counters, steps, finalLogs);
  const wake = new Wakeup();
  pool.onChange = () => wake.wake();

  /** Where output blocks go, in input order: to the stage that takes lines, else to the output. */
  const consume = async (data: string | Uint8Array, records: number, operations: Record<string, number>): Promise<void> => {
    if (lineStage) {
      await lineStage.lines!(data);
      return;
    }
    await writer.writeLines(data, records);
    run.onOutput(records, operations);
  };
  /** A failure to write is write-jsonl's; the stage that takes lines names its own failures. */
  const consumeError = (error: unknown): Error => error instanceof StageError ? error
    : new StageError(lineStage ? steps[lineStep!]!.stage.name : 'write-jsonl', lineStage ? (error as Error).message : `cannot write ${writePath}: ${(error as Error).message}`, { cause: error });

  // Output blocks are written in input order, whichever thread finished them first.
  const done = new Map<number, { data: string | Uint8Array; records: number; operations: Record<string, number> }>();
  let written = 0;
  let writing = false;
  let writeFailure: unknown;
  const writeInOrder = async (): Promise<void> => {
    if (writing) return;
    writing = true;
    try {
      // A stopped run writes nothing more, so what it reports as written is what the output holds.
      for (let next = done.get(written); next && !run.signal.aborted; next = done.get(written)) {
        done.delete(written);
        await consume(next.data, next.records, next.operations);
        written++;
      }
    } catch (error) {
      writeFailure ??= consumeError(error);
    } finally {
      writing = false;
      wake.wake();
    }
  };
  pool.onBlock = (seq, output) => {
    done.set(seq, output);
    void writeInOrder();
  };

  /** Writes what the stage that takes lines emits as it ends: serialized records as they are, anything else as write-jsonl would. */
  const writeFlushed = async (stage: RecordTransform, own: StageCounters): Promise<void> => {
    const flushed = stage.flush?.();
    if (!flushed || typeof flushed !== 'object' || !(Symbol.asyncIterator in flushed || Symbol.iterator in flushed)) {
      await flushed;
      return;
    }
    const write = counters[last]!;
    for await (const item of flushed as AsyncIterable<Lead | SerializedRecords>) {
      check();
      const count = recordCount(item);
      own.sent += count;
      write.received += count;
      write.sent += count;
      const operations: Record<string, number> = {};
      try {
        if (item instanceof SerializedRecords) await writer.writeLines(item.data, count);
        else {
          if (isOperation(item)) operations[operationKey(item)] = 1;
          await writer.write(stripMeta && item._meta !== undefined ? withoutMeta(item) : item);
        }
      } catch (error) {
        throw new StageError('write-jsonl', `cannot write ${writePath}: ${(error as Error).message}`, { cause: error });
      }
      run.onOutput(count, operations);
    }
  };

  const check = (): void => {
    if (run.signal.aborted) throw run.signal.reason ?? new Error('aborted');
    if (pool.failure) throw pool.failure;
    if (writeFailure) throw writeFailure;
  };

  const blockBytes = run.options.blockBytes ?? BLOCK_BYTES;
  const threshold = run.options.thresholdBytes ?? THRESHOLD_BYTES;
  const maxAhead = pool.size * BLOCKS_PER_WORKER + 2;
  let dispatched = 0;
  let bytesRead = 0;

  /** Hands a block to an idle worker, or processes it here while no worker is ready yet. */
  const dispatch = async (block: LineBlock): Promise<void> => {
    const seq = dispatched++;
    bytesRead += block.data.length;
    if (bytesRead >= threshold) pool.start();
    for (;;) {
      check();
      if (seq - written < maxAhead) {
        const huge = block.data.length > MAX_WORKER_BLOCK;
        if (!huge && pool.send(seq, block)) return;
        if (huge || (!pool.anyReady() && (run.options.inline !== false || !pool.started))) {
          const output = await local.process(block);
          done.set(seq, { data: output.data, records: output.records, operations: output.operations });
          await writeInOrder();
          return;
        }
      }
      await wake.next();
    }
  };

  // An input known to be large (a file, or stdin redirected from one) starts the workers at once.
  if ((inputSize(readPath, contexts[0]!.stdin) ?? 0) >= threshold) pool.start();
  const input = (() => {
    try {
      return openInput(readPath, contexts[0]!.stdin);
    } catch (error) {
      throw new StageError('read-jsonl', `cannot read ${label}: ${(error as Error).message}`, { cause: error });
    }
  })();
  // Ctrl-C while waiting on a stdin that never ends must still stop the run.
  const onAbort = (): void => {
    input.destroy();
    wake.wake();
  };
  run.signal.addEventListener('abort', onAbort, { once: true });
  try {
    // Blocks are cut at line ends, and a line past the limit is skipped as it is read (see LineCutter).
    const cutter = new LineCutter(rules.maxLineBytes, blockBytes);
    try {
      for await (const chunk of input) {
        for (const block of cutter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) await dispatch(block);
      }
    } catch (error) {
      check();
      if (error instanceof StageError) throw error;
      throw readError(error, label, contexts[0]!);
    }
    const last = cutter.end();
    if (last) await dispatch(last);
    while (written < dispatched) {
      check();
      await wake.next();
    }
    check();
    // Every block is written: end the stages, the workers' and our own (what a flush emits goes last).
    finishing = true;
    const ends = await pool.finish();
    const tail = await local.finish();
    try {
      for (const end of ends) await consume(end.data, end.records, end.operations);
      await consume(tail.data, tail.records, tail.operations);
    } catch (error) {
      check();
      throw consumeError(error);
    }
    if (lineStage) {
      // The workers are done: their memory goes back before the stage's own work at the end.
      await pool.terminate();
      await writeFlushed(lineStage, counters[lineStep!]!);
    }
    finalLogs.write(contexts.map((ctx) => ctx.log));
    await close();
  } finally {
    run.signal.removeEventListener('abort', onAbort);
    await pool.terminate();
    const elapsed = Math.round(performance.now() - started);
    for (const c of counters) c.elapsed_ms = elapsed;
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
