import { StageSetupError } from '../core/errors.js';
import { qualifiedName, quoteIdent, type PgClient, type TableName } from './connection.js';

/**
 * A table's definition as a backup keeps it: columns with their types, defaults, identity and
 * generated expressions, constraints, indexes and the sequences its columns own (with their
 * positions), read from the catalogue. From it a restore recreates a table that was dropped or
 * changed, under the configured name, and `ddl` gives the same as SQL for a person or psql.
 */
export interface TableSchema {
  format: 'lead-maintenance-postgres-table';
  version: 1;
  schema: string;
  table: string;
  columns: ColumnSchema[];
  /** Primary-key columns in key order; rows are backed up in this order. Empty: every column is the order. */
  primary_key: string[];
  constraints: Array<{ name: string; definition: string }>;
  /** Indexes that back no constraint: name, UNIQUE or not, and everything after `USING`. */
  indexes: Array<{ name: string; unique: boolean; using: string }>;
  sequences: Array<{ column: string; name: string; last_value: string; is_called: boolean }>;
  ddl: string;
}

export interface ColumnSchema {
  name: string;
  type: string;
  not_null: boolean;
  default: string | null;
  /** `a` (GENERATED ALWAYS AS IDENTITY), `d` (BY DEFAULT) or ''. */
  identity: string;
  /** `s` for a stored generated column (never inserted), else ''. */
  generated: string;
}

/** The table's resolved schema and name (the search path decides an unqualified one), or undefined when it does not exist. */
export async function resolveTable(client: PgClient, table: TableName): Promise<{ oid: number; schema: string; table: string } | undefined> {
  const found = await client.query<{ oid: number; schema: string; table: string }>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS table
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = to_regclass($1)`,
    [qualifiedName(table)],
  );
  return found.rows[0];
}

/** Reads a table's definition; the table must exist (StageSetupError naming it otherwise). */
export async function readTableSchema(client: PgClient, table: TableName, who: string): Promise<TableSchema> {
  const resolved = await resolveTable(client, table);
  if (!resolved)
    throw new StageSetupError(
      who,
      `PostgreSQL has no table ${qualifiedName(table)}: check the table in the field mapping (local.table) or the step's table option.`,
    );
  const { oid } = resolved;
  const columns = (
    await client.query<ColumnSchema>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
              pg_get_expr(d.adbin, d.adrelid) AS default, a.attidentity::text AS identity, a.attgenerated::text AS generated
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [oid],
    )
  ).rows;
  const primaryKey = (
    await client.query<{ name: string }>(
      `SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
        WHERE i.indrelid = $1 AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`,
      [oid],
    )
  ).rows.map((r) => r.name);
  const constraints = (
    await client.query<{ name: string; definition: string }>(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conrelid = $1 ORDER BY contype = 'p' DESC, conname`,
      [oid],
    )
  ).rows;
  const indexes = (
    await client.query<{ name: string; unique: boolean; definition: string }>(
      `SELECT c.relname AS name, i.indisunique AS unique, pg_get_indexdef(i.indexrelid) AS definition
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = $1 AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
        ORDER BY c.relname`,
      [oid],
    )
  ).rows.map((r) => ({ name: r.name, unique: r.unique, using: r.definition.slice(r.definition.indexOf(' USING ') + ' USING '.length) }));
  const sequences: TableSchema['sequences'] = [];
  for (const column of columns) {
    const owned = await client.query<{ name: string | null }>('SELECT pg_get_serial_sequence($1, $2) AS name', [
      qualifiedName({ schema: resolved.schema, name: resolved.table }),
      column.name,
    ]);
    const name = owned.rows[0]?.name;
    if (!name) continue;
    sequences.push({ column: column.name, name, ...(await sequencePosition(client, name, resolved, column.name)) });
  }
  const schema: TableSchema = {
    format: 'lead-maintenance-postgres-table',
    version: 1,
    schema: resolved.schema,
    table: resolved.table,
    columns,
    primary_key: primaryKey,
    constraints,
    indexes,
    sequences,
    ddl: '',
  };
  schema.ddl = tableDdl(schema, { schema: resolved.schema, name: resolved.table }).join('\n');
  return schema;
}

/** The statements that create the table as `target`: its sequences, the table with its constraints, its indexes. */
export function tableDdl(schema: TableSchema, target: TableName): string[] {
  const name = qualifiedName(target);
  const identitySequences = new Set(schema.columns.filter((c) => c.identity).map((c) => c.name));
  const ownedSequences = schema.sequences.filter((s) => !identitySequences.has(s.column));
  const lines = schema.columns.map((c) => {
    let line = `  ${quoteIdent(c.name)} ${c.type}`;
    if (c.generated === 's' && c.default) line += ` GENERATED ALWAYS AS (${c.default}) STORED`;
    else if (c.identity) line += ` GENERATED ${c.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`;
    else if (c.default !== null) line += ` DEFAULT ${c.default}`;
    if (c.not_null) line += ' NOT NULL';
    return line;
  });
  for (const constraint of schema.constraints) lines.push(`  CONSTRAINT ${quoteIdent(constraint.name)} ${constraint.definition}`);
  return [
    ...ownedSequences.map((s) => `CREATE SEQUENCE IF NOT EXISTS ${s.name};`),
    `CREATE TABLE ${name} (\n${lines.join(',\n')}\n);`,
    ...ownedSequences.map((s) => `ALTER SEQUENCE ${s.name} OWNED BY ${name}.${quoteIdent(s.column)};`),
    ...schema.indexes.map((i) => `CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX ${quoteIdent(i.name)} ON ${name} USING ${i.using};`),
  ];
}

/** The columns a row is written with (a stored generated column is computed by the server, never inserted). */
export function insertableColumns(schema: TableSchema): ColumnSchema[] {
  return schema.columns.filter((c) => c.generated !== 's');
}

/** `SELECT` of every column as text (the type's own output, which its input reads back exactly), in backup order. */
export function textSelect(schema: TableSchema, table: TableName): string {
  const columns = schema.columns.map((c) => `${quoteIdent(c.name)}::text`).join(', ');
  const order = schema.primary_key.length ? schema.primary_key.map(quoteIdent).join(', ') : schema.columns.map((_, i) => String(i + 1)).join(', ');
  return `SELECT ${columns} FROM ${qualifiedName(table)} ORDER BY ${order}`;
}

/**
 * Where a column's sequence stands. Reading it needs SELECT or USAGE on the sequence, which a user
 * of an identity column does not need otherwise: without it, the column's largest value stands in
 * (the next value the restored table needs is past it), else the sequence's start.
 */
async function sequencePosition(
  client: PgClient,
  name: string,
  table: { schema: string; table: string },
  column: string,
): Promise<{ last_value: string; is_called: boolean }> {
  const allowed = await client.query<{ ok: boolean }>(`SELECT has_sequence_privilege($1, 'SELECT') OR has_sequence_privilege($1, 'USAGE') AS ok`, [name]);
  if (allowed.rows[0]?.ok)
    return (await client.query<{ last_value: string; is_called: boolean }>(`SELECT last_value::text AS last_value, is_called FROM ${name}`)).rows[0]!;
  const largest = await client.query<{ max: string | null }>(
    `SELECT max(${quoteIdent(column)})::text AS max FROM ${qualifiedName({ schema: table.schema, name: table.table })}`,
  );
  if (largest.rows[0]?.max != null) return { last_value: largest.rows[0].max, is_called: true };
  const start = await client.query<{ start: string }>('SELECT seqstart::text AS start FROM pg_sequence WHERE seqrelid = $1::regclass', [name]);
  return { last_value: start.rows[0]!.start, is_called: false };
}
