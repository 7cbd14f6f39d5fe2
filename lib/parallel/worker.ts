import fs from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { closeRun, newCounters, stageContext, type Rejects, type RunResources } from '../core/context.js';
import { StageError } from '../core/errors.js';
import type { OnErrorPolicy, RejectEntry, Stage, StageContext } from '../core/stage.js';
import { BlockProcessor, type BlockOutput, type SegmentStep } from './block.js';
import { capabilitiesOf } from './capabilities.js';
import { entryLogger } from './logs.js';
import type { CountersDelta, SegmentReply, SegmentRequest, WorkerSetup } from './messages.js';
import { isLead } from '../core/types.js';

/**
 * A worker thread of a parallel run (see segment.ts): its own instance of each stage of the
 * segment, fed blocks of input lines by the main thread and answering each with its output lines.
 * Rejects and log lines go to the main thread as they happen (it owns the rejects file and the
 * log); counters go back with each block.
 */
const setup = workerData as WorkerSetup;
const port = parentPort!;
const post = (message: SegmentReply, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

/** Set while the stages end: what they log then is merged across workers by the main thread. */
let finishing = false;

const counters = setup.steps.map((step) => newCounters(step.stage));

/** What the worker's stages share, as a run's stages do: its settings, and resources living as long as the worker. */
const run: RunResources = {
  runId: setup.runId,
  dryRun: setup.dryRun,
  signal: new AbortController().signal,
  log: entryLogger(setup.logLevel, () => undefined),
  now: () => new Date(),
  baseDir: setup.baseDir,
  config: { values: setup.config, locate: () => undefined },
  stdin: Readable.from([]),
  stdout: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
  rejects: { path: '', count: 0, write: () => undefined, close: () => undefined },
  shared: new Map(),
  counters,
  cleanups: [],
  // Run state (the journal) is the main thread's.
  stateDir: false,
};
/** Each step's view of the run: its log lines and rejects go to the main thread under its step. */
const stepRuns = setup.steps.map((_step, step): RunResources => ({ ...run, log: entryLogger(setup.logLevel, forward(step)), rejects: forwardRejects(step) }));

/** Log lines go to the main thread's logger; the ones written at the end are marked for merging. */
function forward(step: number) {
  return (info: Record<string, unknown>): void => {
    // Winston keeps some of its state under symbols, which do not cross threads; the entry itself is plain data.
    post({ t: 'log', step, final: finishing, info: JSON.parse(JSON.stringify(info)) as Record<string, unknown> });
  };
}

/** Rejects go to the main thread, which writes and counts them. */
function forwardRejects(step: number): Rejects {
  const write = (_stage: string, entry: RejectEntry): void => {
    try {
      post({ t: 'reject', step, entry });
    } catch (error) {
      // The record cannot be copied to the main thread (a stage made it too deep): the entry still says what, where and why.
      const { record, ...rest } = entry;
      const meta = record && isLead(record) ? record._meta : undefined;
      const line = rest.line ?? (typeof meta?.line === 'number' ? meta.line : undefined);
      post({ t: 'reject', step, entry: { ...rest, line, message: `${rest.message} (the record is left out: ${(error as Error).message})` } });
    }
  };
  return { path: '', count: 0, write, close: () => undefined };
}

function context(step: number): StageContext {
  const { stage, options } = setup.steps[step]!;
  return stageContext(stepRuns[step]!, stage, step, counters[step]!, options.on_error as OnErrorPolicy);
}

/**
 * The output lines go to the main thread as bytes of their own, moved, not copied: the writer
 * writes them as they are, a stage that takes lines hands them on the same way.
 */
function send(seq: number, output: BlockOutput): void {
  post({ t: 'block', seq, data: output.data, records: output.records, operations: output.operations, counters: takeCounts() }, [
    output.data.buffer as ArrayBuffer,
  ]);
}

/** The counts since the last message, so an interrupted run still reports what its workers did. */
function takeCounts(): CountersDelta[] {
  return counters.map((c) => {
    const delta = { received: c.received, sent: c.sent, errored: c.errored, dropped: c.dropped };
    c.received = 0;
    c.sent = 0;
    c.errored = 0;
    c.dropped = {};
    return delta;
  });
}

function failure(error: unknown, seq?: number): SegmentReply {
  const step = error instanceof StageError ? setup.steps.findIndex((s) => s.stage === error.stage) : undefined;
  return { t: 'error', message: error instanceof Error ? error.message : String(error), step: step !== undefined && step >= 0 ? step : undefined, seq };
}

/** The stage a step declared its module for: only the segment's own stages are loaded, not every stage there is. */
async function stageOf(step: number): Promise<Stage> {
  const { stage, module } = setup.steps[step]!;
  if (!module) throw new StageError(stage, 'declared no module for the worker threads of a parallel run');
  return ((await import(module)) as { default: Stage }).default;
}

async function start(): Promise<BlockProcessor> {
  const middle: SegmentStep[] = [];
  for (let step = 1; step < setup.steps.length - 1; step++) {
    const ctx = context(step);
    const instance = await (await stageOf(step)).create(setup.steps[step]!.options as never, ctx);
    middle.push({ instance: instance as SegmentStep['instance'], ctx, counters: counters[step]! });
  }
  const last = setup.steps.length - 1;
  // The lines for a stage that takes lines are made here, by its line maker.
  const lineOf = setup.passesOn ? undefined : capabilitiesOf(await stageOf(last))?.takesLines?.(setup.steps[last]!.options);
  return new BlockProcessor({ label: setup.inputLabel, rules: setup.rules, ctx: context(0), counters: counters[0]! }, middle, {
    stripMeta: setup.stripMeta,
    ctx: context(last),
    counters: counters[last]!,
    passesOn: setup.passesOn,
    lineOf,
  });
}

/** Ends the stages and releases what they hold, as a run does when it ends. */
async function end(blocks: BlockProcessor): Promise<void> {
  finishing = true;
  const output = await blocks.finish();
  await closeRun(run);
  // A stage's scratch directory is made in its step's view of the run.
  for (const { scratch } of stepRuns) if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  post({ t: 'end', data: output.data, records: output.records, operations: output.operations, counters: takeCounts() }, [output.data.buffer as ArrayBuffer]);
}

let queue: Promise<unknown> = start().then((processor) => {
  post({ t: 'ready' });
  return processor;
});
// Blocks are handled one after another, in the order they came.
port.on('message', (message: SegmentRequest) => {
  queue = queue
    .then(async (processor) => {
      const blocks = processor as BlockProcessor;
      if (message.t === 'block') send(message.seq, await blocks.process(message.block));
      else await end(blocks);
      return blocks;
    })
    .catch((error: unknown) => {
      post(failure(error, message.t === 'block' ? message.seq : undefined));
      // Nothing more is processed after a failure; the main thread stops the run.
      return new Promise(() => undefined);
    });
});
queue.catch((error: unknown) => post(failure(error)));
