import { randomUUID } from 'node:crypto';
import type { Operation } from '../operation.js';
import type { Db } from './open.js';
import { describeSqliteError, sqliteCode } from './open.js';
import { quoteIdent, type TableMap } from './table.js';
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
  /** Read what each update and delete replaces, for `apply`'s `beforeCommit` (the run journal). */
  captureReplaced?: boolean;
}

/** A statement and its parameters for one operation, or why it cannot be applied. */
type Prepared = { sql: string; params: unknown[]; id: string | undefined; stmt?: Statement; replaced?: Replaced } | { error: string };
/** What an operation replaces: for an update its columns (captured by the UPDATE itself), for a delete the whole row. */
type Replaced = string[] | 'row';
type Statement = ReturnType<Db['prepare']>;

/**
 * Called inside a batch's transaction after its statements ran and before it commits, with the
 * values each update or delete replaced, read in that same transaction (so no other writer can
 * slip in between): the run journal is written here, so it is on disk before the batch is.
 */
export type BeforeCommit = (ops: Operation[], replaced: Array<Record<string, unknown> | undefined>) => void;

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
        throw new OperationFailure(`Table '${map.table}' has no column for field '${field}'. Add the column (ALTER TABLE ${quoteIdent(map.table)} ADD COLUMN ${quoteIdent(field)}) or map it in config/field-mapping.yaml (local.columns).`);
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

  function updatePlan(fields: string[]): UpdatePlan | string {
    // Consecutive operations usually change the same fields: skip the key and the lookup.
    if (last && last.fields.length === fields.length && last.fields.every((f, i) => f === fields[i])) return last.plan;
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
      const capture = options.captureReplaced ? ` AND ${CAPTURE_FUNCTION}(?, ${id}, ${columns.map(quoteIdent).join(', ')})` : '';
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
    const fields: string[] = [];
    const values: unknown[] = [];
    const given = op.fields ?? {};
    for (const field in given) {
      const value = given[field];
      if (field === '_meta' || value === undefined) continue;
      fields.push(field);
      values.push(value);
    }
    const plan = updatePlan(fields);
    if (typeof plan === 'string') return { error: plan };
    if (plan.idAt >= 0 && String(values[plan.idAt]) !== String(op.id)) return { error: 'An update cannot change the record id.' };
    if (plan.sql === '') return { sql: '', params: [], id: op.id };
    const params: unknown[] = new Array(plan.take.length);
    for (let i = 0; i < plan.take.length; i++) {
      const at = plan.take[i]!;
      try {
        params[i] = toCell(values[at], plan.types[i]!);
      } catch (error) {
        return { error: `Field '${plan.fields[at]}': ${(error as Error).message}.` };
      }
    }
    if (map.modifiedColumn) params.push(stamp);
    params.push(op.id);
    if (options.captureReplaced) params.push(op.id);
    plan.stmt ??= statement(plan.sql);
    return { sql: plan.sql, params, id: op.id, stmt: plan.stmt, replaced: plan.replaced };
  }

  /** The SQL for one operation, or why it cannot be applied; checks everything that does not need the data. */
  function prepare(op: Operation, stamp: string): Prepared {
    try {
      const table = quoteIdent(map.table);
      if (op.action === 'create') {
        const cells = columnsOf(op);
        const given = cells.find(([c]) => c === map.idColumn)?.[1];
        const id = op.id ?? (given !== undefined && given !== null ? String(given) : map.idIsInteger ? undefined : newId());
        const row = new Map(cells.filter(([c]) => c !== map.idColumn));
        if (map.createdColumn && !row.has(map.createdColumn)) row.set(map.createdColumn, stamp);
        if (map.modifiedColumn) row.set(map.modifiedColumn, stamp);
        const columns = [...(id === undefined ? [] : [map.idColumn]), ...row.keys()];
        const params = [...(id === undefined ? [] : [id]), ...row.values()];
        return { sql: `INSERT INTO ${table} (${columns.map(quoteIdent).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, params, id };
      }
      if (op.id === undefined || op.id === null || op.id === '') throw new OperationFailure(`An ${op.action} needs the id of the local record.`);
      const where = ` WHERE ${quoteIdent(map.idColumn)} = ?`;
      if (op.action === 'delete') return { sql: `DELETE FROM ${table}${where}`, params: [op.id], id: op.id, replaced: 'row' };
      if (op.action !== 'update') throw new OperationFailure(`Unknown action '${String(op.action)}'; expected create, update or delete.`);
      return prepareUpdate(op, stamp);
    } catch (error) {
      if (error instanceof OperationFailure) return { error: error.message };
      throw error;
    }
  }

  // What the running update replaced: the capture function, called from its WHERE clause with the
  // row as it was, leaves the values here. (It checks the id, so a row it is asked about that the
  // update does not change leaves nothing.)
  let captured: unknown[] | undefined;
  if (options.captureReplaced) {
    db.function(CAPTURE_FUNCTION, { varargs: true, deterministic: false }, (expected: unknown, actual: unknown, ...cells: unknown[]) => {
      if (String(expected) !== String(actual)) return 0;
      captured = cells;
      return 1;
    });
  }
  // A delete replaces the whole row, so undoing it can put the row back as it was.
  let selectRow: Statement | undefined;

  /** Runs one operation and puts what it replaced at `at` in `into`. */
  function runCapturing(op: Operation, prepared: Exclude<Prepared, { error: string }>, into: Array<Record<string, unknown> | undefined>, at: number): WriteResult {
    const replaced = prepared.replaced;
    if (replaced === 'row') {
      selectRow ??= db.prepare(`SELECT * FROM ${quoteIdent(map.table)} WHERE ${quoteIdent(map.idColumn)} = ?`);
      if (prepared.id !== undefined) into[at] = selectRow.get(prepared.id) as Record<string, unknown> | undefined;
      return run(op, prepared);
    }
    captured = undefined;
    const result = run(op, prepared);
    const cells = captured as unknown[] | undefined;
    if (replaced && cells) {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < replaced.length; i++) row[replaced[i]!] = cells[i];
      into[at] = row;
    }
    return result;
  }

  function run(op: Operation, prepared: Exclude<Prepared, { error: string }>): WriteResult {
    if (prepared.sql === '') return { status: 'skipped', id: prepared.id, error: 'nothing to change' };
    const info = (prepared.stmt ?? statement(prepared.sql)).run(prepared.params);
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
     * Applies a batch; the results are in the order of `ops`. `beforeCommit` (the run journal)
     * sees the batch and what it replaces once every statement ran, before the commit; if it
     * throws, nothing of the batch is applied.
     */
    apply(ops: Operation[], beforeCommit?: BeforeCommit): WriteResult[] {
      const stamp = now().toISOString();
      const results: Array<WriteResult | undefined> = new Array(ops.length);
      const prepared = ops.map((op, i) => {
        const p = prepare(op, stamp);
        if ('error' in p) results[i] = { status: 'failed', id: op.id, error: p.error };
        return p;
      });
      for (;;) {
        const attempt: Array<WriteResult | undefined> = new Array(ops.length);
        const capturing = beforeCommit !== undefined && options.captureReplaced === true;
        const replaced: Array<Record<string, unknown> | undefined> = new Array(ops.length);
        let failing = -1;
        try {
          db.transaction(() => {
            for (let i = 0; i < ops.length; i++) {
              const p = prepared[i]!;
              if (results[i] || 'error' in p) continue;
              failing = i;
              attempt[i] = capturing ? runCapturing(ops[i]!, p, replaced, i) : run(ops[i]!, p);
            }
            failing = -1;
            beforeCommit?.(ops, replaced);
          }).immediate();
        } catch (error) {
          if (failing < 0 || !isOperationError(error)) throw describeSqliteError(error, options.file, options.who);
          results[failing] = { status: 'failed', id: ops[failing]!.id, error: (error as Error).message };
          continue;
        }
        attempt.forEach((result, i) => { results[i] = result; });
        return results as WriteResult[];
      }
    },
  };
}

export type Writer = ReturnType<typeof createWriter>;
