import type { Db } from './open.js';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import { mappingName, type LocalMapping } from '../core/field-mapping.js';

/** One column as SQLite declares it. */
export interface ColumnInfo {
  name: string;
  /** The declared type, upper-cased (`TEXT`, `BOOLEAN`, `` for none). */
  type: string;
  notnull: boolean;
  pk: boolean;
}

/** A table resolved against a mapping: actual column names, and fields ↔ columns for the data columns. */
export interface TableMap {
  /** The mapping file it was resolved with (for messages). */
  mappingFile?: string;
  table: string;
  columns: ColumnInfo[];
  idColumn: string;
  /** The id column is an INTEGER PRIMARY KEY: creates let SQLite assign the id. */
  idIsInteger: boolean;
  modifiedColumn: string | null;
  createdColumn: string | null;
  /** Data column → field (every column but the id, modified and created columns, which go to `_meta`). */
  fieldOf: Map<string, string>;
  /** Field → data column. */
  columnOf: Map<string, string>;
  /** Column → its declared type. */
  typeOf: Map<string, string>;
}

/** Quotes an identifier for SQL (column and table names may hold quotes, spaces or unicode). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The columns of `table` in declaration order (empty when there is no such table). */
export function tableColumns(db: Db, table: string): ColumnInfo[] {
  const rows = db.prepare('SELECT name, type, "notnull", pk FROM pragma_table_info(?)').all(table) as Array<{
    name: string;
    type: string;
    notnull: number;
    pk: number;
  }>;
  return rows.map((r) => ({ name: r.name, type: (r.type ?? '').toUpperCase(), notnull: r.notnull === 1, pk: r.pk > 0 }));
}

function tableNames(db: Db): string[] {
  return db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all() as string[];
}

/**
 * Resolves `mapping` against the actual table. Every mapped column must exist: a missing one is
 * a configuration error that lists the table's columns, so the user can fix the mapping. SQLite
 * names are case-insensitive, so `Full_Name` finds `full_name`.
 *
 * @param where - what to name in errors, e.g. `read-sqlite` and the database file.
 */
export function resolveTable(db: Db, mapping: LocalMapping, where: { stage: string; file: string }): TableMap {
  const columns = tableColumns(db, mapping.table);
  if (columns.length === 0) {
    const tables = tableNames(db);
    throw new ConfigError([
      {
        path: `${where.stage}.table`,
        message: `The database ${where.file} has no table '${mapping.table}'; its tables are: ${tables.length ? tables.join(', ') : '(none)'}. Fix the table name in ${mappingName(mapping.file)} (local.table) or the step's table option.`,
      },
    ]);
  }
  const byLower = new Map(columns.map((c) => [c.name.toLowerCase(), c] as const));
  const issues: ConfigIssue[] = [];
  const listing = columns.map((c) => c.name).join(', ');
  const find = (name: string, option: string): ColumnInfo | undefined => {
    const column = byLower.get(name.toLowerCase());
    if (!column) {
      issues.push({
        path: `${where.stage}.${option}`,
        message: `Table '${mapping.table}' in ${where.file} has no column '${name}'; its columns are: ${listing}. Fix ${mappingName(mapping.file)} (local.${option}) or the step's options.`,
      });
    }
    return column;
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
        message: `Columns '${clash}' and '${column.name}' of table '${mapping.table}' both map to field '${field}'. Map one of them to another field in ${mappingName(mapping.file)} (local.columns), e.g. ${clash}: ${clash}_legacy.`,
      });
    } else {
      fieldOf.set(column.name, field);
      columnOf.set(field, column.name);
    }
  }
  if (issues.length) throw new ConfigError(issues);
  return {
    mappingFile: mapping.file,
    table: mapping.table,
    columns,
    idColumn: id!.name,
    idIsInteger: id!.pk && id!.type === 'INTEGER',
    modifiedColumn: modified?.name ?? null,
    createdColumn: created?.name ?? null,
    fieldOf,
    columnOf,
    typeOf: new Map(columns.map((c) => [c.name, c.type])),
  };
}
