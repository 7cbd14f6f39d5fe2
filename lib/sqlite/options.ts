import path from 'node:path';
import type { OptionSpec } from '../core/stage.js';
import { loadFieldMapping } from '../core/field-mapping.js';
import { DEFAULT_BUSY_TIMEOUT_MS } from './open.js';
import type { LocalMapping } from '../core/field-mapping.js';

/** The options `read-sqlite` and `write-sqlite` share: which database, which table, how its columns are named. */
export interface TableOptions {
  database: string;
  field_mapping?: string;
  table?: string;
  id_column?: string;
  modified_column?: string;
  created_column?: string;
  columns?: Record<string, string>;
  busy_timeout_ms: number;
}

/** Their declarations, shared so both stages describe them the same way. */
export const TABLE_OPTIONS: { [K in keyof TableOptions]-?: OptionSpec } = {
  database: {
    type: 'path',
    description: 'The SQLite lead database file.',
    default: 'data/leads.db',
    example: 'data/leads.db',
  },
  field_mapping: {
    type: 'path',
    description: "The field-mapping file whose local: section names the table and its columns; the package's config/field-mapping.yaml when not given.",
    example: '../config/field-mapping.yaml',
  },
  table: {
    type: 'string',
    description: 'The table holding leads; overrides local.table of the field mapping.',
    example: 'leads',
  },
  id_column: {
    type: 'string',
    description: "The table's primary-key column; overrides local.id_column.",
    example: 'id',
  },
  modified_column: {
    type: 'string',
    description: 'The last-modified column, used by since and set on every write; overrides local.modified_column.',
    example: 'updated_at',
  },
  created_column: {
    type: 'string',
    description: 'The creation-time column, set on creates; overrides local.created_column.',
    example: 'created_at',
  },
  columns: {
    type: 'object',
    description: 'Column → field names for columns not named as the canonical field; overrides local.columns. Other columns keep their names.',
    example: { full_name: 'name' },
  },
  busy_timeout_ms: {
    type: 'integer',
    description: 'How long to wait for another program holding a lock on the database before failing.',
    default: DEFAULT_BUSY_TIMEOUT_MS,
    min: 0,
  },
};

/** The database path, resolved from the pipeline's directory. */
export function databasePath(options: TableOptions, baseDir: string): string {
  return path.resolve(baseDir, options.database);
}

/** The local mapping: the field-mapping file's local: section with the step's overrides on top. */
export function localMapping(options: TableOptions, baseDir: string): LocalMapping {
  const file = options.field_mapping ? path.resolve(baseDir, options.field_mapping) : undefined;
  const local = loadFieldMapping(file).local;
  return {
    file,
    table: options.table ?? local.table,
    id_column: options.id_column ?? local.id_column,
    modified_column: options.modified_column ?? local.modified_column,
    created_column: options.created_column ?? local.created_column,
    columns: options.columns ?? local.columns,
  };
}
