import { Duplex, Readable, Stream } from 'node:stream';
import { asStream, chain, flushable, many, none } from 'stream-chain';
import { DROPS } from './counters.js';
import { RecordError, StageError } from './errors.js';
import { recordCount } from './jsonl.js';
import { addProblem, describeRecord, type Lead, type RecordProblem } from './record.js';
import type { BatchTransform, RecordFunction, RecordOutput, RecordTransform, StageContext, StageCounters, StageInstance } from './stage.js';
import type { StreamItem } from './types.js';
import { WriteStopped } from './write-checks.js';

/**
 * The one place where a stage becomes a Node stream. It counts what passes (received, sent,
 * dropped by reason, rejected, errored, elapsed) and applies the stage's `on_error` policy to
 * records its code throws on. Object-mode streams buffer 16 records per hop, and an async stage
 * function holds its input until it settles: that is the pipeline's backpressure.
 */
export function stageStream(instance: StageInstance, ctx: StageContext, counters: StageCounters, first: boolean): Duplex | Readable {
  const started = performance.now();
  const stopClock = (): void => {
    counters.elapsed_ms = Math.round(performance.now() - started);
  };
  let stream: Duplex | Readable;
  if (instance instanceof Stream) stream = wrapDuplex(instance as Duplex, counters);
  else if (isAsyncIterable(instance)) stream = first ? sourceStream(instance, counters) : appendingSource(instance, counters);
  else {
    if (first) throw new StageError(ctx.stage, 'is not a source, so it cannot be the first step; start the pipeline with a read-… stage');
    stream = asStream(recordFunction(instance, ctx, counters), { highWaterMark: 16 });
  }
  stream.once('end', stopClock);
  stream.once('finish', stopClock);
  return stream;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Lead> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

async function* counted(records: AsyncIterable<Lead> | Iterable<Lead>, counters: StageCounters): AsyncGenerator<Lead> {
  for await (const record of records) {
    counters.sent += recordCount(record);
    yield record;
  }
}

/** A source at the head of a pipeline: pulls from the iterator only while downstream wants more. */
function sourceStream(records: AsyncIterable<Lead>, counters: StageCounters): Readable {
  const iterator = records[Symbol.asyncIterator]();
  let pulling = false;
  const readable = new Readable({
    objectMode: true,
    highWaterMark: 16,
    read() {
      if (pulling) return;
      pulling = true;
      void pull();
    },
    destroy(error, callback) {
      // Let the source release its resources, but do not wait: it may be parked on input that
      // never comes (a stdin pipe), and a stopped run must not hang on it.
      Promise.resolve(iterator.return?.()).catch(() => undefined);
      callback(error);
    },
  });
  const pull = async (): Promise<void> => {
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done) {
          readable.push(null);
          return;
        }
        counters.sent += recordCount(next.value);
        if (!readable.push(next.value)) break;
      }
    } catch (error) {
      readable.destroy(error as Error);
    }
    pulling = false;
  };
  return readable;
}

/** A source placed after another stage: upstream records pass through, then its own follow. */
function appendingSource(records: AsyncIterable<Lead>, counters: StageCounters): Duplex {
  return Duplex.from(async function* (upstream: AsyncIterable<Lead>) {
    for await (const record of upstream) {
      counters.received++;
      counters.sent++;
      yield record;
    }
    yield* counted(records, counters);
  });
}

/** A stage that is a stream by nature: counted on its way in and out. */
function wrapDuplex(inner: Duplex, counters: StageCounters): Duplex {
  const countIn = (record: Lead): Lead => {
    counters.received++;
    return record;
  };
  const countOut = (record: Lead): Lead => {
    counters.sent++;
    return record;
  };
  return chain([countIn, inner, countOut]) as unknown as Duplex;
}

/** What a record became, counted: a record, several, or nothing. */
export type CoreOutput = StreamItem | StreamItem[] | undefined;

/**
 * The adapter's per-record core, shared by the stream wrapper and a parallel run's blocks
 * (lib/parallel/block.ts): counting, drops and the `on_error` policy around a stage's code.
 */
export interface RecordCore {
  /** Takes one record: what came out of the stage for it, counted (a promise when the stage is async). */
  take(record: Lead): CoreOutput | Promise<CoreOutput>;
  /** Hands over what a batch stage holds (counted), without ending it; nothing for the others. */
  release(): Lead[];
  /** Ends the stage: what its flush emits (counted as it is consumed), or a promise, or nothing. */
  finish(): AsyncIterable<Lead> | Promise<void> | undefined;
}

/** The core of a per-record function, a `{ transform, flush }` pair or a `BatchTransform`. */
export function recordCore(instance: RecordFunction | RecordTransform | BatchTransform, ctx: StageContext, counters: StageCounters): RecordCore {
  if (typeof instance !== 'function' && 'batch' in instance) return batchCore(instance, ctx, counters);
  const transform = typeof instance === 'function' ? instance : instance.transform;
  const flush = typeof instance === 'function' ? undefined : instance.flush;
  const drops = counters as unknown as Record<typeof DROPS, number>;

  const emit = (output: RecordOutput, dropsBefore: number): CoreOutput => {
    if (output === undefined || output === null) {
      if (drops[DROPS] === dropsBefore) ctx.drop('filtered');
      return undefined;
    }
    counters.sent += Array.isArray(output) ? output.length : recordCount(output);
    return output;
  };

  const fail = (record: Lead, error: unknown): CoreOutput => {
    const kept = failRecord(record, error, ctx, counters);
    if (kept !== undefined) counters.sent++;
    return kept;
  };

  return {
    take(record) {
      counters.received += recordCount(record);
      const dropsBefore = drops[DROPS];
      let output: ReturnType<RecordFunction>;
      try {
        output = transform(record);
      } catch (error) {
        return fail(record, error);
      }
      if (output && typeof (output as Promise<unknown>).then === 'function') {
        return (output as Promise<RecordOutput>).then(
          (o) => emit(o, dropsBefore),
          (error) => fail(record, error),
        );
      }
      return emit(output as RecordOutput, dropsBefore);
    },
    release: () => [],
    finish() {
      const out = flush?.();
      if (out === undefined) return undefined;
      if (typeof (out as Promise<void>).then === 'function') return out as Promise<void>;
      return counted(out as AsyncIterable<Lead> | Iterable<Lead>, counters);
    },
  };
}

/** The core of a `BatchTransform`: records are held until a batch is full, or until it is released. */
function batchCore(instance: BatchTransform, ctx: StageContext, counters: StageCounters): RecordCore {
  let held: Lead[] = [];
  const fail = (record: Lead, error: unknown): Lead | undefined => failRecord(record, error, ctx, counters);
  const release = (): Lead[] => {
    if (held.length === 0) return held;
    const records = held;
    held = [];
    const out = instance.batch(records, fail);
    counters.sent += out.length;
    return out;
  };
  return {
    take(record) {
      counters.received += recordCount(record);
      held.push(record);
      return held.length >= instance.size ? release() : undefined;
    },
    release,
    finish() {
      instance.flush?.();
      return undefined;
    },
  };
}

/** A per-record core as a stream-chain function: what a record became, then at the end what is held and what flush emits. */
function recordFunction(instance: RecordFunction | RecordTransform | BatchTransform, ctx: StageContext, counters: StageCounters) {
  const core = recordCore(instance, ctx, counters);
  const streamed = (output: CoreOutput): unknown => (output === undefined ? none : Array.isArray(output) ? many(output) : output);
  const finish = (): unknown => {
    const held = core.release();
    const out = core.finish();
    if (held.length === 0) return out === undefined ? none : isAsyncIterable(out) ? out : out.then(() => none);
    if (out === undefined) return many(held);
    return (async function* () {
      yield* held;
      if (isAsyncIterable(out)) yield* out;
      else await out;
    })();
  };
  return flushable((record: Lead | typeof none): unknown => {
    if (record === none) return finish();
    const output = core.take(record);
    if (output && typeof (output as Promise<unknown>).then === 'function') return (output as Promise<CoreOutput>).then(streamed);
    return streamed(output as CoreOutput);
  });
}

/**
 * The `on_error` policy for a record the stage's code threw on: it is counted and rejected with the
 * reason; then `fail` stops the run, `skip` drops the record (undefined) and `tag` returns it with
 * the problem in `_meta`.
 */
export function failRecord(record: Lead, error: unknown, ctx: StageContext, counters: StageCounters): Lead | undefined {
  // Not this record's fault: the run must write nothing more, whatever the policy.
  if (error instanceof WriteStopped) throw error;
  const reason = error instanceof RecordError ? error.reason : 'stage_error';
  const text = error instanceof Error ? error.message : String(error);
  const message = `${describeRecord(record)}: ${text}`;
  counters.errored++;
  ctx.reject({ reason, message, record });
  if (ctx.onError === 'fail') throw new StageError(ctx.stage, message, { cause: error });
  if (ctx.onError === 'skip') return undefined;
  return tagged(record, { problem: reason, message: text });
}

/**
 * The record with the problem added to `_meta.problems`, or undefined when that is impossible (a
 * `_meta` that is not the pipeline's): it is in the rejects file already, so it is then set aside
 * as under `skip` rather than stopping the run.
 */
export function tagged(record: Lead, problem: RecordProblem): Lead | undefined {
  try {
    addProblem(record, problem);
    return record;
  } catch {
    return undefined;
  }
}
