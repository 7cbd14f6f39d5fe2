import { errors } from './errors.js';
import { isId, randomId } from './ids.js';
import { compiledFormula, findField, formulaEnv, readCell } from './cells.js';
import { evaluate, isTruthy } from './formula.js';
import { FormulaError } from './formula-functions.js';
import { asList } from './query.js';
import { renderRecord, type ApiRecord } from './serialize.js';
import type { Choice, FieldDef, TableDef } from './schema.js';
import type { Store, StoredRecord } from './store.js';

interface Iterator {
  tableId: string;
  ids: string[];
  lastUsed: number;
}

/**
 * Server-side list iterators (contract §2.1): the ordered id list is snapshotted when the first
 * page is served; later pages read current values of the remaining ids. An iterator expires
 * after `ttlMs` without use and never survives a restart (it lives in memory only).
 */
export class Iterators {
  private readonly live = new Map<string, Iterator>();
  constructor(private readonly ttlMs: number) {}

  create(tableId: string, ids: string[], now: number): string {
    for (const [k, it] of this.live) if (now - it.lastUsed > this.ttlMs) this.live.delete(k);
    const key = randomId('itr');
    this.live.set(key, { tableId, ids, lastUsed: now });
    return key;
  }

  /** The remaining ids after `offset`, or the 422 the real API gives for a bad or stale one. */
  resume(offset: string, tableId: string, now: number): { key: string; ids: string[] } {
    const [key = '', last = '', extra] = offset.split('/');
    if (extra !== undefined || !isId(key, 'itr') || !isId(last, 'rec')) throw errors.invalidOffset(offset);
    const it = this.live.get(key);
    if (!it || now - it.lastUsed > this.ttlMs) {
      this.live.delete(key);
      throw errors.iteratorNotAvailable();
    }
    const at = it.ids.indexOf(last);
    if (it.tableId !== tableId || at < 0) throw errors.invalidOffset(offset);
    it.lastUsed = now;
    return { key, ids: it.ids.slice(at + 1) };
  }

  clear(): void {
    this.live.clear();
  }
}

function sortKey(field: FieldDef, v: unknown): number | string {
  if (field.type === 'singleSelect') return ((field.options?.choices ?? []) as Choice[]).findIndex((c) => c.name === v);
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const text = Array.isArray(v) ? v.join(', ') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  // Lower-cased once here: a collator per comparison is too slow for tables of 50,000 records.
  return text.toLowerCase();
}

/** Sorts like the UI: blanks first when ascending, selects in choice order, ties in creation order. */
function sortRecords(table: TableDef, recs: StoredRecord[], sort: { field: FieldDef; desc: boolean }[], now: number): StoredRecord[] {
  if (!sort.length) return recs;
  // Keys are computed once per record, not per comparison.
  const rows = recs.map((r) => ({
    r,
    k: sort.map((s) => {
      const v = readCell(table, r, s.field, now);
      return v === undefined ? undefined : sortKey(s.field, v);
    }),
  }));
  rows.sort((a, b) => {
    for (let i = 0; i < sort.length; i++) {
      const x = a.k[i];
      const y = b.k[i];
      let c = 0;
      if (x === undefined || y === undefined) c = x === y ? 0 : x === undefined ? -1 : 1;
      else if (typeof x === 'number' && typeof y === 'number') c = x - y;
      else c = x < y ? -1 : x > y ? 1 : 0;
      if (c !== 0) return sort[i]!.desc ? -c : c;
    }
    return a.r.seq - b.r.seq;
  });
  return rows.map((x) => x.r);
}

function filterRecords(table: TableDef, recs: StoredRecord[], formula: string, now: number): StoredRecord[] {
  const node = compiledFormula(table, formula);
  return recs.filter((r) => {
    try {
      return isTruthy(evaluate(node, formulaEnv(table, r, now)));
    } catch (e) {
      if (e instanceof FormulaError) return false;
      throw e;
    }
  });
}

function int(v: unknown, min: number, max: number): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw errors.invalidRequest();
  return n;
}

const flag = (v: unknown) => v === true || v === 'true' || v === '1';

function parseSort(table: TableDef, raw: unknown): { field: FieldDef; desc: boolean }[] {
  return (asList(raw) ?? []).map((s) => {
    const spec = (typeof s === 'object' && s !== null ? s : {}) as { field?: unknown; direction?: unknown };
    if (typeof spec.field !== 'string') throw errors.invalidRequest();
    const field = findField(table, spec.field);
    if (!field) throw errors.unknownField(spec.field);
    const dir = spec.direction ?? 'asc';
    if (dir !== 'asc' && dir !== 'desc') throw errors.invalidRequest();
    return { field, desc: dir === 'desc' };
  });
}

/** One page of list records (GET query or POST listRecords body, already parsed). */
export function listRecords(
  store: Store,
  iterators: Iterators,
  table: TableDef,
  p: Record<string, unknown>,
  now: number,
): { records: ApiRecord[]; offset?: string } {
  const pageSize = int(p.pageSize ?? p.limit, 1, 100) ?? 100;
  const maxRecords = int(p.maxRecords, 0, Number.MAX_SAFE_INTEGER);
  const cellFormat = p.cellFormat ?? 'json';
  if (cellFormat !== 'json' && cellFormat !== 'string') throw errors.invalidRequest();
  if (cellFormat === 'string' && (!p.timeZone || !p.userLocale)) throw errors.invalidRequest();
  const fieldKeys = asList(p.fields);
  const fields = fieldKeys?.map((k) => {
    const f = typeof k === 'string' ? findField(table, k) : undefined;
    if (!f) throw errors.unknownField(String(k));
    return f;
  });
  const render = {
    fields,
    byFieldId: flag(p.returnFieldsByFieldId),
    cellFormat: cellFormat as 'json' | 'string',
    commentCount: (asList(p.recordMetadata) ?? []).includes('commentCount'),
    now,
  };
  const sort = parseSort(table, p.sort);
  let ids: string[];
  let iteratorKey: string | undefined;
  if (typeof p.offset === 'string' && p.offset !== '') {
    ({ ids, key: iteratorKey } = iterators.resume(p.offset, table.id, now));
  } else {
    let recs = [...store.records(table.id).values()];
    let viewSort: { field: FieldDef; desc: boolean }[] = [];
    if (typeof p.view === 'string' && p.view !== '') {
      const view = table.views.find((v) => v.id === p.view) ?? table.views.find((v) => v.name === p.view);
      if (!view) throw errors.viewNotFound(p.view);
      if (view.filterByFormula) recs = filterRecords(table, recs, view.filterByFormula, now);
      viewSort = parseSort(table, view.sort);
    }
    if (typeof p.filterByFormula === 'string' && p.filterByFormula.trim() !== '') recs = filterRecords(table, recs, p.filterByFormula, now);
    recs = sortRecords(table, recs, sort.length ? sort : viewSort, now);
    ids = recs.map((r) => r.id);
    if (maxRecords !== undefined && maxRecords > 0) ids = ids.slice(0, maxRecords);
  }
  const rows = store.records(table.id);
  const records: ApiRecord[] = [];
  let consumed = 0;
  for (const id of ids) {
    if (records.length === pageSize) break;
    consumed++;
    const r = rows.get(id);
    if (r) records.push(renderRecord(table, r, render));
  }
  if (consumed >= ids.length) return { records };
  const lastId = ids[consumed - 1]!;
  const key = iteratorKey ?? iterators.create(table.id, ids, now);
  return { records, offset: `${key}/${lastId}` };
}
