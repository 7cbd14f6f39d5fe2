import { ConfigError } from '../core/errors.js';
import { addProblem, type Lead, type RecordMeta } from '../core/record.js';
import { setOwn } from '../core/own.js';
import { toIsoTimestamp } from '../sqlite/values.js';
import { type PgClient, quoteIdent, SESSION_FORMATS } from './connection.js';
import type { PgTableMap } from './table.js';
import { isTextType, jsonCellOf, READ_TYPES, toPgParam } from './values.js';

/** Which rows to read: equality on fields (a list means any of them, null means empty) and a modified-since time. */
export interface PgReadFilter {
  where?: Record<string, unknown>;
  /** ISO 8601: rows modified at or after this time. */
  since?: string;
}

/** A parameterized SELECT; values never enter the SQL text. */
export interface PgQuery {
  sql: string;
  params: unknown[];
  /** Each row comes as one JSON array text. */
  json: boolean;
}

function columnFor(map: PgTableMap, key: string): string | undefined {
  return map.columnOf.get(key) ?? map.columns.find((c) => c.name === key)?.name ?? map.columns.find((c) => c.name.toLowerCase() === key.toLowerCase())?.name;
}

/** The SELECT for `filter`, naming every column in the table's order, in id order (the same rows come out in the same order every time). */
export function buildPgSelect(map: PgTableMap, filter: PgReadFilter, stage = 'read-postgres'): PgQuery {
  const conditions: string[] = [];
  const params: unknown[] = [];
  for (const [key, value] of Object.entries(filter.where ?? {})) {
    const column = columnFor(map, key);
    if (!column) {
      throw new ConfigError([
        {
          path: `${stage}.where.${key}`,
          message: `Table '${map.label}' has no field or column '${key}'; its fields are: ${[...map.columnOf.keys()].join(', ')}.`,
        },
      ]);
    }
    const type = map.typeOf.get(column) ?? 'text';
    const target = quoteIdent(column);
    const values = Array.isArray(value) ? value : [value];
    const present = values.filter((v) => v !== null && v !== '');
    const parts: string[] = [];
    if (present.length) {
      params.push(present.length === 1 ? toPgParam(present[0], type) : present.map((v) => toPgParam(v, type)));
      parts.push(present.length === 1 ? `${target} = $${params.length}` : `${target} = ANY($${params.length})`);
    }
    if (present.length < values.length) parts.push(isTextType(type) ? `${target} IS NULL OR ${target} = ''` : `${target} IS NULL`);
    conditions.push(parts.length > 1 ? `(${parts.join(' OR ')})` : `(${parts[0] ?? 'false'})`);
  }
  if (filter.since !== undefined) {
    const since = toIsoTimestamp(filter.since);
    if (!since)
      throw new ConfigError([{ path: `${stage}.since`, message: `'${filter.since}' is not a time; give an ISO 8601 time such as 2026-01-31T00:00:00Z.` }]);
    if (!map.modifiedColumn) {
      throw new ConfigError([
        {
          path: `${stage}.since`,
          message: `Table '${map.label}' has no modified column, so since cannot be used; set local.modified_column in config/field-mapping.yaml.`,
        },
      ]);
    }
    params.push(since);
    const type = map.typeOf.get(map.modifiedColumn) ?? '';
    // A time column compares as a time; a text column holding ISO 8601 UTC compares as text.
    const bound = /^(timestamp|date)/.test(type) ? `$${params.length}::timestamptz` : `$${params.length}`;
    conditions.push(`${quoteIdent(map.modifiedColumn)} >= ${bound}`);
  }
  const where = conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
  return { sql: `SELECT ${selectList(map)} FROM ${map.sql}${where} ORDER BY ${quoteIdent(map.idColumn)}`, params, json: asJson(map) };
}

/** PostgreSQL takes at most 100 arguments to a function; a wider table is read cell by cell. */
const MAX_JSON_COLUMNS = 100;
const asJson = (map: PgTableMap): boolean => map.columns.length <= MAX_JSON_COLUMNS;

/**
 * Each row as one JSON array built by the server, when the table allows: parsing one JSON text
 * per row costs the client a fraction of taking each cell apart, and the read is bound by that.
 */
function selectList(map: PgTableMap): string {
  if (!asJson(map)) return map.columns.map((c) => quoteIdent(c.name)).join(', ');
  return `json_build_array(${map.columns.map((c) => jsonCellOf(c.type).sql(quoteIdent(c.name))).join(', ')})::text`;
}

/** The decoder of a JSON row: the text-carried cells turned back (see jsonCellOf). */
function jsonRowDecoder(map: PgTableMap): (cell: string) => unknown[] {
  const decoders: Array<[number, (text: string) => unknown]> = [];
  map.columns.forEach((c, i) => {
    const decode = jsonCellOf(c.type).decode;
    if (decode) decoders.push([i, decode]);
  });
  return (cell) => {
    const row = JSON.parse(cell) as unknown[];
    for (const [i, decode] of decoders) if (typeof row[i] === 'string') row[i] = decode(row[i] as string);
    return row;
  };
}

const EMPTY: unknown[] = [];

/** The cursor's name; one read per connection. */
const CURSOR = 'lead_maintenance_read';

/**
 * Streams the rows of `query` as records through a server-side cursor, `fetchSize` rows at a
 * time, in one read-only repeatable-read transaction (the read sees the table as it was when it
 * began, whatever others write meanwhile). The next rows are fetched while the current ones are
 * passed on; at most two fetches are held, whatever the table's size.
 */
export async function* readPgRecords(client: PgClient, map: PgTableMap, query: PgQuery, fetchSize: number): AsyncGenerator<Lead> {
  const build = recordBuilder(map);
  const decode = query.json ? jsonRowDecoder(map) : undefined;
  const toRecord = decode ? (row: unknown[]) => build(decode(row[0] as string)) : build;
  await client.query(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; ${SESSION_FORMATS}`);
  let open = true;
  try {
    await client.query({ text: `DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${query.sql}`, values: query.params });
    const fetch = (): Promise<unknown[][]> =>
      client.query<unknown[]>({ text: `FETCH ${fetchSize} FROM ${CURSOR}`, rowMode: 'array', types: READ_TYPES }).then((r) => r.rows);
    let next = fetch();
    for (;;) {
      const rows = await next;
      if (rows.length === 0) break;
      next = rows.length < fetchSize ? Promise.resolve([]) : fetch();
      // A fetch that fails while the consumer is busy is reported when it is awaited, not as unhandled.
      next.catch(() => undefined);
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        // Let go of each raw row as it is used, so the garbage collector finds it young.
        rows[i] = EMPTY;
        yield toRecord(row);
      }
    }
    open = false;
    await client.query('COMMIT');
  } finally {
    if (open) await client.query('ROLLBACK').catch(() => undefined);
  }
}

/** Turns one row (in the table's column order) into a record; positions are worked out once. */
function recordBuilder(map: PgTableMap): (row: unknown[]) => Lead {
  const names = map.columns.map((c) => c.name);
  const idAt = names.indexOf(map.idColumn);
  const modifiedAt = map.modifiedColumn ? names.indexOf(map.modifiedColumn) : -1;
  const createdAt = map.createdColumn ? names.indexOf(map.createdColumn) : -1;
  const fields: Array<[number, string, boolean]> = [];
  names.forEach((name, i) => {
    const field = map.fieldOf.get(name);
    const type = map.typeOf.get(name) ?? '';
    if (field !== undefined) fields.push([i, field, type === 'bigint' || type === 'numeric' || type.startsWith('numeric(')]);
  });
  const exact = fields.filter(([, , exactNumber]) => exactNumber);
  return (row) => {
    const record: Lead = {};
    for (const [i, field] of fields) setOwn(record, field, row[i]);
    // A copy by spread defines each field as its own, `__proto__` included, as setOwn does.
    const original: Record<string, unknown> = { ...record };
    const meta: RecordMeta = { source: 'local', id: String(row[idAt]) };
    for (const [i, field] of exact) {
      const cell = row[i];
      if (typeof cell !== 'string') continue;
      record._meta = meta;
      addProblem(record, {
        field,
        problem: 'inexact_number',
        value: cell,
        message: `Column ${names[i]} holds ${cell}, past what a JSON number holds exactly; it is carried as that text (PostgreSQL stores it back as the same number), not rounded.`,
      });
    }
    if (modifiedAt >= 0) timestamp(record, meta, 'modified_at', map.modifiedColumn!, row[modifiedAt]);
    if (createdAt >= 0) timestamp(record, meta, 'created_at', map.createdColumn!, row[createdAt]);
    meta.original = original;
    record._meta = meta;
    return record;
  };
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function timestamp(record: Lead, meta: RecordMeta, key: 'modified_at' | 'created_at', column: string, value: unknown): void {
  if (value === null || value === undefined || value === '') return;
  // Times come from pgTimestampToIso already in this form; anything else (a text column) is parsed.
  const iso = typeof value === 'string' && ISO_UTC.test(value) ? value : toIsoTimestamp(value);
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
