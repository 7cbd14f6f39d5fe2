import { errors } from './errors.js';
import { findField, isComputed } from './cells.js';
import { checkBatchSize, commit, isObject, validateFields, type AddedChoices, type PendingWrite, type WriteContext } from './write.js';
import type { ApiRecord } from './serialize.js';
import type { FieldDef } from './schema.js';
import type { StoredRecord } from './store.js';

/** Field types the docs allow as merge keys; email/url/phone count as text (unconfirmed). */
const MERGE_TYPES = new Set([
  'singleLineText',
  'multilineText',
  'email',
  'url',
  'phoneNumber',
  'number',
  'currency',
  'percent',
  'singleSelect',
  'multipleSelects',
  'date',
  'dateTime',
]);

function mergeFields(ctx: WriteContext, spec: unknown): FieldDef[] {
  const keys = isObject(spec) ? spec.fieldsToMergeOn : undefined;
  if (!Array.isArray(keys) || keys.length < 1 || keys.length > 3 || !keys.every((k) => typeof k === 'string')) {
    throw errors.invalidRequest('Invalid request: performUpsert.fieldsToMergeOn must list 1 to 3 field names or ids.');
  }
  return keys.map((k: string) => {
    const f = findField(ctx.table, k);
    if (!f) throw errors.unknownField(k);
    if (isComputed(f) || !MERGE_TYPES.has(f.type)) {
      throw errors.invalidRequest(`Invalid request: field "${f.name}" cannot be used in fieldsToMergeOn.`);
    }
    return f;
  });
}

/**
 * PATCH/PUT with `performUpsert` (contract §2.4). Per record without id: no match creates, one
 * match updates, several matches fail the whole request; an empty merge value always creates. Matching compares stored values
 * exactly (case- and whitespace-sensitive), and two records of one request with the same key
 * fail the request: both are unconfirmed choices, see DECISIONS.md.
 */
export function upsertRecords(
  ctx: WriteContext,
  body: Record<string, unknown>,
  replace: boolean,
): { records: ApiRecord[]; createdRecords: string[]; updatedRecords: string[] } {
  const merge = mergeFields(ctx, body.performUpsert);
  const items = checkBatchSize(body.records, 'updated');
  const keyOf = (values: unknown[]) =>
    values.length === 1 && typeof values[0] === 'string' ? `s${values[0]}` : `j${values.map((v) => JSON.stringify(v ?? null)).join('\u0000')}`;
  const added: AddedChoices = new Map();
  const rows = ctx.store.records(ctx.table.id);
  // First validate every record and collect the wanted keys; then one scan finds all matches.
  const parsed = items.map((item, index) => {
    if (!isObject(item)) throw errors.invalidRequest();
    const cells = validateFields(ctx, item.fields, added);
    if (item.id !== undefined) {
      const existing = typeof item.id === 'string' ? rows.get(item.id) : undefined;
      if (!existing) throw errors.rowDoesNotExist(String(item.id));
      return { cells, existing };
    }
    const values = merge.map((f) => cells.get(f.id));
    const missing = merge.filter((_f, i) => values[i] === undefined);
    if (missing.length) {
      throw errors.invalidRecords(`Record at index ${index} is missing a value for the fields to merge on: ${missing.map((f) => `"${f.name}"`).join(', ')}`);
    }
    // A merge field given but empty (null, or a value that clears the cell) matches nothing:
    // the record is created, as the real API does (DECISIONS.md U4).
    if (values.some((v) => v === null)) return { cells };
    return { cells, key: keyOf(values), values };
  });
  const matches = new Map<string, StoredRecord[]>();
  for (const p of parsed) {
    if (p.key === undefined) continue;
    if (matches.has(p.key)) {
      throw errors.invalidRecords(`Records at several indexes have the same values for the fields to merge on: ${JSON.stringify(p.values)}`);
    }
    matches.set(p.key, []);
  }
  if (matches.size) {
    const only = merge.length === 1 ? merge[0]!.id : undefined;
    for (const r of rows.values()) {
      const v = only === undefined ? undefined : r.cells[only];
      matches.get(typeof v === 'string' ? `s${v}` : keyOf(merge.map((f) => r.cells[f.id])))?.push(r);
    }
  }
  const writes: PendingWrite[] = parsed.map((p, index) => {
    if (p.key === undefined) return p.existing ? { existing: p.existing, cells: p.cells } : { cells: p.cells };
    const found = matches.get(p.key)!;
    if (found.length > 1) {
      throw errors.invalidRecords(`Cannot upsert: ${found.length} existing records match the fields to merge on for the record at index ${index}.`);
    }
    return found[0] ? { existing: found[0], cells: p.cells } : { cells: p.cells };
  });
  const records = commit(ctx, writes, replace, added);
  const createdRecords: string[] = [];
  const updatedRecords: string[] = [];
  for (const [i, w] of writes.entries()) (w.existing ? updatedRecords : createdRecords).push(records[i]!.id);
  return { records, createdRecords, updatedRecords };
}
