import { ConfigError } from '../core/errors.js';
import { addProblem, type Lead, type RecordMeta } from '../core/record.js';
import type { Db } from './open.js';
import { quoteIdent, type TableMap } from './table.js';
import { toIsoTimestamp } from './values.js';
import { setOwn } from '../core/own.js';

/** Which rows to read: equality on fields (a list means any of them, null means empty) and a modified-since time. */
export interface ReadFilter {
  where?: Record<string, unknown>;
  /** ISO 8601: rows modified at or after this time. */
  since?: string;
}

/** A parameterized SELECT; values never enter the SQL text. */
export interface Query {
  sql: string;
  params: unknown[];
}

/** Finds the column for a filter key: a field name, or a column's own name (SQLite names are case-insensitive). */
function columnFor(map: TableMap, key: string): string | undefined {
  return map.columnOf.get(key) ?? map.columns.find((c) => c.name.toLowerCase() === key.toLowerCase())?.name;
}

/** Builds the SELECT for `filter`, naming every column in the table's order. */
export function buildSelect(map: TableMap, filter: ReadFilter, stage = 'read-sqlite'): Query {
  const conditions: string[] = [];
  const params: unknown[] = [];
  for (const [key, value] of Object.entries(filter.where ?? {})) {
    const column = columnFor(map, key);
    if (!column) {
      throw new ConfigError([
        {
          path: `${stage}.where.${key}`,
          message: `Table '${map.table}' has no field or column '${key}'; its fields are: ${[...map.columnOf.keys()].join(', ')}.`,
        },
      ]);
    }
    const target = quoteIdent(column);
    const values = Array.isArray(value) ? value : [value];
    const present = values.filter((v) => v !== null && v !== '');
    const parts: string[] = [];
    if (present.length) {
      parts.push(present.length === 1 ? `${target} = ?` : `${target} IN (${present.map(() => '?').join(', ')})`);
      for (const v of present) params.push(typeof v === 'boolean' ? (v ? 1 : 0) : v);
    }
    if (present.length < values.length) parts.push(`${target} IS NULL OR ${target} = ''`);
    conditions.push(parts.length > 1 ? `(${parts.join(' OR ')})` : `(${parts[0] ?? '0'})`);
  }
  if (filter.since !== undefined) {
    const since = toIsoTimestamp(filter.since);
    if (!since)
      throw new ConfigError([{ path: `${stage}.since`, message: `'${filter.since}' is not a time; give an ISO 8601 time such as 2026-01-31T00:00:00Z.` }]);
    if (!map.modifiedColumn) {
      throw new ConfigError([
        {
          path: `${stage}.since`,
          message: `Table '${map.table}' has no modified column, so since cannot be used; set local.modified_column in config/field-mapping.yaml.`,
        },
      ]);
    }
    // julianday() reads both SQLite's `YYYY-MM-DD HH:MM:SS` and ISO 8601 with Z, which a string
    // comparison would order wrongly against each other.
    conditions.push(`julianday(${quoteIdent(map.modifiedColumn)}) >= julianday(?)`);
    params.push(since);
  }
  const columns = map.columns.map((c) => quoteIdent(c.name)).join(', ');
  const where = conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
  // NOT INDEXED keeps the table's own order (rowid) whatever the filter, so the output is the
  // same for the same file and SQLite never sorts the result in a temporary b-tree.
  return { sql: `SELECT ${columns} FROM ${quoteIdent(map.table)} NOT INDEXED${where}`, params };
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Streams the rows of `query` as records, one at a time from SQLite's cursor (no table in memory).
 * `raw()` rows and precomputed positions keep the per-row cost to building the record itself.
 */
export function* readRecords(db: Db, map: TableMap, query: Query): Generator<Lead> {
  // Integers come as BigInt, so one past 2^53 is seen whole instead of silently rounded to a double.
  const stmt = db.prepare(query.sql).raw(true).safeIntegers(true);
  const names = map.columns.map((c) => c.name);
  const idAt = names.indexOf(map.idColumn);
  const modifiedAt = map.modifiedColumn ? names.indexOf(map.modifiedColumn) : -1;
  const createdAt = map.createdColumn ? names.indexOf(map.createdColumn) : -1;
  const fields: Array<[number, string]> = [];
  names.forEach((name, i) => {
    const field = map.fieldOf.get(name);
    if (field !== undefined) fields.push([i, field]);
  });
  for (const row of stmt.iterate(...query.params) as Iterable<unknown[]>) {
    let unsafe: number[] | undefined;
    for (let i = 0; i < row.length; i++) {
      const cell = row[i];
      if (typeof cell !== 'bigint') continue;
      if (cell >= MIN_SAFE && cell <= MAX_SAFE) row[i] = Number(cell);
      else {
        row[i] = cell.toString();
        (unsafe ??= []).push(i);
      }
    }
    const record: Lead = {};
    const original: Record<string, unknown> = {};
    for (const [i, field] of fields) {
      setOwn(record, field, row[i]);
      setOwn(original, field, row[i]);
    }
    const meta: RecordMeta = { source: 'local', id: String(row[idAt]) };
    if (unsafe) {
      record._meta = meta;
      for (const i of unsafe) {
        addProblem(record, {
          field: map.fieldOf.get(names[i]!) ?? names[i]!,
          problem: 'inexact_number',
          value: row[i],
          message: `Column ${names[i]} holds ${String(row[i])}, past what a JSON number holds exactly; it is carried as that text (SQLite stores it back as the same integer), not rounded.`,
        });
      }
    }
    if (modifiedAt >= 0) timestamp(record, meta, 'modified_at', map.modifiedColumn!, row[modifiedAt]);
    if (createdAt >= 0) timestamp(record, meta, 'created_at', map.createdColumn!, row[createdAt]);
    meta.original = original;
    record._meta = meta;
    yield record;
  }
}

function timestamp(record: Lead, meta: RecordMeta, key: 'modified_at' | 'created_at', column: string, value: unknown): void {
  if (value === null || value === undefined || value === '') return;
  const iso = toIsoTimestamp(value);
  if (iso) {
    meta[key] = iso;
    return;
  }
  record._meta = meta;
  addProblem(record, {
    field: column,
    problem: 'invalid_timestamp',
    value,
    message: `Column ${column} holds '${String(value)}', which is not a time; most_recent comparisons will treat this record as oldest. Fix the value in the database.`,
  });
}
