import { isoSecond } from './ids.js';
import { readCell } from './cells.js';
import type { FieldDef, TableDef } from './schema.js';
import type { StoredRecord } from './store.js';

/** How records are rendered: which fields, keyed how, in which cell format. */
export interface RenderOptions {
  fields?: FieldDef[];
  byFieldId?: boolean;
  cellFormat?: 'json' | 'string';
  commentCount?: boolean;
  now: number;
}

/** The API shape of a record: `{id, createdTime, fields}` with empty cells omitted and 0 kept. */
export interface ApiRecord {
  id: string;
  createdTime: string;
  fields: Record<string, unknown>;
  commentCount?: number;
}

function asString(v: unknown): string {
  if (Array.isArray(v)) return v.map(asString).join(', ');
  if (v === true) return 'checked';
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

export function renderRecord(table: TableDef, record: StoredRecord, opts: RenderOptions): ApiRecord {
  const fields: Record<string, unknown> = {};
  for (const f of opts.fields ?? table.fields) {
    const v = readCell(table, record, f, opts.now);
    if (v === undefined) continue;
    fields[opts.byFieldId ? f.id : f.name] = opts.cellFormat === 'string' ? asString(v) : v;
  }
  const out: ApiRecord = { id: record.id, createdTime: isoSecond(record.createdTime), fields };
  if (opts.commentCount) out.commentCount = 0;
  return out;
}
