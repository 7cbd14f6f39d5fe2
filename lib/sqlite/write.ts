import { randomUUID } from 'node:crypto';
import type { Operation } from '../core/operation.js';
import type { Db } from './open.js';
import { describeSqliteError, sqliteCode } from './open.js';
import { quoteIdent, type TableMap } from './table.js';
import { mappingName } from '../core/field-mapping.js';
import { toCell, ValueError } from './values.js';

/** The outcome of one operation, as a writer sets it on `Operation.result`. */
export type WriteResult = NonNullable<Operation['result']>;

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
type Statement = ReturnType<Db['prepare']>;

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

/** The SQL function through which an UPDATE hands over the values it replaces (registered on the writer's connection only). */
const CAPTURE_FUNCTION = 'lead_maintenance_replaced';

/** An operation that failed on its own account; the rest of its batch can still be applied. */
class OperationFailure extends Error {}

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
export function createWriter(db: Db, map: TableMap, options: WriterOptions) {
  const now = options.now ?? (() => new Date());
  const newId = options.newId ?? randomUUID;
  const statements = new Map<string, Statement>();
  const statement = (sql: string) => {
    let stmt = statements.get(sql);
    if (!stmt) {
      // Field sets repeat (diff emits the same few shapes); the bound keeps memory flat anyway.
      if (statements.size >= 256) statements.clear();
      stmt = db.prepare(sql);
      statements.set(sql, stmt);
    }
    return stmt;
  };

  function columnsOf(op: Operation): Array<[string, unknown]> {
    const out: Array<[string, unknown]> = [];
    for (const [field, value] of Object.entries(op.fields ?? {})) {
      if (field === '_meta' || value === undefined) continue;
      const column = map.columnOf.get(field)
        ?? [map.createdColumn, map.modifiedColumn, map.idColumn].find((c): c is string => c !== null && c === field);
      if (column === undefined) {
        throw new OperationFailure(`Table '${map.table}' has no column for field '${field}'. Add the column (ALTER TABLE ${quoteIdent(map.table)} ADD COLUMN ${quoteIdent(field)}) or map it in ${mappingName(map.mappingFile)} (local.columns).`);
      }
      try {
        out.push([column, toCell(value, map.typeOf.get(column) ?? '')]);
      } catch (error) {
        throw new OperationFailure(`Field '${field}': ${(error as Error).message}.`);
      }
    }
    return out;
  }

  /** An UPDATE for one set of fields: which of the operation's values to bind, and their columns' types. */
  interface UpdatePlan {
    sql: string;
    take: number[];
    types: string[];
    fields: string[];
    /** Where the id column's value sits among the fields, if the operation repeats it. */
    idAt: number;
    stmt: Statement | undefined;
    /** The columns whose values the update replaces (its own and the modified column). */
    replaced: string[];
  }
  // Updates are the bulk of a run and come in a few shapes (the fields a stage changes), so the
  // SQL, quoting and column lookups are worked out once per shape.
  const updatePlans = new Map<string, UpdatePlan | string>();

  let last: { fields: string[]; plan: UpdatePlan | string } | undefined;

  /** The plan of the last update when `given` sets the same fields in the same order (the usual case), without collecting them. */
  function lastPlanFor(given: Record<string, unknown>): UpdatePlan | string | undefined {
    if (last === undefined) return undefined;
    const fields = last.fields;
    let n = 0;
    for (const field in given) {
      if (field === '_meta' || given[field] === undefined) continue;
      if (fields[n] !== field) return undefined;
      n++;
    }
    return n === fields.length ? last.plan : undefined;
  }

  function updatePlan(fields: string[]): UpdatePlan | string {
    const key = fields.join('\u0000');
    let plan = updatePlans.get(key);
    if (plan !== undefined) {
      last = { fields, plan };
      return plan;
    }
    try {
      const take: number[] = [];
      const columns: string[] = [];
      let idAt = -1;
      fields.forEach((field, i) => {
        const [[column]] = columnsOf({ fields: { [field]: null } } as unknown as Operation);
        if (column === map.idColumn) idAt = i;
        else if (column !== map.modifiedColumn) {
          take.push(i);
          columns.push(column!);
        }
      });
      if (map.modifiedColumn && take.length) columns.push(map.modifiedColumn);
      const sets = columns.map((c) => `${quoteIdent(c)} = ?`).join(', ');
      const id = quoteIdent(map.idColumn);
      // Capturing: the WHERE clause sees the row before the update, so one lookup serves both.
      const capture = options.captureReplaced ? ` AND ${CAPTURE_FUNCTION}(${id} = ?, ${columns.map(quoteIdent).join(', ')})` : '';
      plan = {
        replaced: columns,
        sql: take.length ? `UPDATE ${quoteIdent(map.table)} SET ${sets} WHERE ${id} = ?${capture}` : '',
        stmt: undefined,
        take,
        types: columns.map((c) => map.typeOf.get(c) ?? ''),
        fields,
        idAt,
      };
    } catch (error) {
      if (!(error instanceof OperationFailure)) throw error;
      plan = error.message;
    }
    if (updatePlans.size >= 256) updatePlans.clear();
    updatePlans.set(key, plan);
    last = { fields, plan };
    return plan;
  }

  function prepareUpdate(op: Operation, stamp: string): Prepared {
    const given = op.fields ?? {};
    let plan = lastPlanFor(given);
    if (plan === undefined) {
      const fields: string[] = [];
      for (const field in given) if (field !== '_meta' && given[field] !== undefined) fields.push(field);
      plan = updatePlan(fields);
    }
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
    if (map.modifiedColumn) params.push(stamp);
    params.push(op.id);
    if (options.captureReplaced) params.push(op.id);
    plan.stmt ??= statement(plan.sql);
    return { sql: plan.sql, params, id: op.id, stmt: plan.stmt, replaced: plan.replaced };
  }

  const table = quoteIdent(map.table);
  const byId = ` WHERE ${quoteIdent(map.idColumn)} = ?`;

  /**
   * The SQL for one operation, or why it cannot be applied; checks everything that does not need
   * the data. A create without an id gets one from `assigned` (at its index in the batch), so a
   * batch applied again after a failure gives it the same id.
   */
  function prepare(op: Operation, stamp: string, assigned: string[] = [], index = 0): Prepared {
    try {
      if (op.action === 'create') {
        const cells = columnsOf(op);
        const given = cells.find(([c]) => c === map.idColumn)?.[1];
        const id = op.id ?? (given !== undefined && given !== null ? String(given) : map.idIsInteger ? undefined : (assigned[index] ??= newId()));
        const row = new Map(cells.filter(([c]) => c !== map.idColumn));
        if (map.createdColumn && !row.has(map.createdColumn)) row.set(map.createdColumn, stamp);
        if (map.modifiedColumn) row.set(map.modifiedColumn, stamp);
        const columns = [...(id === undefined ? [] : [map.idColumn]), ...row.keys()];
        const params = [...(id === undefined ? [] : [id]), ...row.values()];
        return { sql: `INSERT INTO ${table} (${columns.map(quoteIdent).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, params, id };
      }
      if (op.id === undefined || op.id === null || op.id === '') throw new OperationFailure(`An ${op.action} needs the id of the local record.`);
      if (op.action === 'update') return prepareUpdate(op, stamp);
      if (op.action === 'delete') return { sql: `DELETE FROM ${table}${byId}`, params: [op.id], id: op.id, replaced: 'row' };
      throw new OperationFailure(`Unknown action '${String(op.action)}'; expected create, update or delete.`);
    } catch (error) {
      if (error instanceof OperationFailure) return { error: error.message };
      throw error;
    }
  }

  // What the running update replaced: the capture function, called from its WHERE clause with the
  // row as it was, leaves the values here. Its first argument is the UPDATE's own id test, made by
  // SQLite, so a row the update does not change leaves nothing, whatever order SQLite checks in.
  let captured: unknown[] | undefined;
  if (options.captureReplaced) {
    db.function(CAPTURE_FUNCTION, { varargs: true, deterministic: false }, (matches: unknown, ...cells: unknown[]) => {
      if (matches) captured = cells;
      return matches;
    });
  }
  // A delete replaces the whole row, so undoing it can put the row back as it was.
  let selectRow: Statement | undefined;

  /** Runs one operation in the open transaction and hands it to `recorder` with what it replaced. */
  function execute(op: Operation, stamp: string, assigned: string[], index: number, recorder: BatchRecorder | undefined): WriteResult {
    const prepared = prepare(op, stamp, assigned, index);
    if ('error' in prepared) {
      recorder?.add(op);
      return { status: 'failed', id: op.id, error: prepared.error };
    }
    if (recorder === undefined) return run(op, prepared);
    const replaced = options.captureReplaced ? prepared.replaced : undefined;
    if (replaced === 'row') {
      selectRow ??= db.prepare(`SELECT * FROM ${table}${byId}`);
      const row = prepared.id === undefined ? undefined : selectRow.get(prepared.id) as Record<string, unknown> | undefined;
      const result = run(op, prepared);
      recorder.add(op, row);
      return result;
    }
    captured = undefined;
    const result = run(op, prepared);
    const cells = captured as unknown[] | undefined;
    if (replaced !== undefined && cells !== undefined) recorder.addColumns(op, replaced, cells);
    else recorder.add(op);
    return result;
  }

  function run(op: Operation, prepared: Exclude<Prepared, { error: string }>): WriteResult {
    if (prepared.sql === '') return { status: 'skipped', id: prepared.id, error: 'nothing to change' };
    // Separate arguments: better-sqlite3 binds them faster than one array.
    const info = (prepared.stmt ?? statement(prepared.sql)).run(...prepared.params);
    if (op.action === 'create') return { status: 'applied', id: prepared.id ?? String(info.lastInsertRowid) };
    if (info.changes > 0) return { status: 'applied', id: prepared.id };
    if (op.action === 'delete') return { status: 'skipped', id: prepared.id, error: 'already deleted' };
    throw new OperationFailure(`There is no local record with id ${prepared.id} in table '${map.table}'; it may have been deleted since it was read.`);
  }

  return {
    /** Checks a batch without applying it: each operation's result is `dry_run`, or `failed` with the reason. */
    check(ops: Operation[]): WriteResult[] {
      const stamp = now().toISOString();
      return ops.map((op) => {
        const prepared = prepare(op, stamp);
        return 'error' in prepared ? { status: 'failed', id: op.id, error: prepared.error } : { status: 'dry_run', id: op.id ?? prepared.id };
      });
    },

    /**
     * Applies a batch; the results are in the order of `ops`. `recorder` (the run journal) gets
     * every operation as its statement runs and is sealed before the commit; if it throws,
     * nothing of the batch is applied.
     */
    apply(ops: Operation[], recorder?: BatchRecorder): WriteResult[] {
      const stamp = now().toISOString();
      // Set as operations run; a `failed` one stays failed when the batch is applied again without it.
      const results: Array<WriteResult | undefined> = new Array(ops.length);
      const assigned: string[] = [];
      for (;;) {
        let failing = -1;
        let sealing = false;
        try {
          db.transaction(() => {
            recorder?.begin();
            for (let i = 0; i < ops.length; i++) {
              if (results[i] !== undefined) {
                recorder?.add(ops[i]!);
                continue;
              }
              failing = i;
              results[i] = execute(ops[i]!, stamp, assigned, i, recorder);
            }
            failing = -1;
            sealing = true;
            recorder?.seal();
          }).immediate();
        } catch (error) {
          if (!sealing) recorder?.discard();
          if (failing < 0 || !isOperationError(error)) throw describeSqliteError(error, options.file, options.who);
          for (let i = 0; i < ops.length; i++) if (results[i]?.status !== 'failed') results[i] = undefined;
          results[failing] = { status: 'failed', id: ops[failing]!.id, error: (error as Error).message };
          continue;
        }
        return results as WriteResult[];
      }
    },
  };
}

export type Writer = ReturnType<typeof createWriter>;
