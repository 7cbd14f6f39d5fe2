import path from 'node:path';
import type { Readable } from 'node:stream';
import { StageError } from '../core/errors.js';
import { loadFieldMapping, type FieldMapping } from '../core/field-mapping.js';
import { openInput } from '../core/jsonl.js';
import { own, setOwn } from '../core/own.js';
import type { Lead, RecordMeta, SourceSystem } from '../core/record.js';
import type { OptionSpec, RejectEntry, StageContext } from '../core/stage.js';
import { toIsoTimestamp } from '../sqlite/values.js';

/**
 * Exports people have (a CRM's CSV, an Airtable API dump): their column names turned into
 * canonical fields through the field mapping, and the record as a reader of either system would
 * have made it when the export says which system it came from. read-csv and read-json share it,
 * so a column means the same in both.
 */

/** The options both export readers take for naming fields and saying where the export came from. */
export interface ExportOptions {
  field_mapping?: string;
  columns?: Record<string, string>;
  system?: string;
  id_column?: string;
}

export const EXPORT_OPTIONS: { [K in keyof ExportOptions]-?: OptionSpec } = {
  field_mapping: {
    type: 'path',
    description:
      "The field-mapping file: a column named as an Airtable field (airtable_to_database) or a local column (local.columns) becomes its canonical field; the package's config/field-mapping.yaml when not given.",
    example: '../config/field-mapping.yaml',
  },
  columns: {
    type: 'object',
    description: "Column → field names for this export's own column names, on top of the field mapping (other columns keep their names).",
    example: { 'E-mail Address': 'email', Organization: 'company' },
  },
  system: {
    type: 'string',
    values: ['local', 'airtable'],
    description:
      'The system the export was taken from: each record then carries it as its source, with its id (id_column) and, for local, its modified time, as read-sqlite or read-airtable would; without it the records are plain, as read-jsonl reads them.',
    example: 'local',
  },
  id_column: {
    type: 'string',
    description: "With system: the column holding each record's id in that system; the field mapping's local.id_column when not given.",
    example: 'id',
  },
};

/** How an export's names become fields, and what its records say about where they came from. */
export interface ExportFields {
  /** The canonical field of a column name. */
  field(column: string): string;
  /** A record of the export's values, with `_meta` as the system's reader would give it. */
  lead(values: Record<string, unknown>, meta: RecordMeta): Lead;
  /** The field the id is read from, when the export names a system. */
  idField?: string;
  mapping: FieldMapping;
}

/** The naming and bookkeeping of an export, from a reader's options. */
export function exportFields(options: ExportOptions, baseDir: string): ExportFields {
  const mapping = loadFieldMapping(options.field_mapping ? path.resolve(baseDir, options.field_mapping) : undefined);
  const extra = options.columns ?? {};
  // A JSON export names its fields again in every element: each name is looked up once.
  const named = new Map<string, string>();
  const field = (column: string): string => {
    let name = named.get(column);
    if (name === undefined) {
      name = own<string>(extra, column) ?? own<string>(mapping.airtable_to_database, column) ?? own<string>(mapping.local.columns, column) ?? column;
      if (named.size < 10_000) named.set(column, name);
    }
    return name;
  };
  const system = options.system as SourceSystem | undefined;
  const idField = system ? field(options.id_column ?? mapping.local.id_column) : undefined;
  const modifiedField = system === 'local' && mapping.local.modified_column ? field(mapping.local.modified_column) : undefined;
  return {
    field,
    idField,
    mapping,
    lead(values, meta) {
      const record: Lead = values;
      if (system) {
        const id = idField === undefined ? undefined : own(values, idField);
        if (id !== undefined && id !== null && id !== '') meta.id = String(id);
        meta.source = system;
        const modified = modifiedField ? toIsoTimestamp(own(values, modifiedField)) : undefined;
        if (modified) meta.modified_at = modified;
        meta.original = { ...values };
      }
      record._meta = meta;
      return record;
    },
  };
}

/**
 * The fields of a header row. Two columns that land on one field would make one value overwrite
 * the other, so that stops the read with both columns named.
 */
export function headerFields(header: readonly string[], fields: ExportFields, stage: string, label: string): string[] {
  const seen = new Map<string, number>();
  return header.map((name, i) => {
    const column = name.trim() === '' ? `column_${i + 1}` : name.trim();
    const field = fields.field(column);
    const other = seen.get(field);
    if (other !== undefined)
      throw new StageError(
        stage,
        `${label}:1: columns ${other + 1} ('${header[other]}') and ${i + 1} ('${name}') are both the field '${field}'; rename one, or map it elsewhere with the columns option`,
      );
    seen.set(field, i);
    return field;
  });
}

/** A record of values under their fields: an empty cell is null, as an empty field read from either system is. */
export function valuesOf(fields: readonly string[], cells: readonly string[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (let i = 0; i < fields.length; i++) setOwn(values, fields[i]!, cells[i] === '' ? null : cells[i]);
  return values;
}

/**
 * A row or element that is not a record: it goes to the rejects file, then the step's `on_error`
 * decides (`fail` throws, `skip` drops it, `tag` returns a placeholder carrying the raw text and
 * the problem), as read-jsonl does for a line.
 */
export function rejectItem(ctx: StageContext, entry: RejectEntry & { raw: string }): Lead | undefined {
  ctx.reject(entry);
  if (ctx.onError === 'fail') throw new StageError(ctx.stage, entry.message);
  if (ctx.onError === 'skip') return ctx.drop(entry.reason);
  const where = entry.index === undefined ? { line: entry.line } : { index: entry.index };
  return { _meta: { ...where, raw: entry.raw, problems: [{ problem: entry.reason, message: entry.message }] } };
}

/** The export a reader was pointed at (`-` for the run's stdin), or the stage's error saying it cannot be read. */
export function openExport(file: string, ctx: StageContext, label: string): Readable {
  try {
    return openInput(file, ctx.stdin);
  } catch (error) {
    throw new StageError(ctx.stage, `cannot read ${label}: ${(error as Error).message}`, { cause: error });
  }
}
