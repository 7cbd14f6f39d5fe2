import { Duplex, Readable, Stream } from 'node:stream';
import { asStream, chain, flushable, many, none } from 'stream-chain';
import { DROPS } from './counters.js';
import { RecordError, StageError } from './errors.js';
import { recordCount } from './jsonl.js';
import { addProblem, describeRecord, type Lead, type RecordProblem } from './record.js';
import type { RecordFunction, RecordTransform, StageContext, StageCounters, StageInstance } from './stage.js';

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
        counters.sent++;
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
  const countIn = (record: Lead): Lead => { counters.received++; return record; };
  const countOut = (record: Lead): Lead => { counters.sent++; return record; };
  return chain([countIn, inner, countOut]) as unknown as Duplex;
}

/** Wraps a per-record function (and its flush) with counting and the `on_error` policy. */
function recordFunction(instance: RecordFunction | RecordTransform, ctx: StageContext, counters: StageCounters) {
  const transform = typeof instance === 'function' ? instance : instance.transform;
  const flush = typeof instance === 'function' ? undefined : instance.flush;
  const drops = counters as unknown as Record<typeof DROPS, number>;

  const emit = (output: unknown, dropsBefore: number): unknown => {
    if (output === undefined || output === null) {
      if (drops[DROPS] === dropsBefore) ctx.drop('filtered');
      return none;
    }
    if (Array.isArray(output)) {
      counters.sent += output.length;
      return many(output);
    }
    counters.sent += recordCount(output);
    return output;
  };

  const fail = (record: Lead, error: unknown): unknown => {
    const kept = failRecord(record, error, ctx, counters);
    if (kept === undefined) return none;
    counters.sent++;
    return kept;
  };

  const finish = (): unknown => {
    const out = flush?.();
    if (out === undefined) return none;
    if (typeof (out as Promise<void>).then === 'function') return (out as Promise<void>).then(() => none);
    return counted(out as AsyncIterable<Lead> | Iterable<Lead>, counters);
  };

  return flushable((record: Lead | typeof none): unknown => {
    if (record === none) return finish();
    counters.received += recordCount(record);
    const dropsBefore = drops[DROPS];
    let output: ReturnType<RecordFunction>;
    try {
      output = transform(record);
    } catch (error) {
      return fail(record, error);
    }
    if (output && typeof (output as Promise<unknown>).then === 'function') {
      return (output as Promise<Lead | Lead[] | undefined>).then((o) => emit(o, dropsBefore), (error) => fail(record, error));
    }
    return emit(output, dropsBefore);
  });
}

/**
 * The `on_error` policy for a record the stage's code threw on: it is counted and rejected with the
 * reason; then `fail` stops the run, `skip` drops the record (undefined) and `tag` returns it with
 * the problem in `_meta`.
 */
export function failRecord(record: Lead, error: unknown, ctx: StageContext, counters: StageCounters): Lead | undefined {
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
