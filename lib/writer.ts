import { StageError } from './errors.js';
import { isOperation, type Operation } from './operation.js';
import type { JournalBatch, RunJournal } from './safety/journal.js';
import type { RecordOutput, StageContext } from './stage.js';
import type { StreamItem } from './types.js';

/**
 * The skeleton of a writer stage (`write-sqlite`, `write-airtable`): it takes the operations of
 * its system out of the stream, applies them in batches and passes every object on, in order,
 * each operation with its outcome in `result`. A writer says how it applies a batch; the skeleton
 * does the rest, the same way for every writer:
 *
 * - order: an object arriving while operations wait for their batch is held behind them, and
 *   released once everything before it is applied;
 * - batching: operations queue in lanes (one per kind of request a writer sends), a lane is sent
 *   when it holds `batchSize` operations, and every lane when `maxHeld` objects are held;
 * - the run journal: a batch is journaled before it is applied and marked with its outcome after;
 * - outcomes: each operation's result, the counts, and a reject for each that failed;
 * - a failure of the target as a whole (locked, full, token refused): nothing more is applied,
 *   every later operation fails with "Not applied: …", and the run fails at the end;
 * - `on_error` for failed operations (`fail` stops the run, `skip` sets them aside, `tag` passes
 *   them on) and dry run (a batch is checked, not applied).
 *
 * A writer whose batches apply synchronously (SQLite) stays synchronous: nothing here waits
 * unless a writer's own step returns a promise.
 */

/** The outcome a writer sets on an operation. */
export type WriteResult = NonNullable<Operation['result']>;

/** What applying (or checking) one operation came to. */
export interface Outcome {
  /** Set on the operation as its `result`. */
  result: WriteResult;
  /** The field the target named when it refused the operation, for the message. */
  field?: string;
  /** What the journal records, where it says more than `result` (an upsert that found its lead). */
  journaled?: WriteResult;
}

/** The counts of outcomes, in the order a writer's last log line names them. */
export type OutcomeCounts = Record<WriteResult['status'], number>;

/** Where an operation goes: into a lane's batch, as what the writer sends for it, or straight to an outcome known without sending. */
export type Route<P> = { lane: string; send: P } | { outcome: Outcome };

/** What a writer tells the skeleton; `P` is what it queues for each operation (the operation itself, or a request ready to send). */
export interface BatchTarget<P> {
  /** This writer's operations; every other object passes through. */
  owns(item: StreamItem): item is Operation;
  /** The lanes, in the order they are sent when all are. */
  lanes: readonly string[];
  /** Operations a lane holds before it is sent. */
  batchSize: number;
  /** Objects held before every lane is sent; counted after `every object`, or only after an object passing through. */
  maxHeld: number;
  heldLimitAfter: 'every object' | 'passing objects';
  /** Zeroed counts in the writer's order. */
  counts: OutcomeCounts;
  route(op: Operation): Route<P>;
  /** The operation a queued entry applies. */
  opOf(send: P): Operation;
  /** The lanes to send before `send` joins its own, so two operations on one record keep their order. */
  sendFirst?(send: P, queued: QueuedView<P>): string | 'all' | undefined;
  /** An operation the writer adds after `item`; `item` waits for it (write-sqlite's link write-back). */
  follows?(item: StreamItem): Operation | undefined;
  /** A dry run's outcomes: checked, not applied. */
  check(lane: string, batch: P[]): Outcome[];
  /** Applies a batch. `intent` is its journal batch when the writer journals inside its transaction. */
  apply(lane: string, batch: P[], intent?: JournalBatch): Outcome[] | Promise<Outcome[]>;
  journal: JournalSteps<P>;
  messages: WriterMessages;
  /**
   * Under `skip`, set aside every failed operation held, another writer's too, not only this
   * writer's (write-sqlite always did; kept so its output does not change).
   */
  skipsEveryFailedOperation?: boolean;
}

/** How a writer's batches reach the run journal. */
export interface JournalSteps<P> {
  /** The run journal, when the run keeps one (it may be opened on first use). */
  open(): RunJournal | undefined;
  /**
   * `in transaction`: the writer adds each operation to the journal batch inside its transaction
   * as its statement runs, and the batch is marked done before the operations get their outcome
   * (a local database). `before sending`: the batch is journaled whole, with what each operation
   * replaces, before the request goes, and marked done after the outcomes (a remote one: a request
   * cannot be taken back, so the journal must be on disk first).
   */
  mode: 'in transaction' | 'before sending';
  /** For `before sending`: what each operation of a batch replaces, read from the target, when the writer can read it. */
  replaced?(lane: string, batch: P[]): ReplacedOf | undefined | Promise<ReplacedOf | undefined>;
}

export type ReplacedOf = (op: Operation) => Record<string, unknown> | undefined;

/** The writer's own words. */
export interface WriterMessages {
  /** The result of an operation the writer did not apply because of `error`. */
  failed(op: Operation, error: string): WriteResult;
  /** The rejects file's message for a failed operation. */
  failure(op: Operation, outcome: Outcome): string;
  /** Under `on_error: fail`, the error for the failed operations among the objects released. */
  failures(failed: Operation[]): Error;
  /** Logs that the target failed as a whole (`fatal`, the error's message); returns the error each operation of that batch gets. */
  stopped(fatal: string): string;
}

/** The batches waiting to be sent, as `sendFirst` sees them. */
export interface QueuedView<P> {
  lane(name: string): readonly P[];
  /** True when an operation on the record with this id waits in a lane. */
  hasRecord(id: string): boolean;
}

type Maybe<T> = T | Promise<T>;

/** `next(value)`, synchronously when `value` is not a promise. */
function then<T, R>(value: Maybe<T>, next: (value: T) => Maybe<R>): Maybe<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/** `run()` then `next`, or `fail` when `run` throws or rejects (an error in `next` is not caught). */
function attempt<T, R>(run: () => Maybe<T>, next: (value: T) => Maybe<R>, fail: (error: unknown) => Maybe<R>): Maybe<R> {
  let value: Maybe<T>;
  try {
    value = run();
  } catch (error) {
    return fail(error);
  }
  return value instanceof Promise ? value.then(next, fail) : next(value);
}

/** A writer stage's instance: `transform` and `end` (send what is left, release everything held). */
export interface BatchWriter {
  transform(item: StreamItem): Maybe<RecordOutput>;
  end(): Maybe<StreamItem[]>;
  counts: OutcomeCounts;
  /** Throws the run's failure when the target failed as a whole. */
  throwIfStopped(): void;
}

export function createBatchWriter<P>(ctx: StageContext, target: BatchTarget<P>): BatchWriter {
  const { owns, lanes, counts, messages } = target;
  const queues = new Map<string, P[]>(lanes.map((lane) => [lane, []]));
  const queuedIds = new Set<string>();
  // Objects that may not leave yet: queued operations, and objects waiting for one they brought.
  const waiting = new Set<StreamItem>();
  const broughtBy = new Map<Operation, StreamItem>();
  let held: StreamItem[] = [];
  let fatal: string | undefined;

  const queued: QueuedView<P> = { lane: (name) => queues.get(name)!, hasRecord: (id) => queuedIds.has(id) };

  function fatalError(): StageError {
    return new StageError(ctx.stage, `${fatal} ${counts.failed} operation(s) were not applied; they are in the rejects file with the reason.`);
  }

  function settle(op: Operation, outcome: Outcome): void {
    op.result = outcome.result;
    counts[outcome.result.status]++;
    if (outcome.result.status === 'failed') ctx.reject({ reason: 'write_failed', message: messages.failure(op, outcome), record: op });
  }

  function settleBatch(ops: Operation[], outcomes: Outcome[]): void {
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      settle(op, outcomes[i]!);
      waiting.delete(op);
      const bringer = broughtBy.get(op);
      if (bringer !== undefined) {
        waiting.delete(bringer);
        broughtBy.delete(op);
      }
    }
  }

  /** The batch applied and journaled; its journal marked done here only when the writer journals in its transaction. */
  function applyJournaled(lane: string, batch: P[], ops: Operation[]): Maybe<{ outcomes: Outcome[]; seqs?: number[] }> {
    const journal = target.journal.open();
    if (journal === undefined) return then(target.apply(lane, batch), (outcomes) => ({ outcomes }));
    if (target.journal.mode === 'in transaction') {
      const intent = journal.batch({ sync: 'soon' });
      return then(target.apply(lane, batch, intent), (outcomes) => {
        journal.settle(intent.seqs, outcomes.map((o) => o.result));
        return { outcomes };
      });
    }
    return then(target.journal.replaced?.(lane, batch), (before) => {
      const seqs = journal.intend(ops, before);
      return then(target.apply(lane, batch), (outcomes) => ({ outcomes, seqs }));
    });
  }

  function applyBatch(lane: string, batch: P[]): Maybe<void> {
    const ops = batch.map(target.opOf);
    if (ctx.dryRun) return settleBatch(ops, target.check(lane, batch));
    if (fatal !== undefined) return settleBatch(ops, ops.map((op) => ({ result: messages.failed(op, `Not applied: ${fatal}`) })));
    return attempt(() => applyJournaled(lane, batch, ops), ({ outcomes, seqs }) => {
      settleBatch(ops, outcomes);
      if (seqs) target.journal.open()!.settle(seqs, outcomes.map((o) => o.journaled ?? o.result));
    }, (error) => {
      const text = error instanceof Error ? error.message : String(error);
      fatal = text.startsWith(`${ctx.stage}: `) ? text.slice(ctx.stage.length + 2) : text;
      const lost = messages.stopped(fatal);
      settleBatch(ops, ops.map((op) => ({ result: messages.failed(op, lost) })));
      if (ctx.onError === 'fail') throw fatalError();
    });
  }

  function send(lane: string): Maybe<void> {
    const batch = queues.get(lane)!;
    if (batch.length === 0) return;
    queues.set(lane, []);
    for (const entry of batch) {
      const id = target.opOf(entry).id;
      if (id) queuedIds.delete(id);
    }
    return applyBatch(lane, batch);
  }

  function sendAll(from = 0): Maybe<void> {
    for (let i = from; i < lanes.length; i++) {
      const sent = send(lanes[i]!);
      if (sent instanceof Promise) return sent.then(() => sendAll(i + 1));
    }
  }

  /** The objects that may go on: everything before the first that waits; `on_error` applies to the failed operations among them. */
  function release(): StreamItem[] {
    let ready = 0;
    while (ready < held.length && !waiting.has(held[ready]!)) ready++;
    if (ready === 0) return [];
    const out = ready === held.length ? held : held.slice(0, ready);
    held = ready === held.length ? [] : held.slice(ready);
    const failedHere = (item: StreamItem): item is Operation => isOperation(item) && item.result?.status === 'failed';
    const failures = out.filter((item): item is Operation => owns(item) && failedHere(item));
    if (failures.length && ctx.onError === 'fail') throw messages.failures(failures);
    if (ctx.onError !== 'skip') return out;
    if (target.skipsEveryFailedOperation) return out.filter((item) => !failedHere(item));
    return failures.length ? out.filter((item) => !failures.includes(item as Operation)) : out;
  }

  /** Queues an operation of this writer (or settles it at once), holding it in the stream. */
  function hold(op: Operation, bringer?: StreamItem): Maybe<string | undefined> {
    const route = target.route(op);
    if ('outcome' in route) {
      settle(op, route.outcome);
      held.push(op);
      return undefined;
    }
    const first = target.sendFirst?.(route.send, queued);
    return then(first === undefined ? undefined : first === 'all' ? sendAll() : send(first), () => {
      queues.get(route.lane)!.push(route.send);
      if (op.id) queuedIds.add(op.id);
      waiting.add(op);
      if (bringer !== undefined) {
        waiting.add(bringer);
        broughtBy.set(op, bringer);
      }
      held.push(op);
      return route.lane;
    });
  }

  /** After `lane` got an operation (or an object passed into the held ones): sends what is due, then releases what may go. */
  function sendDue(lane: string | undefined, passing: boolean): Maybe<StreamItem[]> {
    let sent: Maybe<void> = undefined;
    if (lane !== undefined && queues.get(lane)!.length >= target.batchSize) sent = send(lane);
    const counted = passing || target.heldLimitAfter === 'every object';
    return then(sent, () => then(counted && held.length >= target.maxHeld ? sendAll() : undefined, release));
  }

  return {
    counts,
    transform(item: StreamItem): Maybe<RecordOutput> {
      if (owns(item)) return then(hold(item), (lane) => sendDue(lane, false));
      const brought = target.follows?.(item);
      if (brought === undefined) {
        if (held.length === 0) return item;
        held.push(item);
        return sendDue(undefined, true);
      }
      held.push(item);
      return then(hold(brought, item), (lane) => sendDue(lane, false));
    },
    end: () => then(sendAll(), release),
    throwIfStopped(): void {
      if (fatal !== undefined) throw fatalError();
    },
  };
}
