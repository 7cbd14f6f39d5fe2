import { errors } from './errors.js';
import { findField, isComputed } from './cells.js';
import { checkBatchSize, commit, isObject, validateFields, type AddedChoices, type PendingWrite, type WriteContext } from './write.js';
import type { ApiRecord } from './serialize.js';
import type { FieldDef } from './schema.js';

/** Field types the docs allow as merge keys; email/url/phone count as text (unconfirmed). */
const MERGE_TYPES = new Set(['singleLineText', 'multilineText', 'email', 'url', 'phoneNumber',
  'number', 'currency', 'percent', 'singleSelect', 'multipleSelects', 'date', 'dateTime']);

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
 * match updates, several matches fail the whole request. Matching compares stored values
 * exactly (case- and whitespace-sensitive), and two records of one request with the same key
 * fail the request: both are unconfirmed choices, see DECISIONS.md.
 */
export function upsertRecords(ctx: WriteContext, body: Record<string, unknown>, replace: boolean):
  { records: ApiRecord[]; createdRecords: string[]; updatedRecords: string[] } {
  const merge = mergeFields(ctx, body.performUpsert);
  const items = checkBatchSize(body.records, 'updated');
  const rows = [...ctx.store.records(ctx.table.id).values()];
  const added: AddedChoices = new Map();
  const seenKeys = new Set<string>();
  const writes: PendingWrite[] = items.map((item, index) => {
    if (!isObject(item)) throw errors.invalidRequest();
    const cells = validateFields(ctx, item.fields, added);
    if (item.id !== undefined) {
      const existing = typeof item.id === 'string' ? ctx.store.records(ctx.table.id).get(item.id) : undefined;
      if (!existing) throw errors.rowDoesNotExist(String(item.id));
      return { existing, cells };
    }
    const values = merge.map((f) => cells.get(f.id));
    const missing = merge.filter((_f, i) => values[i] === undefined || values[i] === null);
    if (missing.length) {
      throw errors.invalidRecords(`Record at index ${index} is missing a value for the fields to merge on: ${missing.map((f) => `"${f.name}"`).join(', ')}`);
    }
    const key = JSON.stringify(values);
    if (seenKeys.has(key)) throw errors.invalidRecords(`Records at several indexes have the same values for the fields to merge on: ${key}`);
    seenKeys.add(key);
    const matches = rows.filter((r) => merge.every((f, i) => JSON.stringify(r.cells[f.id] ?? null) === JSON.stringify(values[i])));
    if (matches.length > 1) {
      throw errors.invalidRecords(`Cannot upsert: ${matches.length} existing records match the fields to merge on for the record at index ${index}.`);
    }
    return matches[0] ? { existing: matches[0], cells } : { cells };
  });
  const records = commit(ctx, writes, replace, added);
  const createdRecords: string[] = [];
  const updatedRecords: string[] = [];
  writes.forEach((w, i) => (w.existing ? updatedRecords : createdRecords).push(records[i]!.id));
  return { records, createdRecords, updatedRecords };
}
