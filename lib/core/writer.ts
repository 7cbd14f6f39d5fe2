import { StageError } from './errors.js';
import { isOperation, type Operation } from './operation.js';
import type { JournalBatch, RunJournal } from './journal.js';
import type { RecordOutput, StageContext } from './stage.js';
import type { StreamItem } from './types.js';
import { WriteStopped, writeChecks } from './write-checks.js';

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
  /** Objects held (waiting operations and everything behind them) before every lane is sent. */
  maxHeld: number;
  /**
   * When `maxHeld` is checked: after `every object` (write-sqlite, whose `batch_size` counts the
   * objects a transaction spans), or only after an object `passing` through (write-airtable,
   * whose lanes are bounded by their own size and which bounds only what waits behind them).
   */
  heldLimitAfter: 'every object' | 'passing objects';
  /** Zeroed counts in the writer's order. */
  counts: OutcomeCounts;
  /** Where an operation goes; called as it arrives, in order. */
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

/** The skeleton a writer stage runs on (see the head of this file). */
export function createBatchWriter<P>(ctx: StageContext, target: BatchTarget<P>): BatchWriter {
  return new Batches(ctx, target);
}

class Batches<P> implements BatchWriter {
  readonly counts: OutcomeCounts;
  private readonly queues: Map<string, P[]>;
  private readonly queuedIds = new Set<string>();
  // Objects that may not leave yet: queued operations, and objects waiting for one they brought.
  private readonly waiting = new Set<StreamItem>();
  private readonly broughtBy = new Map<Operation, StreamItem>();
  private held: StreamItem[] = [];
  private fatal: string | undefined;
  private fatalCause: unknown;
  private readonly queued: QueuedView<P>;

  constructor(
    private readonly ctx: StageContext,
    private readonly target: BatchTarget<P>,
  ) {
    this.counts = target.counts;
    this.queues = new Map(target.lanes.map((lane) => [lane, []]));
    this.queued = { lane: (name) => this.queues.get(name)!, hasRecord: (id) => this.queuedIds.has(id) };
  }

  // The synchronous path (write-sqlite's every object) makes no closure and no promise.
  readonly transform = (item: StreamItem): Maybe<RecordOutput> => {
    let lane: Maybe<string | undefined>;
    if (this.target.owns(item)) lane = this.hold(item);
    else {
      const brought = this.target.follows?.(item);
      if (brought === undefined) {
        if (this.held.length === 0) return item;
        this.held.push(item);
        return this.sendDue(undefined, true);
      }
      this.held.push(item);
      lane = this.hold(brought, item);
    }
    return lane instanceof Promise ? lane.then((l) => this.sendDue(l, false)) : this.sendDue(lane, false);
  };

  end(): Maybe<StreamItem[]> {
    return then(this.sendAll(), () => this.release());
  }

  throwIfStopped(): void {
    if (this.fatal !== undefined) throw this.fatalError();
  }

  private fatalError(): StageError {
    return new StageError(this.ctx.stage, `${this.fatal} ${this.counts.failed} operation(s) were not applied; they are in the rejects file with the reason.`, {
      cause: this.fatalCause,
    });
  }

  /** Queues an operation of this writer (or settles it at once), holding it in the stream; returns its lane. */
  private hold(op: Operation, bringer?: StreamItem): Maybe<string | undefined> {
    const route = this.target.route(op);
    if ('outcome' in route) {
      this.settle(op, route.outcome);
      this.held.push(op);
      return undefined;
    }
    const first = this.target.sendFirst?.(route.send, this.queued);
    const sent = first === undefined ? undefined : first === 'all' ? this.sendAll() : this.send(first);
    return sent instanceof Promise ? sent.then(() => this.enqueue(op, route, bringer)) : this.enqueue(op, route, bringer);
  }

  private enqueue(op: Operation, route: { lane: string; send: P }, bringer: StreamItem | undefined): string {
    this.queues.get(route.lane)!.push(route.send);
    if (op.id && this.target.sendFirst) this.queuedIds.add(op.id);
    this.waiting.add(op);
    if (bringer !== undefined) {
      this.waiting.add(bringer);
      this.broughtBy.set(op, bringer);
    }
    this.held.push(op);
    return route.lane;
  }

  /** After `lane` got an operation (or an object passed into the held ones): sends what is due, then releases what may go. */
  private sendDue(lane: string | undefined, passing: boolean): Maybe<StreamItem[]> {
    const sent = lane !== undefined && this.queues.get(lane)!.length >= this.target.batchSize ? this.send(lane) : undefined;
    return sent instanceof Promise ? sent.then(() => this.sendWhenFull(passing)) : this.sendWhenFull(passing);
  }

  /** Sends every lane when `maxHeld` objects are held, then releases what may go. */
  private sendWhenFull(passing: boolean): Maybe<StreamItem[]> {
    const counted = passing || this.target.heldLimitAfter === 'every object';
    const sent = counted && this.held.length >= this.target.maxHeld ? this.sendAll() : undefined;
    return sent instanceof Promise ? sent.then(() => this.release()) : this.release();
  }

  /** The objects that may go on: everything before the first that waits; `on_error` applies to the failed operations among them. */
  private release(): StreamItem[] {
    const held = this.held;
    let ready = 0;
    while (ready < held.length && !this.waiting.has(held[ready]!)) ready++;
    if (ready === 0) return [];
    const out = ready === held.length ? held : held.slice(0, ready);
    this.held = ready === held.length ? [] : held.slice(ready);
    const failedHere = (item: StreamItem): item is Operation => isOperation(item) && item.result?.status === 'failed';
    const failures = out.filter((item): item is Operation => this.target.owns(item) && failedHere(item));
    if (failures.length && this.ctx.onError === 'fail') throw this.target.messages.failures(failures);
    // `skip` sets aside only this writer's failures: another writer's were rejected by that writer
    // under its own policy, and the report and audit log downstream still need to see them.
    if (this.ctx.onError !== 'skip') return out;
    return failures.length ? out.filter((item) => !failures.includes(item as Operation)) : out;
  }

  private sendAll(from = 0): Maybe<void> {
    const lanes = this.target.lanes;
    for (let i = from; i < lanes.length; i++) {
      const sent = this.send(lanes[i]!);
      if (sent instanceof Promise) return sent.then(() => this.sendAll(i + 1));
    }
  }

  private send(lane: string): Maybe<void> {
    const batch = this.queues.get(lane)!;
    if (batch.length === 0) return;
    this.queues.set(lane, []);
    if (this.queuedIds.size > 0) {
      for (const entry of batch) {
        const id = this.target.opOf(entry).id;
        if (id) this.queuedIds.delete(id);
      }
    }
    return this.applyBatch(lane, batch);
  }

  private applyBatch(lane: string, batch: P[]): Maybe<void> {
    const { ctx, target } = this;
    const ops = batch.map(target.opOf);
    if (ctx.dryRun) return this.settleBatch(ops, target.check(lane, batch));
    if (this.fatal !== undefined) return this.settleBatch(ops, this.notApplied(ops, `Not applied: ${this.fatal}`));
    return attempt(
      () => this.applyJournaled(lane, batch, ops),
      ({ outcomes, seqs }) => {
        this.settleBatch(ops, outcomes);
        if (seqs)
          target.journal.open()!.settle(
            seqs,
            outcomes.map((o) => o.journaled ?? o.result),
          );
      },
      (error) => {
        if (error instanceof WriteStopped) throw error;
        const text = error instanceof Error ? error.message : String(error);
        this.fatal = text.startsWith(`${ctx.stage}: `) ? text.slice(ctx.stage.length + 2) : text;
        this.fatalCause = error;
        this.settleBatch(ops, this.notApplied(ops, target.messages.stopped(this.fatal)));
        if (ctx.onError === 'fail') throw this.fatalError();
      },
    );
  }

  /** The batch applied and journaled; its journal marked done here only when the writer journals in its transaction. */
  private applyJournaled(lane: string, batch: P[], ops: Operation[]): Maybe<{ outcomes: Outcome[]; seqs?: number[] }> {
    for (const check of writeChecks(this.ctx)) check();
    const target = this.target;
    const journal = target.journal.open();
    if (journal === undefined) return then(target.apply(lane, batch), (outcomes) => ({ outcomes }));
    if (target.journal.mode === 'in transaction') {
      const intent = journal.batch({ sync: 'soon' });
      return then(target.apply(lane, batch, intent), (outcomes) => {
        journal.settle(
          intent.seqs,
          outcomes.map((o) => o.result),
        );
        return { outcomes };
      });
    }
    return then(target.journal.replaced?.(lane, batch), (before) => {
      const seqs = journal.intend(ops, before);
      return then(target.apply(lane, batch), (outcomes) => ({ outcomes, seqs }));
    });
  }

  private notApplied(ops: Operation[], error: string): Outcome[] {
    return ops.map((op) => ({ result: this.target.messages.failed(op, error) }));
  }

  private settleBatch(ops: Operation[], outcomes: Outcome[]): void {
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      this.settle(op, outcomes[i]!);
      this.waiting.delete(op);
      const bringer = this.broughtBy.get(op);
      if (bringer !== undefined) {
        this.waiting.delete(bringer);
        this.broughtBy.delete(op);
      }
    }
  }

  private settle(op: Operation, outcome: Outcome): void {
    op.result = outcome.result;
    this.counts[outcome.result.status]++;
    if (outcome.result.status === 'failed') this.ctx.reject({ reason: 'write_failed', message: this.target.messages.failure(op, outcome), record: op });
  }
}
