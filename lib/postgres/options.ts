import path from 'node:path';
import type { OptionSpec } from '../core/stage.js';
import { loadFieldMapping, type LocalMapping } from '../core/field-mapping.js';
import { TABLE_OPTIONS } from '../sqlite/options.js';
import { CONNECTION_OPTIONS, type ConnectionOptions } from './connection.js';

/** The options `read-postgres` and `write-postgres` share: which server, which table, how its columns are named. */
export interface PgTableOptions extends ConnectionOptions {
  field_mapping?: string;
  table?: string;
  id_column?: string;
  modified_column?: string;
  created_column?: string;
  columns?: Record<string, string>;
}

/** Their declarations: the connection's, and the field mapping's as the SQLite stages describe it. */
export const PG_TABLE_OPTIONS: { [K in keyof PgTableOptions]-?: OptionSpec } = {
  ...CONNECTION_OPTIONS,
  field_mapping: TABLE_OPTIONS.field_mapping,
  table: {
    type: 'string',
    description:
      'The table holding leads, as table or schema.table (quote a part holding a dot: "my.schema".leads); overrides local.table of the field mapping.',
    example: 'crm.leads',
  },
  id_column: TABLE_OPTIONS.id_column,
  modified_column: TABLE_OPTIONS.modified_column,
  created_column: TABLE_OPTIONS.created_column,
  columns: TABLE_OPTIONS.columns,
};

/** The local mapping: the field-mapping file's local: section with the step's overrides on top. */
export function pgLocalMapping(options: PgTableOptions, baseDir: string): LocalMapping {
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
