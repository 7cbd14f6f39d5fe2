import { errors } from './errors.js';
import { isId, randomId, toSecond } from './ids.js';
import { convertCell, findField, isComputed } from './cells.js';
import { renderRecord, type ApiRecord } from './serialize.js';
import type { BaseDef, Choice, TableDef } from './schema.js';
import type { Store, StoredRecord } from './store.js';

/** What every write needs: where, when, and the options of the request body. */
export interface WriteContext {
  store: Store;
  base: BaseDef;
  table: TableDef;
  now: number;
  typecast: boolean;
  byFieldId: boolean;
  /** Invented records-per-base cap (plans limit it; the error is unconfirmed). */
  maxRecordsPerBase?: number;
}

/** A validated write of one record, applied only when the whole batch is valid. */
export interface PendingWrite {
  existing?: StoredRecord;
  cells: Map<string, unknown>;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The typecast-created choices of the request being validated, by field id. */
export type AddedChoices = Map<string, Choice[]>;

/** Validates a `fields` object into cells by field id (null = clear). */
export function validateFields(ctx: WriteContext, fields: unknown, added: AddedChoices): Map<string, unknown> {
  if (!isObject(fields)) throw errors.missingFields();
  const cells = new Map<string, unknown>();
  for (const [key, value] of Object.entries(fields)) {
    const field = findField(ctx.table, key);
    if (!field) throw errors.unknownField(key);
    let list = added.get(field.id);
    if (!list) added.set(field.id, (list = []));
    cells.set(field.id, convertCell(field, value, ctx.typecast, list));
  }
  return cells;
}

export function checkBatchSize(records: unknown, verb: 'created' | 'updated' | 'deleted'): unknown[] {
  if (!Array.isArray(records)) throw errors.invalidRequest();
  if (records.length === 0) throw errors.invalidRecords('At least one record must be provided.');
  if (records.length > 10) throw errors.tooManyRecords(verb, records.length);
  return records;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Applies validated writes atomically and returns the stored records, in request order. */
export function commitStored(ctx: WriteContext, writes: PendingWrite[], replace: boolean, added: AddedChoices): StoredRecord[] {
  const { store, table } = ctx;
  const creates = writes.filter((w) => !w.existing).length;
  if (ctx.maxRecordsPerBase !== undefined && creates > 0) {
    const total = ctx.base.tables.reduce((n, t) => n + store.records(t.id).size, 0);
    if (total + creates > ctx.maxRecordsPerBase) throw errors.recordCapReached(ctx.maxRecordsPerBase);
  }
  const now = toSecond(ctx.now);
  const put: StoredRecord[] = [];
  const byId = new Map<string, StoredRecord>();
  for (const w of writes) {
    const prev = w.existing ? (byId.get(w.existing.id) ?? w.existing) : undefined;
    const rec: StoredRecord = prev
      ? { ...prev, cells: { ...prev.cells }, modified: { ...prev.modified } }
      : { id: randomId('rec'), seq: store.nextSeq(table.id), createdTime: now, cells: {}, modified: {} };
    const next = new Map(w.cells);
    if (prev && replace) {
      for (const f of table.fields) if (!isComputed(f) && !next.has(f.id)) next.set(f.id, null);
    }
    for (const [id, value] of next) {
      if (sameValue(rec.cells[id], value)) continue;
      if (value === null) delete rec.cells[id];
      else rec.cells[id] = value;
      rec.modified[id] = now;
    }
    byId.set(rec.id, rec);
    put.push(rec);
  }
  saveChoices(ctx, added);
  const unique = [...new Map(put.map((r) => [r.id, r])).values()];
  store.apply([{ tableId: table.id, put: unique, remove: [] }]);
  return put.map((r) => byId.get(r.id)!);
}

/** Applies validated writes atomically and returns the API records, in request order. */
export function commit(ctx: WriteContext, writes: PendingWrite[], replace: boolean, added: AddedChoices): ApiRecord[] {
  return commitStored(ctx, writes, replace, added).map((r) => renderRecord(ctx.table, r, { byFieldId: ctx.byFieldId, now: ctx.now }));
}

function saveChoices(ctx: WriteContext, added: AddedChoices): void {
  let changed = false;
  for (const [fieldId, list] of added) {
    if (!list.length) continue;
    const field = ctx.table.fields.find((f) => f.id === fieldId)!;
    const choices = (field.options?.choices ?? []) as Choice[];
    field.options = { ...field.options, choices: [...choices, ...list.map((c) => ({ ...c, id: randomId('sel') }))] };
    changed = true;
  }
  if (changed) ctx.store.saveBase(ctx.base);
}

/** POST: one record (`fields`) or a batch (`records`). */
export function createRecords(ctx: WriteContext, body: Record<string, unknown>): ApiRecord | { records: ApiRecord[] } {
  const added: AddedChoices = new Map();
  if ('records' in body) {
    const items = checkBatchSize(body.records, 'created');
    const writes = items.map((item) => {
      if (!isObject(item) || !('fields' in item)) throw errors.missingFields();
      return { cells: validateFields(ctx, item.fields, added) };
    });
    return { records: commit(ctx, writes, false, added) };
  }
  if (!('fields' in body)) throw errors.missingFields();
  return commit(ctx, [{ cells: validateFields(ctx, body.fields, added) }], false, added)[0]!;
}

/** PATCH/PUT of one record by path id. */
export function updateOne(ctx: WriteContext, id: string, body: Record<string, unknown>, replace: boolean): ApiRecord {
  const existing = ctx.store.records(ctx.table.id).get(id);
  if (!existing) throw isId(id, 'rec') ? errors.recordNotFound() : errors.notFoundRoute();
  const added: AddedChoices = new Map();
  return commit(ctx, [{ existing, cells: validateFields(ctx, body.fields, added) }], replace, added)[0]!;
}

/** PATCH/PUT of a batch without upsert: every id must exist in this table. */
export function updateMany(ctx: WriteContext, body: Record<string, unknown>, replace: boolean): { records: ApiRecord[] } {
  const added: AddedChoices = new Map();
  const writes = checkBatchSize(body.records, 'updated').map((item) => {
    if (!isObject(item) || typeof item.id !== 'string') throw errors.invalidRequest();
    const existing = ctx.store.records(ctx.table.id).get(item.id);
    if (!existing) throw errors.rowDoesNotExist(item.id);
    return { existing, cells: validateFields(ctx, item.fields, added) };
  });
  return { records: commit(ctx, writes, replace, added) };
}

/** DELETE of one id (path) or up to 10 (`records[]` in the query). */
export function deleteRecords(ctx: WriteContext, ids: string[]): { records: { id: string; deleted: true }[] } {
  checkBatchSize(ids, 'deleted');
  if (new Set(ids).size !== ids.length) throw errors.invalidRecords('Cannot delete the same record more than once.');
  const rows = ctx.store.records(ctx.table.id);
  for (const id of ids) if (!rows.has(id)) throw errors.recordNotFound();
  ctx.store.apply([{ tableId: ctx.table.id, put: [], remove: ids }]);
  return { records: ids.map((id) => ({ id, deleted: true as const })) };
}
