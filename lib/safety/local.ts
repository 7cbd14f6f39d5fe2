import type { Db } from '../sqlite/open.js';
import { quoteIdent, type TableMap } from '../sqlite/table.js';
import type { JournaledOp } from '../core/journal-read.js';
import type { JournalTarget } from '../core/journal.js';
import { own } from '../core/own.js';

type LocalTarget = Extract<JournalTarget, { system: 'local' }>;

/** The journal target of a local table: where it is and how its fields map to columns. */
/**
 * The journal target of a local table: where it is and how its fields map to columns. `linkField`
 * is empty for a table without a link column, whose links live in `stateFile` (the sync state).
 */
export function localTarget(file: string, map: TableMap, linkField: string, stateFile?: string): LocalTarget & { columns: Record<string, string> } {
  const columns: Record<string, string> = {};
  for (const [field, column] of map.columnOf) if (field !== column) columns[field] = column;
  return {
    system: 'local',
    database: file,
    table: map.table,
    id_column: map.idColumn,
    modified_column: map.modifiedColumn,
    link_field: linkField,
    ...(stateFile ? { state_file: stateFile } : {}),
    columns,
  };
}

/** Cells compare as SQLite stores them (booleans as 0/1, objects as JSON, '' as null). */
export function sameCell(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): string | null => {
    if (v === null || v === undefined || v === '') return null;
    if (typeof v === 'boolean') return v ? '1' : '0';
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  };
  return norm(a) === norm(b);
}

/** Local access for resume and rollback: what an operation did, and how to undo it. */
export class LocalTable {
  private readonly table: string;
  private readonly id: string;

  constructor(
    readonly db: Db,
    readonly target: LocalTarget & { columns?: Record<string, string> },
  ) {
    this.table = quoteIdent(target.table);
    this.id = quoteIdent(target.id_column);
  }

  column(field: string): string {
    return own<string>(this.target.columns, field) ?? field;
  }

  row(id: string | undefined): Record<string, unknown> | undefined {
    if (id === undefined) return undefined;
    return this.db.prepare(`SELECT * FROM ${this.table} WHERE ${this.id} = ?`).get(id) as Record<string, unknown> | undefined;
  }

  /** True when every field the operation sets holds the value it sets. */
  holds(row: Record<string, unknown>, fields: Record<string, unknown>): boolean {
    return Object.entries(fields).every(([field, value]) => field === '_meta' || value === undefined || sameCell(row[this.column(field)], value));
  }

  /** The id of a row that a create with unknown outcome would have made, found by its values. */
  findCreated(op: JournaledOp): string | undefined {
    const entries = Object.entries(op.fields).filter(([f, v]) => f !== '_meta' && v !== undefined && f !== this.target.id_column);
    if (entries.length === 0) return undefined;
    const where = entries.map(([f]) => `${quoteIdent(this.column(f))} IS ?`).join(' AND ');
    const params = entries.map(([, v]) =>
      v === '' ? null : typeof v === 'boolean' ? (v ? 1 : 0) : v !== null && typeof v === 'object' ? JSON.stringify(v) : v,
    );
    const found = this.db.prepare(`SELECT ${this.id} AS id FROM ${this.table} WHERE ${where} LIMIT 1`).get(...params) as { id: unknown } | undefined;
    return found ? String(found.id) : undefined;
  }

  /**
   * Whether an operation whose outcome the journal does not know was applied: an update holds its
   * values, a delete left no row, a create left a row with its values (found by lookup).
   */
  probe(op: JournaledOp): { applied: boolean; id?: string } {
    if (op.action === 'create') {
      const id = op.id !== undefined && this.row(op.id) ? op.id : this.findCreated(op);
      return id === undefined ? { applied: false } : { applied: true, id };
    }
    const row = this.row(op.id);
    if (op.action === 'delete') return { applied: row === undefined, id: op.id };
    return { applied: row !== undefined && this.holds(row, op.fields), id: op.id };
  }

  /**
   * Undoes one applied operation from the values it replaced; returns why not when the record
   * changed since the run wrote it (a conflict: left as it is unless `force`). A dry run only
   * says whether it would.
   */
  undo(op: JournaledOp, force: boolean, dryRun = false): string | undefined {
    const id = op.result?.id ?? op.id;
    if (op.action === 'create') {
      const row = this.row(id);
      if (!row) return undefined;
      if (!force && !this.holds(row, op.fields)) return `local record ${id} (created by the run) was changed since; left in place`;
      if (dryRun) return undefined;
      this.db.prepare(`DELETE FROM ${this.table} WHERE ${this.id} = ?`).run(id);
      return undefined;
    }
    if (op.action === 'delete') {
      if (this.row(id) || dryRun) return undefined;
      const values = op.before ?? Object.fromEntries([[this.target.id_column, id], ...Object.entries(op.replaces).map(([f, v]) => [this.column(f), v])]);
      const columns = Object.keys(values);
      this.db
        .prepare(`INSERT INTO ${this.table} (${columns.map(quoteIdent).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`)
        .run(...columns.map((c) => cell(values[c])));
      return undefined;
    }
    const row = this.row(id);
    if (!row) return `local record ${id} (updated by the run) was deleted since; not recreated`;
    if (!force && !this.holds(row, op.fields)) return `local record ${id} was changed since the run updated it; left as it is`;
    const values = op.before ?? Object.fromEntries(Object.entries(op.replaces).map(([f, v]) => [this.column(f), v]));
    const columns = Object.keys(values).filter((c) => c !== this.target.id_column);
    if (columns.length === 0 || dryRun) return undefined;
    this.db
      .prepare(`UPDATE ${this.table} SET ${columns.map((c) => `${quoteIdent(c)} = ?`).join(', ')} WHERE ${this.id} = ?`)
      .run(...columns.map((c) => cell(values[c])), id);
    return undefined;
  }

  /** Points local links at a record Airtable gave a new id (a delete undone there). */
  relink(oldId: string, newId: string): number {
    // Links kept in the sync state instead: the rollback moves them there.
    if (this.target.link_field === '') return 0;
    if (oldId === newId) return 0;
    const link = quoteIdent(this.column(this.target.link_field ?? 'airtable_id'));
    return this.db.prepare(`UPDATE ${this.table} SET ${link} = ? WHERE ${link} = ?`).run(newId, oldId).changes;
  }
}

function cell(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) return JSON.stringify(value);
  return value;
}
