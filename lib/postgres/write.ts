import { createHash, randomUUID } from 'node:crypto';
import type { Operation } from '../core/operation.js';
import type { WriteResult } from '../core/writer.js';
import type { BatchRecorder } from '../sqlite/write.js';
import { isConnectionLost, pgCode, type PgClient, quoteIdent, SESSION_FORMATS } from './connection.js';
import { concurrentChange, unchangedSinceRead, whyNoRow } from './conflict.js';
import type { PgTableMap } from './table.js';
import { PgValueError, REPLACED_TYPES, toPgParam } from './values.js';

/** Where an update's WHERE takes the check that the row is unchanged since it was read. */
const UNCHANGED = '/*unchanged*/';

/** An operation that failed on its own account; the rest of its batch can still be applied. */
class OperationFailure extends Error {}

/** How the writer reaches the server: the connection now, and a new one when it was lost. */
export interface PgConnection {
  client(): PgClient;
  /** Replaces a lost connection; throws when the server cannot be reached again. */
  reconnect(): Promise<PgClient>;
}

export interface PgWriterOptions {
  now?: () => Date;
  newId?: () => string;
  /** Read what each update and delete replaces, for the recorder (the run journal). */
  captureReplaced?: boolean;
  /** How many times a batch whose connection was lost before it committed is applied again on a new one. */
  retries?: number;
}

/** A statement and its parameters for one operation, or why it cannot be applied. */
type Prepared = { sql: string; name?: string; params: unknown[]; id: string | undefined; replaced?: string[] | 'row' } | { error: string };

/**
 * SQLSTATE classes that belong to one operation (its values or its row), as opposed to the
 * server or the connection: integrity constraints (23), data exceptions (22), and a value that
 * does not fit its column (42804 datatype mismatch).
 */
function isOperationError(error: unknown): boolean {
  if (error instanceof OperationFailure || error instanceof PgValueError) return true;
  const code = pgCode(error) ?? '';
  return code.startsWith('23') || code.startsWith('22') || code === '42804';
}

/** The connection was lost while the batch's COMMIT was on its way: whether it committed is known only to the server. */
export class CommitUnknown extends Error {}

/**
 * Applies local operations to a PostgreSQL table in transactions, as SqliteWriter does to a
 * SQLite one. A batch runs in one transaction; an operation that fails on its own account (a
 * constraint, a value the column cannot hold, a missing row) rolls it back, is marked failed, and
 * the rest of the batch is applied again without it. A connection lost before the COMMIT went
 * is a transaction the server rolled back: the batch is applied again on a new connection. A
 * connection lost during the COMMIT is settled by asking the server whether that transaction
 * committed (`txid_status`); either way a batch is applied whole or not at all.
 */
export class PgWriter {
  private readonly now: () => Date;
  private readonly newId: () => string;
  private readonly byId: string;
  private readonly plans = new Map<string, { sql: string; name: string; columns: string[]; types: string[]; fields: string[] } | string>();

  constructor(
    private readonly connection: PgConnection,
    private readonly map: PgTableMap,
    private readonly options: PgWriterOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
    this.byId = `${quoteIdent(map.idColumn)} = $`;
  }

  /** Checks a batch without applying it: each operation's result is `dry_run`, or `failed` with the reason. */
  check(ops: Operation[]): WriteResult[] {
    const stamp = this.now().toISOString();
    return ops.map((op) => {
      const prepared = this.prepare(op, stamp, [], 0);
      return 'error' in prepared ? { status: 'failed', id: op.id, error: prepared.error } : { status: 'dry_run', id: op.id ?? prepared.id };
    });
  }

  /** Applies a batch; the results are in the order of `ops`. The recorder is sealed before the commit. */
  async apply(ops: Operation[], recorder?: BatchRecorder): Promise<WriteResult[]> {
    const stamp = this.now().toISOString();
    const results: Array<WriteResult | undefined> = new Array(ops.length);
    const assigned: string[] = [];
    let lost = 0;
    for (;;) {
      let failing: { index: number; error: Error } | undefined;
      try {
        failing = await this.attempt(ops, results, { stamp, assigned, recorder });
      } catch (error) {
        if (!(isConnectionLost(error) && !(error instanceof CommitUnknown)) || lost >= (this.options.retries ?? 3)) throw error;
        // The server rolled the transaction back with the connection: nothing of it stays.
        lost++;
        await this.connection.reconnect();
        for (let i = 0; i < ops.length; i++) if (results[i]?.status !== 'failed') results[i] = undefined;
        continue;
      }
      if (failing === undefined) return results as WriteResult[];
      for (let i = 0; i < ops.length; i++) if (results[i]?.status !== 'failed') results[i] = undefined;
      results[failing.index] = { status: 'failed', id: ops[failing.index]!.id, error: failing.error.message };
    }
  }

  /** One transaction over the batch, skipping the operations already failed: undefined once it committed, else the operation that failed (all rolled back). */
  private async attempt(ops: Operation[], results: Array<WriteResult | undefined>, batch: BatchRun): Promise<{ index: number; error: Error } | undefined> {
    const client = this.connection.client();
    const recorder = batch.recorder;
    let failing = -1;
    let sealed = false;
    try {
      // An earlier attempt's lines are taken back (only this batch's: write-airtable journals its requests meanwhile).
      recorder?.begin();
      const begun = (await client.query(`BEGIN; ${SESSION_FORMATS}; SELECT txid_current()::text AS xid`)) as unknown as Array<{ rows: Array<{ xid: string }> }>;
      const xid = begun[begun.length - 1]!.rows[0]!.xid;
      for (let i = 0; i < ops.length; i++) {
        if (results[i] !== undefined) {
          recorder?.add(ops[i]!);
          continue;
        }
        failing = i;
        results[i] = await this.execute(client, ops[i]!, batch, i);
      }
      failing = -1;
      recorder?.seal();
      sealed = true;
      await this.commit(client, xid);
      return undefined;
    } catch (error) {
      if (!sealed) recorder?.discard();
      if (!sealed) await client.query('ROLLBACK').catch(() => undefined);
      if (failing >= 0 && isOperationError(error)) return { index: failing, error: error as Error };
      throw error;
    }
  }

  /** COMMIT; when the connection goes meanwhile, asks a new one whether the transaction committed. */
  private async commit(client: PgClient, xid: string): Promise<void> {
    try {
      await client.query('COMMIT');
    } catch (error) {
      if (!isConnectionLost(error)) throw error;
      let status: string | null | undefined;
      try {
        const fresh = await this.connection.reconnect();
        status = (await fresh.query<{ status: string | null }>('SELECT txid_status($1::bigint) AS status', [xid])).rows[0]?.status;
      } catch (again) {
        throw new CommitUnknown(
          `The connection was lost as a batch committed (transaction ${xid}), and the server could not be asked whether it did: ${(again as Error).message}. Check with SELECT txid_status(${xid}); then resume or roll back the run.`,
        );
      }
      if (status === 'committed') return;
      throw new CommitUnknown(
        `The connection was lost as the batch committed, and the server rolled it back (transaction ${xid}: ${status ?? 'unknown'}): none of it was applied. Run again, or resume the run.`,
      );
    }
  }

  private prepare(op: Operation, stamp: string, assigned: string[], index: number): Prepared {
    try {
      if (op.action === 'create') return this.prepareCreate(op, stamp, assigned, index);
      if (op.id === undefined || op.id === null || op.id === '') throw new OperationFailure(`An ${op.action} needs the id of the local record.`);
      if (op.action === 'update') return this.prepareUpdate(op, stamp);
      if (op.action === 'delete') {
        const check = this.unchanged(op, 2);
        return { sql: `DELETE FROM ${this.map.sql} WHERE ${this.byId}1${check.sql} RETURNING *`, params: [op.id, ...check.params], id: op.id, replaced: 'row' };
      }
      throw new OperationFailure(`Unknown action '${String(op.action)}'; expected create, update or delete.`);
    } catch (error) {
      if (error instanceof OperationFailure) return { error: error.message };
      throw error;
    }
  }

  /**
   * ` AND <the row still holds what the run read>` for an update's or delete's WHERE, with its
   * parameters from `$first` (lib/postgres/conflict.ts); empty when the operation recorded nothing
   * it replaces.
   */
  private unchanged(op: Operation, first: number): { sql: string; params: unknown[] } {
    const map = this.map;
    const table = {
      columnOf: (field: string) => map.columnOf.get(field),
      typeOf: (column: string) => map.typeOf.get(column) ?? '',
      idColumn: map.idColumn,
    };
    const check = unchangedSinceRead(op, table, first, toPgParam);
    return check.sql === 'true' ? { sql: '', params: [] } : { sql: ` AND ${check.sql}`, params: check.params };
  }

  /** The column and parameter for each field; a field with no column, or a value its column cannot hold, fails the operation. */
  private cells(fields: Record<string, unknown>): Array<[string, unknown]> {
    const map = this.map;
    const out: Array<[string, unknown]> = [];
    for (const [field, value] of Object.entries(fields)) {
      if (field === '_meta' || value === undefined) continue;
      const column = this.columnOf(field);
      try {
        out.push([column, toPgParam(value, map.typeOf.get(column) ?? '')]);
      } catch (error) {
        throw new OperationFailure(`Field '${field}': ${(error as Error).message}.`);
      }
    }
    return out;
  }

  private columnOf(field: string): string {
    const map = this.map;
    const column = map.columnOf.get(field) ?? [map.createdColumn, map.modifiedColumn, map.idColumn].find((c): c is string => c !== null && c === field);
    if (column === undefined) {
      throw new OperationFailure(
        `Table '${map.label}' has no column for field '${field}'. Add the column (ALTER TABLE ${map.sql} ADD COLUMN ${quoteIdent(field)} text) or map it in the field mapping (local.columns).`,
      );
    }
    return column;
  }

  private prepareCreate(op: Operation, stamp: string, assigned: string[], index: number): Prepared {
    const map = this.map;
    const cells = this.cells(op.fields ?? {});
    const given = cells.find(([c]) => c === map.idColumn)?.[1];
    const id = op.id ?? (given !== undefined && given !== null ? String(given) : map.idIsGenerated ? undefined : (assigned[index] ??= this.newId()));
    const row = new Map(cells.filter(([c]) => c !== map.idColumn));
    if (map.createdColumn && !row.has(map.createdColumn)) row.set(map.createdColumn, stamp);
    if (map.modifiedColumn) row.set(map.modifiedColumn, stamp);
    const columns = [...(id === undefined ? [] : [map.idColumn]), ...row.keys()];
    const params = [...(id === undefined ? [] : [id]), ...row.values()];
    const values = columns.map((_, i) => `$${i + 1}`).join(', ');
    const sql = `INSERT INTO ${map.sql} (${columns.map(quoteIdent).join(', ')}) VALUES (${values}) RETURNING ${quoteIdent(map.idColumn)}::text AS id`;
    return { sql, params, id };
  }

  private prepareUpdate(op: Operation, stamp: string): Prepared {
    const given = op.fields ?? {};
    const fields = Object.keys(given).filter((f) => f !== '_meta' && given[f] !== undefined);
    const plan = this.updatePlan(fields);
    if (typeof plan === 'string') return { error: plan };
    const idField = fields.find((f) => this.map.columnOf.get(f) === undefined && f === this.map.idColumn);
    if (idField !== undefined && String(given[idField]) !== String(op.id)) return { error: 'An update cannot change the record id.' };
    if (plan.sql === '') return { sql: '', params: [], id: op.id };
    const params: unknown[] = [];
    for (let i = 0; i < plan.fields.length; i++) {
      const field = plan.fields[i]!;
      try {
        params.push(toPgParam(given[field], plan.types[i]!));
      } catch (error) {
        return { error: `Field '${field}': ${(error as Error).message}.` };
      }
    }
    if (this.map.modifiedColumn) params.push(stamp);
    params.push(op.id);
    const check = this.unchanged(op, params.length + 1);
    if (check.sql === '') return { sql: plan.sql.replace(UNCHANGED, ''), name: plan.name, params, id: op.id, replaced: plan.columns };
    // The check's shape follows the fields (each update records what it replaces), so the statement is prepared once per shape.
    const sql = plan.sql.replace(UNCHANGED, check.sql);
    const name = `lm_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    return { sql, name, params: [...params, ...check.params], id: op.id, replaced: plan.columns };
  }

  /**
   * The UPDATE for one set of fields, worked out once per set (diff emits a few shapes). With
   * capture, it joins the row as it was (locked) and returns those values, so what it replaced
   * is read by the statement that replaces it.
   */
  private updatePlan(fields: string[]): { sql: string; name: string; columns: string[]; types: string[]; fields: string[] } | string {
    const key = fields.join('\u0000');
    let plan = this.plans.get(key);
    if (plan !== undefined) return plan;
    const map = this.map;
    try {
      const columns: string[] = [];
      const taken: string[] = [];
      for (const field of fields) {
        const column = this.columnOf(field);
        if (column === map.idColumn || column === map.modifiedColumn) continue;
        columns.push(column);
        taken.push(field);
      }
      if (map.modifiedColumn && columns.length) columns.push(map.modifiedColumn);
      const sets = columns.map((c, i) => `${quoteIdent(c)} = $${i + 1}`).join(', ');
      const idParam = `$${columns.length + 1}`;
      const id = quoteIdent(map.idColumn);
      const sql = !taken.length
        ? ''
        : this.options.captureReplaced
          ? `UPDATE ${map.sql} AS t SET ${sets} FROM (SELECT ${id}, ${columns.map(quoteIdent).join(', ')} FROM ${map.sql} WHERE ${id} = ${idParam}${UNCHANGED} FOR UPDATE) AS old WHERE t.${id} = old.${id} RETURNING ${columns.map((c) => `old.${quoteIdent(c)}`).join(', ')}`
          : `UPDATE ${map.sql} SET ${sets} WHERE ${id} = ${idParam}${UNCHANGED}`;
      const name = `lm_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
      plan = { sql, name, columns, types: taken.map((f) => map.typeOf.get(this.columnOf(f)) ?? ''), fields: taken };
    } catch (error) {
      if (!(error instanceof OperationFailure)) throw error;
      plan = error.message;
    }
    if (this.plans.size >= 256) this.plans.clear();
    this.plans.set(key, plan);
    return plan;
  }

  /** Runs one operation in the open transaction and hands it to the recorder with what it replaced. */
  private async execute(client: PgClient, op: Operation, batch: BatchRun, index: number): Promise<WriteResult> {
    const { recorder } = batch;
    const prepared = this.prepare(op, batch.stamp, batch.assigned, index);
    if ('error' in prepared) {
      recorder?.add(op);
      return { status: 'failed', id: op.id, error: prepared.error };
    }
    if (prepared.sql === '') {
      recorder?.add(op);
      return { status: 'skipped', id: prepared.id, error: 'nothing to change' };
    }
    const result = await client.query({ text: prepared.sql, name: prepared.name, values: prepared.params, rowMode: 'array', types: REPLACED_TYPES });
    const first = result.rows[0] as unknown[] | undefined;
    if (op.action === 'create') {
      recorder?.add(op);
      return { status: 'applied', id: prepared.id ?? String(first?.[0]) };
    }
    if (op.action === 'delete') {
      if (first === undefined) {
        recorder?.add(op);
        if ((await whyNoRow(client, this.map.sql, this.map.idColumn, String(prepared.id))) === 'changed') return concurrentChange(op, this.map.label);
        return { status: 'skipped', id: prepared.id, error: 'already deleted' };
      }
      const row: Record<string, unknown> = {};
      result.fields.forEach((f, i) => {
        row[f.name] = first[i];
      });
      recorder?.add(op, this.options.captureReplaced ? row : undefined);
      return { status: 'applied', id: prepared.id };
    }
    if ((result.rowCount ?? 0) === 0 && (await whyNoRow(client, this.map.sql, this.map.idColumn, String(prepared.id))) === 'changed') {
      recorder?.add(op);
      return concurrentChange(op, this.map.label);
    }
    if ((result.rowCount ?? 0) === 0) {
      throw new OperationFailure(`There is no local record with id ${prepared.id} in table '${this.map.label}'; it may have been deleted since it was read.`);
    }
    if (recorder) {
      if (this.options.captureReplaced && first && Array.isArray(prepared.replaced)) recorder.addColumns(op, prepared.replaced, first);
      else recorder.add(op);
    }
    return { status: 'applied', id: prepared.id };
  }
}

/** What one application of a batch shares across its attempts. */
interface BatchRun {
  stamp: string;
  /** The ids given to creates without one, by index, so an attempt after a failure gives the same. */
  assigned: string[];
  recorder: BatchRecorder | undefined;
}
