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
}

/** A statement and its parameters for one operation, or why it cannot be applied. */
type Prepared = { sql: string; params: unknown[]; id: string | undefined } | { error: string };

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
  const statements = new Map<string, ReturnType<Db['prepare']>>();
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

  /** The SQL for one operation, or why it cannot be applied; checks everything that does not need the data. */
  function prepare(op: Operation, stamp: string): Prepared {
    try {
      const cells = columnsOf(op);
      const table = quoteIdent(map.table);
      if (op.action === 'create') {
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
      if (op.action === 'delete') return { sql: `DELETE FROM ${table}${where}`, params: [op.id], id: op.id };
      if (op.action !== 'update') throw new OperationFailure(`Unknown action '${String(op.action)}'; expected create, update or delete.`);
      const changes = cells.filter(([c]) => c !== map.idColumn && c !== map.modifiedColumn);
      if (cells.some(([c, v]) => c === map.idColumn && String(v) !== String(op.id))) throw new OperationFailure('An update cannot change the record id.');
      if (changes.length === 0) return { sql: '', params: [], id: op.id };
      if (map.modifiedColumn) changes.push([map.modifiedColumn, stamp]);
      const sets = changes.map(([c]) => `${quoteIdent(c)} = ?`).join(', ');
      return { sql: `UPDATE ${table} SET ${sets}${where}`, params: [...changes.map(([, v]) => v), op.id], id: op.id };
    } catch (error) {
      if (error instanceof OperationFailure) return { error: error.message };
      throw error;
    }
  }

  function run(op: Operation, prepared: Exclude<Prepared, { error: string }>): WriteResult {
    if (prepared.sql === '') return { status: 'skipped', id: prepared.id, error: 'nothing to change' };
    const info = statement(prepared.sql).run(prepared.params);
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

    /** Applies a batch; the results are in the order of `ops`. */
    apply(ops: Operation[]): WriteResult[] {
      const stamp = now().toISOString();
      const results: Array<WriteResult | undefined> = new Array(ops.length);
      const prepared = ops.map((op, i) => {
        const p = prepare(op, stamp);
        if ('error' in p) results[i] = { status: 'failed', id: op.id, error: p.error };
        return p;
      });
      for (;;) {
        const attempt: Array<[number, WriteResult]> = [];
        let failing = -1;
        try {
          db.transaction(() => {
            for (let i = 0; i < ops.length; i++) {
              const p = prepared[i]!;
              if (results[i] || 'error' in p) continue;
              failing = i;
              attempt.push([i, run(ops[i]!, p)]);
            }
            failing = -1;
          }).immediate();
        } catch (error) {
          if (failing < 0 || !isOperationError(error)) throw describeSqliteError(error, options.file, options.who);
          results[failing] = { status: 'failed', id: ops[failing]!.id, error: (error as Error).message };
          continue;
        }
        for (const [i, result] of attempt) results[i] = result;
        return results as WriteResult[];
      }
    },
  };
}

export type Writer = ReturnType<typeof createWriter>;
