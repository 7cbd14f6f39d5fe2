import { Readable, Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { DROPS, newCounters } from '../counters.js';
import { StageError } from '../errors.js';
import type { OnErrorPolicy, RecordFunction, RecordTransform, Stage, StageContext } from '../stage.js';
import { isLead } from '../types.js';
import { lineRules } from '../../stages/read-jsonl.js';
import { BlockProcessor, type BlockOutput } from './block.js';
import { entryLogger } from './logs.js';
import type { CountersDelta, FromWorker, ToWorker, WorkerSetup } from './messages.js';

/**
 * A worker thread of a parallel run (see segment.ts): its own instance of each stage of the
 * segment, fed blocks of input lines by the main thread and answering each with its output lines.
 * Rejects and log lines go to the main thread as they happen (it owns the rejects file and the
 * log); counters go back at the end.
 */
const setup = workerData as WorkerSetup;
const port = parentPort!;
const post = (message: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

/** Set while the stages end: what they log then is merged across workers by the main thread. */
let finishing = false;

/** Log lines go to the main thread's logger; the ones written at the end are marked for merging. */
function forward(step: number) {
  return (info: Record<string, unknown>): void => {
    // Winston keeps some of its state under symbols, which do not cross threads; the entry itself is plain data.
    post({ t: 'log', step, final: finishing, info: JSON.parse(JSON.stringify(info)) as Record<string, unknown> });
  };
}

const cleanups: Array<() => unknown> = [];
const shared = new Map<string, unknown>();
const counters = setup.steps.map((step) => newCounters(step.stage));

function context(step: number): StageContext {
  const stage = setup.steps[step]!.stage;
  return {
    stage,
    step,
    runId: setup.runId,
    dryRun: setup.dryRun,
    signal: new AbortController().signal,
    log: entryLogger(setup.logLevel, stage, forward(step)),
    now: () => new Date(),
    baseDir: setup.baseDir,
    config: setup.config,
    onError: setup.steps[step]!.options.on_error as OnErrorPolicy,
    stdin: Readable.from([]),
    stdout: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
    drop(reason) {
      const own = counters[step]!;
      own.dropped[reason] = (own.dropped[reason] ?? 0) + 1;
      (own as unknown as Record<typeof DROPS, number>)[DROPS]++;
      return undefined;
    },
    reject(entry) {
      try {
        post({ t: 'reject', step, entry });
      } catch (error) {
        // The record cannot be copied to the main thread (a stage made it too deep): the entry still says what, where and why.
        const { record, ...rest } = entry;
        const meta = record && isLead(record) ? record._meta : undefined;
        const line = rest.line ?? (typeof meta?.line === 'number' ? meta.line : undefined);
        post({ t: 'reject', step, entry: { ...rest, line, message: `${rest.message} (the record is left out: ${(error as Error).message})` } });
      }
    },
    shared<T>(key: string, create: () => T): T {
      if (!shared.has(key)) shared.set(key, create());
      return shared.get(key) as T;
    },
    scratchDir() {
      throw new Error(`${stage} runs in a worker thread of a parallel run, which has no scratch directory; a stage that needs one must not be marked parallel`);
    },
    onClose(fn) {
      cleanups.push(fn);
    },
    runCounters() {
      return counters;
    },
    rejectsFile() {
      return { path: '', count: 0 };
    },
    journal() {
      return undefined;
    },
  };
}

/**
 * The output lines go to the main thread as bytes of their own, moved, not copied: write-jsonl
 * writes them as they are, a stage that takes lines (dedupe) hands them on the same way.
 */
function send(seq: number, output: BlockOutput): void {
  post({ t: 'block', seq, data: output.data, records: output.records, operations: output.operations, counters: takeCounts() }, [output.data.buffer as ArrayBuffer]);
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

function failure(error: unknown): FromWorker {
  const step = error instanceof StageError ? setup.steps.findIndex((s) => s.stage === error.stage) : undefined;
  return { t: 'error', message: error instanceof Error ? error.message : String(error), step: step !== undefined && step >= 0 ? step : undefined };
}

async function start(): Promise<BlockProcessor> {
  const middle = [];
  for (let step = 1; step < setup.steps.length - 1; step++) {
    const { stage, options } = setup.steps[step]!;
    const ctx = context(step);
    // Only the segment's own stages are loaded (a stage's module is named after it), not the registry's every dependency.
    const definition = ((await import(`../../stages/${stage}.js`)) as { default: Stage }).default;
    const instance = await definition.create(options as never, ctx);
    middle.push({ instance: instance as RecordFunction | RecordTransform, ctx, counters: counters[step]! });
  }
  const last = setup.steps.length - 1;
  const into = setup.steps[last]!;
  // The lines for a stage that takes lines are made here, by its `lineOf`.
  const lineOf = setup.passesOn ? undefined : ((await import(`../../stages/${into.stage}.js`)) as { default: Stage }).default.lineOf?.(into.options);
  return new BlockProcessor(
    { label: setup.inputLabel, rules: lineRules(setup.steps[0]!.options), ctx: context(0), counters: counters[0]! },
    middle,
    { stripMeta: into.options.strip_meta === true, ctx: context(last), counters: counters[last]!, passesOn: setup.passesOn, lineOf },
  );
}

let queue: Promise<unknown> = start().then((processor) => {
  post({ t: 'ready' });
  return processor;
});
// Blocks are handled one after another, in the order they came.
port.on('message', (message: ToWorker) => {
  queue = queue.then(async (processor) => {
    const blocks = processor as BlockProcessor;
    if (message.t === 'block') {
      send(message.seq, await blocks.process(message.block));
    } else {
      finishing = true;
      const output = await blocks.finish();
      for (const cleanup of cleanups) await cleanup();
      const data = output.data;
      post({ t: 'end', data, records: output.records, operations: output.operations, counters: takeCounts() }, [data.buffer as ArrayBuffer]);
    }
    return blocks;
  }).catch((error: unknown) => {
    post(failure(error));
    // Nothing more is processed after a failure; the main thread stops the run.
    return new Promise(() => undefined);
  });
});
queue.catch((error: unknown) => post(failure(error)));
