import type { Operation } from '../core/operation.js';
import { own } from '../core/own.js';
import type { DataConflict } from '../core/types.js';
import type { WriteResult } from '../core/writer.js';
import { quoteIdent, type PgClient } from './connection.js';

/**
 * Write-time detection of another writer. Several people and tools write a PostgreSQL lead table
 * at once, so a row may change between the run's read and its write. An update or delete applies
 * only while the row still holds what the run read (each column the update sets, every column of
 * a row it deletes, as the operation's `replaces` recorded them): the condition goes into the
 * statement's WHERE, so the server checks it on the locked row. A row that no longer matches is
 * left as the other writer made it and reported as a conflict (the operation `skipped`, saying
 * why); the next run reads it again and plans from what it holds then.
 */

/** How the writer maps fields to columns and types (write-postgres's table map gives both). */
export interface ReadCheckTable {
  columnOf(field: string): string | undefined;
  typeOf(column: string): string;
  idColumn: string;
}

/** Types PostgreSQL has no equality operator for: compared by their text. */
const NO_EQUALITY = /^(json|xml|point|line|lseg|box|path|polygon|circle)$/;

/**
 * The SQL condition that the row (columns qualified by `alias`, if given) still holds what the run
 * read, with its parameters numbered from `firstParam`. `toParam` turns a value into the parameter
 * for a column type (write-postgres's toPgParam). '' and NULL are one, as everywhere in the tool.
 * A create, or an operation that recorded nothing it replaces, gives `true`.
 */
export function unchangedSinceRead(
  op: Pick<Operation, 'action' | 'fields' | 'replaces'>,
  table: ReadCheckTable,
  firstParam: number,
  toParam: (value: unknown, type: string) => unknown,
  alias = '',
): { sql: string; params: unknown[] } {
  if (op.action === 'create') return { sql: 'true', params: [] };
  const fields = op.action === 'update' ? Object.keys(op.fields ?? {}) : Object.keys(op.replaces ?? {});
  const parts: string[] = [];
  const params: unknown[] = [];
  const seen = new Set<string>();
  for (const field of fields) {
    if (field === '_meta' || !Object.hasOwn(op.replaces ?? {}, field)) continue;
    const column = table.columnOf(field);
    if (column === undefined || column === table.idColumn || seen.has(column)) continue;
    seen.add(column);
    const type = table.typeOf(column);
    params.push(toParam(own(op.replaces, field) ?? null, type));
    const p = `$${firstParam + params.length - 1}`;
    const cell = `${alias ? `${alias}.` : ''}${quoteIdent(column)}`;
    const typed = type ? `${p}::${type}` : p;
    // The reader gives times to the millisecond (as JavaScript holds them); the server keeps microseconds.
    if (type.startsWith('timestamp')) parts.push(`date_trunc('milliseconds', ${cell}) IS NOT DISTINCT FROM date_trunc('milliseconds', ${typed})`);
    else if (type === 'json' || type === 'jsonb') parts.push(`(${cell})::jsonb IS NOT DISTINCT FROM (${typed})::jsonb`);
    else if (NO_EQUALITY.test(type)) parts.push(`(${cell})::text IS NOT DISTINCT FROM (${typed})::text`);
    else parts.push(`(CASE WHEN ${typed} IS NULL THEN ${cell} IS NULL OR ${cell}::text = '' ELSE ${cell} = ${typed} END)`);
  }
  return { sql: parts.length ? parts.join(' AND ') : 'true', params };
}

/**
 * Why a guarded update or delete changed no row: the row is gone (`deleted`), or another writer
 * changed it since the run read it (`changed`). Asked inside the same transaction.
 */
export async function whyNoRow(client: PgClient, tableSql: string, idColumn: string, id: string): Promise<'deleted' | 'changed'> {
  const found = await client.query(`SELECT 1 FROM ${tableSql} WHERE ${quoteIdent(idColumn)} = $1`, [id]);
  return (found.rowCount ?? 0) > 0 ? 'changed' : 'deleted';
}

const CONFLICT = 'conflict: ';

/** True for the outcome `concurrentChange` gives: another writer's values were kept. */
export function isConcurrentChange(result: Operation['result']): boolean {
  return result?.status === 'skipped' && typeof result.error === 'string' && result.error.startsWith(CONFLICT);
}

/** The outcome of an operation whose row another writer changed since the run read it: skipped, their values kept. */
export function concurrentChange(op: Pick<Operation, 'action' | 'id'>, tableLabel: string): WriteResult {
  return {
    status: 'skipped',
    id: op.id,
    error: `${CONFLICT}local record ${op.id} in ${tableLabel} was changed by another writer after this run read it; the ${op.action} was not applied and their values are kept (the next run plans it again from what the row holds then)`,
  };
}

/** How the conflicts of skipped operations name columns: write-postgres's table map. */
export interface ConflictTable {
  sql: string;
  idColumn: string;
  modifiedColumn: string | null;
  columnOf: Map<string, string>;
}

/** The rows (as JSON values, by column) of the records of `ops` now, after the other writer's change; read after the batch. */
export async function rowsNow(client: PgClient, table: ConflictTable, ops: Operation[]): Promise<Map<string, Record<string, unknown>>> {
  const ids = [...new Set(ops.map((op) => String(op.id)))];
  const found = await client.query<{ id: string; row: string }>(
    `SELECT ${quoteIdent(table.idColumn)}::text AS id, row_to_json(t)::text AS row FROM ${table.sql} t WHERE ${quoteIdent(table.idColumn)}::text = ANY($1::text[])`,
    [ids],
  );
  return new Map(found.rows.map((r) => [r.id, JSON.parse(r.row) as Record<string, unknown>]));
}

/**
 * The report's conflicts for an operation another writer's change made the run skip: one per
 * field the update would have set (`(record)` for a delete), with `local_value` what the record
 * holds now (the other writer's) and `airtable_value` what this run would have written.
 */
export function concurrentConflicts(op: Operation, now: Record<string, unknown> | undefined, table: ConflictTable, linkField?: string): DataConflict[] {
  const link = linkField ? own(op.fields, linkField) : undefined;
  const recordId = `local:${String(op.id)}${typeof link === 'string' && link ? `|airtable:${link}` : ''}`;
  const modified = table.modifiedColumn && now ? now[table.modifiedColumn] : undefined;
  const conflict = (field: string, local: unknown, planned: unknown): DataConflict => ({
    kind: 'conflict',
    entity: op.entity,
    field_name: field,
    local_value: local ?? null,
    airtable_value: planned ?? null,
    record_id: recordId,
    last_modified_local: typeof modified === 'string' ? modified : null,
    last_modified_airtable: null,
    conflict_type: 'concurrent_change',
    suggested_resolution: 'keep_local',
    resolution: 'skipped',
  });
  if (op.action === 'delete') return [conflict('(record)', now ?? null, null)];
  return Object.keys(op.fields)
    .filter((field) => field !== '_meta')
    .map((field) => conflict(field, now?.[table.columnOf.get(field) ?? field], own(op.fields, field)));
}
