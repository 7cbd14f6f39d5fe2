import { ConfigError, type ConfigIssue } from '../core/errors.js';
import { mappingName, type LocalMapping } from '../core/field-mapping.js';
import { type PgClient, parseTableName, qualifiedName, quoteIdent, type TableName, tableLabel } from './connection.js';

/** One column as PostgreSQL declares it. */
export interface PgColumn {
  name: string;
  /** The declared type as `format_type` writes it: `text`, `integer`, `timestamp with time zone`, `text[]`. */
  type: string;
  notnull: boolean;
  pk: boolean;
  /** A default or identity: a create may leave it out. */
  generated: boolean;
}

/** A table resolved against a mapping: actual column names, and fields ↔ columns for the data columns. */
export interface PgTableMap {
  mappingFile?: string;
  name: TableName;
  /** The name for SQL, quoted (and schema-qualified when a schema was given). */
  sql: string;
  /** The name for messages, as the user wrote it. */
  label: string;
  columns: PgColumn[];
  idColumn: string;
  /** The server assigns ids (identity, serial or another default): a create without an id lets it. */
  idIsGenerated: boolean;
  modifiedColumn: string | null;
  createdColumn: string | null;
  /** Data column → field (every column but the id, modified and created columns, which go to `_meta`). */
  fieldOf: Map<string, string>;
  /** Field → data column. */
  columnOf: Map<string, string>;
  /** Column → its declared type. */
  typeOf: Map<string, string>;
}

/** The table as it reads in a journal or a message: parts quoted only where needed, so `parseTableName` reads it back. */
export function formatTableName(table: TableName): string {
  const part = (p: string): string => (/^[^."]+$/.test(p) ? p : quoteIdent(p));
  return table.schema === null ? part(table.name) : `${part(table.schema)}.${part(table.name)}`;
}

const COLUMNS_SQL = `
SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
       coalesce(a.attnum = ANY(i.indkey), false) AS pk, (a.atthasdef OR a.attidentity <> '') AS generated
  FROM pg_attribute a
  LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
 WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum`;

/** The columns of a table in declaration order (empty when there is no such table or view). */
export async function tableColumns(client: PgClient, table: TableName): Promise<PgColumn[]> {
  const { rows } = await client.query<PgColumn>(COLUMNS_SQL, [qualifiedName(table)]);
  return rows;
}

async function tableNames(client: PgClient): Promise<string[]> {
  const { rows } = await client.query<{ schema: string; name: string }>(
    `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
      WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2 LIMIT 50`,
  );
  return rows.map((r) => formatTableName({ schema: r.schema === 'public' ? null : r.schema, name: r.name }));
}

/**
 * Resolves `mapping` against the actual table. Every mapped column must exist: a missing one is
 * a configuration error listing the table's columns. PostgreSQL names are case-sensitive; a name
 * that matches one column only when case is ignored finds it too, as a user would expect.
 */
export async function resolvePgTable(client: PgClient, mapping: LocalMapping, where: { stage: string; target: string }): Promise<PgTableMap> {
  const name = parseTableName(mapping.table, where.stage);
  const columns = await tableColumns(client, name);
  const label = tableLabel(name);
  if (columns.length === 0) {
    const tables = await tableNames(client);
    throw new ConfigError([
      {
        path: `${where.stage}.table`,
        message: `PostgreSQL at ${where.target} has no table '${label}' that this user can see; its tables are: ${tables.length ? tables.join(', ') : '(none)'}. Fix the table name in ${mappingName(mapping.file)} (local.table) or the step's table option (schema.table for another schema).`,
      },
    ]);
  }
  const byName = new Map(columns.map((c) => [c.name, c] as const));
  const issues: ConfigIssue[] = [];
  const listing = columns.map((c) => c.name).join(', ');
  const find = (wanted: string, option: string): PgColumn | undefined => {
    const exact = byName.get(wanted);
    if (exact) return exact;
    const folded = columns.filter((c) => c.name.toLowerCase() === wanted.toLowerCase());
    if (folded.length === 1) return folded[0];
    issues.push({
      path: `${where.stage}.${option}`,
      message: `Table '${label}' at ${where.target} has no column '${wanted}'; its columns are: ${listing}. Fix ${mappingName(mapping.file)} (local.${option}) or the step's options.`,
    });
    return undefined;
  };
  const id = find(mapping.id_column, 'id_column');
  const modified = mapping.modified_column ? find(mapping.modified_column, 'modified_column') : undefined;
  const created = mapping.created_column ? find(mapping.created_column, 'created_column') : undefined;
  const renamed = new Map<string, string>();
  for (const [column, field] of Object.entries(mapping.columns)) {
    const info = find(column, `columns.${column}`);
    if (info) renamed.set(info.name, field);
  }
  const bookkeeping = new Set([id?.name, modified?.name, created?.name]);
  const fieldOf = new Map<string, string>();
  const columnOf = new Map<string, string>();
  for (const column of columns) {
    if (bookkeeping.has(column.name)) continue;
    const field = renamed.get(column.name) ?? column.name;
    const clash = columnOf.get(field);
    if (field === '_meta') {
      issues.push({
        path: `${where.stage}.columns`,
        message: `Column '${column.name}' cannot map to '_meta', which holds pipeline bookkeeping. Map it to another field name.`,
      });
    } else if (clash !== undefined) {
      issues.push({
        path: `${where.stage}.columns.${column.name}`,
        message: `Columns '${clash}' and '${column.name}' of table '${label}' both map to field '${field}'. Map one of them to another field in ${mappingName(mapping.file)} (local.columns).`,
      });
    } else {
      fieldOf.set(column.name, field);
      columnOf.set(field, column.name);
    }
  }
  if (issues.length) throw new ConfigError(issues);
  return {
    mappingFile: mapping.file,
    name,
    sql: qualifiedName(name),
    label,
    columns,
    idColumn: id!.name,
    idIsGenerated: id!.generated,
    modifiedColumn: modified?.name ?? null,
    createdColumn: created?.name ?? null,
    fieldOf,
    columnOf,
    typeOf: new Map(columns.map((c) => [c.name, c.type])),
  };
}
