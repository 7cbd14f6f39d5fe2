import { StageError } from '../core/errors.js';
import type { JournaledOp } from '../core/journal-read.js';
import { own } from '../core/own.js';
import type { LocalJournalTarget, LocalRecovery } from '../safety/local-side.js';
import { describePgError, parseTableName, qualifiedName, quoteIdent, type PgClient } from './connection.js';

/**
 * A PostgreSQL table opened for --resume and --rollback (the LocalRecovery of lib/safety). Values
 * are compared by the server, each as its column's type reads it (a timestamp written as
 * `2026-01-05T10:00:00.000Z` equals the `…+00` the server returns), with '' and NULL alike as the
 * SQLite side has them. Each undo is its own transaction, on the row locked FOR UPDATE, so a
 * writer elsewhere cannot slip in between the check and the undo.
 */
export class PostgresRecovery implements LocalRecovery {
  private readonly table: string;
  private readonly id: string;
  private types: Map<string, string> | undefined;

  constructor(
    private readonly client: PgClient,
    readonly target: LocalJournalTarget & { columns?: Record<string, string> },
    private readonly who: string,
  ) {
    this.table = qualifiedName(parseTableName(target.table, who));
    this.id = quoteIdent(target.id_column);
  }

  column(field: string): string {
    return own<string>(this.target.columns, field) ?? field;
  }

  private async query<R extends Record<string, unknown>>(text: string, values: unknown[] = []): Promise<R[]> {
    try {
      return (await this.client.query<R>(text, values)).rows;
    } catch (error) {
      throw describePgError(error, { who: this.who, target: this.target.database, from: 'the run journal' });
    }
  }

  /** Column → type, to turn a journaled boolean into what an integer column holds (as SQLite stores it). */
  private async columnTypes(): Promise<Map<string, string>> {
    if (!this.types) {
      const rows = await this.query<{ name: string; type: string }>(
        `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
        [this.table],
      );
      this.types = new Map(rows.map((r) => [r.name, r.type]));
    }
    return this.types;
  }

  /** A journaled value as a parameter for `column`. */
  private async param(column: string, value: unknown): Promise<unknown> {
    if (value === undefined || value === '') return null;
    if (typeof value === 'boolean') return /int|numeric/.test((await this.columnTypes()).get(column) ?? '') ? (value ? 1 : 0) : value;
    if (value !== null && typeof value === 'object' && !(value instanceof Date)) return JSON.stringify(value);
    return value;
  }

  async row(id: string | undefined): Promise<Record<string, unknown> | undefined> {
    if (id === undefined) return undefined;
    return (await this.query(`SELECT * FROM ${this.table} WHERE ${this.id} = $1`, [id]))[0];
  }

  /** The SQL condition that every field holds its value, with its parameters from `$from` on. */
  private async holdsCondition(fields: Record<string, unknown>, from: number): Promise<{ sql: string; values: unknown[] }> {
    const parts: string[] = [];
    const values: unknown[] = [];
    const types = await this.columnTypes();
    for (const [field, value] of Object.entries(fields)) {
      if (field === '_meta' || value === undefined) continue;
      const column = this.column(field);
      const name = quoteIdent(column);
      values.push(await this.param(column, value));
      // Typed as the column, so the server reads the value as the column's type would.
      const p = `$${from + values.length - 1}${types.has(column) ? `::${types.get(column)}` : ''}`;
      parts.push(`(CASE WHEN ${p} IS NULL THEN ${name} IS NULL OR ${name}::text = '' ELSE ${name} IS NOT DISTINCT FROM ${p} END)`);
    }
    return { sql: parts.length ? parts.join(' AND ') : 'true', values };
  }

  private async holds(id: string, fields: Record<string, unknown>, lock = ''): Promise<boolean | undefined> {
    const { sql, values } = await this.holdsCondition(fields, 2);
    const rows = await this.query<{ holds: boolean }>(`SELECT ${sql} AS holds FROM ${this.table} WHERE ${this.id} = $1${lock}`, [id, ...values]);
    return rows[0]?.holds;
  }

  async probe(op: JournaledOp): Promise<{ applied: boolean; id?: string }> {
    if (op.action === 'create') {
      if (op.id !== undefined && (await this.row(op.id))) return { applied: true, id: op.id };
      const fields = Object.fromEntries(Object.entries(op.fields).filter(([f, v]) => f !== '_meta' && v !== undefined && f !== this.target.id_column));
      if (Object.keys(fields).length === 0) return { applied: false };
      const { sql, values } = await this.holdsCondition(fields, 1);
      const found = await this.query<{ id: string }>(`SELECT ${this.id}::text AS id FROM ${this.table} WHERE ${sql} LIMIT 1`, values);
      return found[0] ? { applied: true, id: found[0].id } : { applied: false };
    }
    const holds = op.id === undefined ? undefined : await this.holds(op.id, op.fields);
    if (op.action === 'delete') return { applied: holds === undefined, id: op.id };
    return { applied: holds === true, id: op.id };
  }

  async undo(op: JournaledOp, force: boolean, dryRun: boolean): Promise<string | undefined> {
    const id = op.result?.id ?? op.id;
    if (id === undefined) return undefined;
    await this.query('BEGIN');
    try {
      const conflict = await this.undoIn(op, id, force, dryRun);
      await this.query(dryRun ? 'ROLLBACK' : 'COMMIT');
      return conflict;
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  private async undoIn(op: JournaledOp, id: string, force: boolean, dryRun: boolean): Promise<string | undefined> {
    const holds = await this.holds(id, op.fields, dryRun ? '' : ' FOR UPDATE');
    if (op.action === 'create') {
      if (holds === undefined) return undefined;
      if (!force && !holds) return `local record ${id} (created by the run) was changed since; left in place`;
      if (!dryRun) await this.query(`DELETE FROM ${this.table} WHERE ${this.id} = $1`, [id]);
      return undefined;
    }
    if (op.action === 'delete') {
      if (holds !== undefined || dryRun) return undefined;
      const values = op.before ?? Object.fromEntries([[this.target.id_column, id], ...Object.entries(op.replaces).map(([f, v]) => [this.column(f), v])]);
      const columns = Object.keys(values);
      const params = await Promise.all(columns.map((c) => this.param(c, values[c])));
      await this.query(
        `INSERT INTO ${this.table} (${columns.map(quoteIdent).join(', ')}) OVERRIDING SYSTEM VALUE VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
        params,
      );
      return undefined;
    }
    if (holds === undefined) return `local record ${id} (updated by the run) was deleted since; not recreated`;
    if (!force && !holds) return `local record ${id} was changed since the run updated it; left as it is`;
    const values = op.before ?? Object.fromEntries(Object.entries(op.replaces).map(([f, v]) => [this.column(f), v]));
    if (!dryRun) await this.set(id, Object.fromEntries(Object.entries(values).filter(([c]) => c !== this.target.id_column)));
    return undefined;
  }

  private async set(id: string, values: Record<string, unknown>): Promise<number> {
    const columns = Object.keys(values);
    if (columns.length === 0) return 0;
    const params = await Promise.all(columns.map((c) => this.param(c, values[c])));
    const rows = await this.query<{ n: number }>(
      `WITH changed AS (UPDATE ${this.table} SET ${columns.map((c, i) => `${quoteIdent(c)} = $${i + 2}`).join(', ')} WHERE ${this.id} = $1 RETURNING 1) SELECT count(*)::int AS n FROM changed`,
      [id, ...params],
    );
    return rows[0]?.n ?? 0;
  }

  async relink(oldId: string, newId: string): Promise<number> {
    if (this.target.link_field === '' || oldId === newId) return 0;
    const link = quoteIdent(this.column(this.target.link_field ?? 'airtable_id'));
    const rows = await this.query<{ n: number }>(
      `WITH changed AS (UPDATE ${this.table} SET ${link} = $1 WHERE ${link} = $2 RETURNING 1) SELECT count(*)::int AS n FROM changed`,
      [newId, oldId],
    );
    return rows[0]?.n ?? 0;
  }

  async setColumns(id: string, values: Record<string, unknown>): Promise<void> {
    await this.set(id, values);
  }

  /** A table another program holds exclusively (a migration, a restore) stops the recovery before anything is undone. */
  async checkWritable(): Promise<void> {
    await this.query('BEGIN');
    try {
      await this.query(`SET LOCAL lock_timeout = '5s'`);
      await this.query(`LOCK TABLE ${this.table} IN ROW EXCLUSIVE MODE`);
    } catch (error) {
      throw new StageError(
        this.who,
        `The table ${this.target.table} (${this.target.database}) is locked by another program: ${(error as Error).message} Nothing was undone; run this again once it is free.`,
      );
    } finally {
      await this.client.query('ROLLBACK').catch(() => undefined);
    }
  }

  async checkIntegrity(): Promise<void> {
    // The server keeps the table consistent; there is no file to check.
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
