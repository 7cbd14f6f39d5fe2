import { randomUUID } from 'node:crypto';
import type { Operation } from '../core/operation.js';
import type { WriteResult } from '../core/writer.js';
import type { Db } from './open.js';
import { describeSqliteError, sqliteCode } from './open.js';
import { quoteIdent, type TableMap } from './table.js';
import { ValueError, toCell } from './values.js';
import { CAPTURE_FUNCTION, columnsOf, OperationFailure, StatementCache, UpdatePlans, type Statement } from './update-plans.js';

export type { WriteResult };

/** How a writer gets the time and new ids (injectable, so tests get stable output). */
export interface WriterOptions {
  now?: () => Date;
  newId?: () => string;
  /** The database file, for error messages. */
  file: string;
  /** Who writes, for error messages. */
  who?: string;
  /** Read what each update and delete replaces, for `apply`'s recorder (the run journal). */
  captureReplaced?: boolean;
}

/** A statement and its parameters for one operation, or why it cannot be applied. */
type Prepared = { sql: string; params: unknown[]; id: string | undefined; stmt?: Statement; replaced?: Replaced } | { error: string };
/** What an operation replaces: for an update its columns (captured by the UPDATE itself), for a delete the whole row. */
type Replaced = string[] | 'row';

/**
 * Where `apply` records each operation of a batch (the run journal), inside the batch's
 * transaction: in order, each right after its statement ran, with what it replaced as read by
 * that statement itself (so no other writer can slip in between). `seal` comes once every
 * statement ran and before the commit, so the record is on disk before the batch is.
 */
export interface BatchRecorder {
  /** A transaction attempt starts: whatever an earlier attempt recorded is void. */
  begin(): void;
  /** An operation took its turn; `before` is the row a delete removed. (Creates, operations that failed, and updates that changed nothing replace nothing known.) */
  add(op: Operation, before?: Record<string, unknown>): void;
  /** An update ran, replacing `cells` of `columns`. */
  addColumns(op: Operation, columns: readonly string[], cells: readonly unknown[]): void;
  /** Every statement of the batch ran; it commits next. Throwing here rolls the batch back. */
  seal(): void;
  /** The attempt rolled back before `seal`. */
  discard(): void;
}

/** Errors that belong to one operation (its values), as opposed to the database as a whole (busy, full, corrupt). */
function isOperationError(error: unknown): boolean {
  const code = sqliteCode(error) ?? '';
  if (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG' || code === 'SQLITE_RANGE') return true;
  return error instanceof OperationFailure || error instanceof ValueError || error instanceof TypeError || error instanceof RangeError;
}

/**
 * Applies local operations to a table in transactions. A batch runs in one immediate
 * transaction; when an operation fails on its own account (a constraint, a value SQLite cannot
 * hold, a missing row), the transaction rolls back, that operation is marked failed with the
 * reason, and the rest of the batch is applied again without it. Errors of the whole database
 * (locked past the busy timeout, disk full, corrupt) are thrown.
 */
export function createWriter(db: Db, map: TableMap, options: WriterOptions): SqliteWriter {
  return new SqliteWriter(db, map, options);
}

export type Writer = SqliteWriter;

export class SqliteWriter {
  private readonly now: () => Date;
  private readonly newId: () => string;
  private readonly statements: StatementCache;
  private readonly updates: UpdatePlans;
  private readonly table: string;
  private readonly byId: string;
  // What the running update replaced: the capture function, called from its WHERE clause with the
  // row as it was, leaves the values here. Its first argument is the UPDATE's own id test, made by
  // SQLite, so a row the update does not change leaves nothing, whatever order SQLite checks in.
  private captured: unknown[] | undefined;
  // A delete replaces the whole row, so undoing it can put the row back as it was.
  private selectRow: Statement | undefined;

  constructor(
    private readonly db: Db,
    private readonly map: TableMap,
    private readonly options: WriterOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
    this.statements = new StatementCache(db);
    this.updates = new UpdatePlans(map, options.captureReplaced === true);
    this.table = quoteIdent(map.table);
    this.byId = ` WHERE ${quoteIdent(map.idColumn)} = ?`;
    if (options.captureReplaced) {
      db.function(CAPTURE_FUNCTION, { varargs: true, deterministic: false }, (matches: unknown, ...cells: unknown[]) => {
        if (matches) this.captured = cells;
        return matches;
      });
    }
  }

  /** Checks a batch without applying it: each operation's result is `dry_run`, or `failed` with the reason. */
  check(ops: Operation[]): WriteResult[] {
    const stamp = this.now().toISOString();
    return ops.map((op) => {
      const prepared = this.prepare(op, stamp);
      return 'error' in prepared ? { status: 'failed', id: op.id, error: prepared.error } : { status: 'dry_run', id: op.id ?? prepared.id };
    });
  }

  /**
   * Applies a batch; the results are in the order of `ops`. `recorder` (the run journal) gets
   * every operation as its statement runs and is sealed before the commit; if it throws,
   * nothing of the batch is applied.
   */
  apply(ops: Operation[], recorder?: BatchRecorder): WriteResult[] {
    const stamp = this.now().toISOString();
    // Set as operations run; a `failed` one stays failed when the batch is applied again without it.
    const results: Array<WriteResult | undefined> = new Array(ops.length);
    const assigned: string[] = [];
    for (;;) {
      const failing = this.attempt(ops, results, { stamp, assigned, recorder });
      if (failing === undefined) return results as WriteResult[];
      for (let i = 0; i < ops.length; i++) if (results[i]?.status !== 'failed') results[i] = undefined;
      results[failing.index] = { status: 'failed', id: ops[failing.index]!.id, error: failing.error.message };
    }
  }

  /**
   * One transaction over the batch, skipping the operations already failed: undefined once it
   * committed, else the operation that failed on its own account (everything rolled back).
   */
  private attempt(ops: Operation[], results: Array<WriteResult | undefined>, batch: BatchRun): { index: number; error: Error } | undefined {
    const recorder = batch.recorder;
    let failing = -1;
    let sealing = false;
    try {
      this.db
        .transaction(() => {
          recorder?.begin();
          for (let i = 0; i < ops.length; i++) {
            if (results[i] !== undefined) {
              recorder?.add(ops[i]!);
              continue;
            }
            failing = i;
            results[i] = this.execute(ops[i]!, batch, i);
          }
          failing = -1;
          sealing = true;
          recorder?.seal();
        })
        .immediate();
      return undefined;
    } catch (error) {
      if (!sealing) recorder?.discard();
      if (failing < 0 || !isOperationError(error)) throw describeSqliteError(error, this.options.file, this.options.who);
      return { index: failing, error: error as Error };
    }
  }

  /**
   * The SQL for one operation, or why it cannot be applied; checks everything that does not need
   * the data. A create without an id gets one from `assigned` (at its index in the batch), so a
   * batch applied again after a failure gives it the same id.
   */
  private prepare(op: Operation, stamp: string, assigned: string[] = [], index = 0): Prepared {
    try {
      if (op.action === 'create') return this.prepareCreate(op, stamp, assigned, index);
      if (op.id === undefined || op.id === null || op.id === '') throw new OperationFailure(`An ${op.action} needs the id of the local record.`);
      if (op.action === 'update') return this.prepareUpdate(op, stamp);
      if (op.action === 'delete') return { sql: `DELETE FROM ${this.table}${this.byId}`, params: [op.id], id: op.id, replaced: 'row' };
      throw new OperationFailure(`Unknown action '${String(op.action)}'; expected create, update or delete.`);
    } catch (error) {
      if (error instanceof OperationFailure) return { error: error.message };
      throw error;
    }
  }

  private prepareCreate(op: Operation, stamp: string, assigned: string[], index: number): Prepared {
    const map = this.map;
    const cells = columnsOf(map, op.fields ?? {});
    const given = cells.find(([c]) => c === map.idColumn)?.[1];
    const id = op.id ?? (given !== undefined && given !== null ? String(given) : map.idIsInteger ? undefined : (assigned[index] ??= this.newId()));
    const row = new Map(cells.filter(([c]) => c !== map.idColumn));
    if (map.createdColumn && !row.has(map.createdColumn)) row.set(map.createdColumn, stamp);
    if (map.modifiedColumn) row.set(map.modifiedColumn, stamp);
    const columns = [...(id === undefined ? [] : [map.idColumn]), ...row.keys()];
    const params = [...(id === undefined ? [] : [id]), ...row.values()];
    return { sql: `INSERT INTO ${this.table} (${columns.map(quoteIdent).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, params, id };
  }

  private prepareUpdate(op: Operation, stamp: string): Prepared {
    const given = op.fields ?? {};
    const plan = this.updates.of(given);
    if (typeof plan === 'string') return { error: plan };
    if (plan.idAt >= 0 && String(given[plan.fields[plan.idAt]!]) !== String(op.id)) return { error: 'An update cannot change the record id.' };
    if (plan.sql === '') return { sql: '', params: [], id: op.id };
    const take = plan.take;
    const params: unknown[] = [];
    for (let i = 0; i < take.length; i++) {
      const field = plan.fields[take[i]!]!;
      try {
        params.push(toCell(given[field], plan.types[i]!));
      } catch (error) {
        return { error: `Field '${field}': ${(error as Error).message}.` };
      }
    }
    if (this.map.modifiedColumn) params.push(stamp);
    params.push(op.id);
    if (this.options.captureReplaced) params.push(op.id);
    plan.stmt ??= this.statements.get(plan.sql);
    return { sql: plan.sql, params, id: op.id, stmt: plan.stmt, replaced: plan.replaced };
  }

  /** Runs one operation in the open transaction and hands it to the recorder with what it replaced. */
  private execute(op: Operation, batch: BatchRun, index: number): WriteResult {
    const { recorder } = batch;
    const prepared = this.prepare(op, batch.stamp, batch.assigned, index);
    if ('error' in prepared) {
      recorder?.add(op);
      return { status: 'failed', id: op.id, error: prepared.error };
    }
    if (recorder === undefined) return this.run(op, prepared);
    const replaced = this.options.captureReplaced ? prepared.replaced : undefined;
    if (replaced === 'row') {
      this.selectRow ??= this.db.prepare(`SELECT * FROM ${this.table}${this.byId}`);
      const row = prepared.id === undefined ? undefined : (this.selectRow.get(prepared.id) as Record<string, unknown> | undefined);
      const result = this.run(op, prepared);
      recorder.add(op, row);
      return result;
    }
    this.captured = undefined;
    const result = this.run(op, prepared);
    const cells = this.captured as unknown[] | undefined;
    if (replaced !== undefined && cells !== undefined) recorder.addColumns(op, replaced, cells);
    else recorder.add(op);
    return result;
  }

  private run(op: Operation, prepared: Exclude<Prepared, { error: string }>): WriteResult {
    if (prepared.sql === '') return { status: 'skipped', id: prepared.id, error: 'nothing to change' };
    // Separate arguments: better-sqlite3 binds them faster than one array.
    const info = (prepared.stmt ?? this.statements.get(prepared.sql)).run(...prepared.params);
    if (op.action === 'create') return { status: 'applied', id: prepared.id ?? String(info.lastInsertRowid) };
    if (info.changes > 0) return { status: 'applied', id: prepared.id };
    if (op.action === 'delete') return { status: 'skipped', id: prepared.id, error: 'already deleted' };
    throw new OperationFailure(`There is no local record with id ${prepared.id} in table '${this.map.table}'; it may have been deleted since it was read.`);
  }
}

/** What one application of a batch shares across its attempts. */
interface BatchRun {
  stamp: string;
  /** The ids given to creates without one, by index, so an attempt after a failure gives the same. */
  assigned: string[];
  recorder: BatchRecorder | undefined;
}
