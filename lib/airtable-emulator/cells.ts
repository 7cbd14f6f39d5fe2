import { errors } from './errors.js';
import { isId, isoSecond, parseUtc } from './ids.js';
import { COMPUTED_TYPES, choiceColor, type Choice, type FieldDef, type TableDef } from './schema.js';
import type { StoredRecord } from './store.js';
import { evaluate, parseFormula, type Node } from './formula.js';
import { FormulaError, type Value } from './formula-functions.js';

/** Longest long-text cell the real API accepts (contract §4). */
export const MAX_TEXT_LENGTH = 100_000;

const TEXT_TYPES = new Set(['singleLineText', 'multilineText', 'richText', 'email', 'url', 'phoneNumber']);
const NUMBER_TYPES = new Set(['number', 'currency', 'percent', 'duration', 'rating']);

/** A field by name or id, as the API accepts both everywhere. */
export function findField(table: TableDef, key: string): FieldDef | undefined {
  return table.fields.find((f) => f.id === key) ?? table.fields.find((f) => f.name === key);
}

export function isComputed(field: FieldDef): boolean {
  return COMPUTED_TYPES.has(field.type);
}

/** Empty cells are omitted by the API: "", [], false and null. */
export function isEmpty(v: unknown): boolean {
  return v === null || v === undefined || v === '' || v === false || (Array.isArray(v) && v.length === 0);
}

function toDateOnly(v: unknown, typecast: boolean): string | undefined {
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v))) return v;
  if (!typecast || (typeof v !== 'string' && typeof v !== 'number')) return undefined;
  const t = parseUtc(v);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString().slice(0, 10);
}

function choiceName(field: FieldDef, v: unknown, typecast: boolean, added: Choice[]): string {
  const name = typeof v === 'string' ? v : typecast && typeof v === 'number' ? String(v) : undefined;
  if (name === undefined) throw errors.invalidValue(field.name);
  const choices = (field.options?.choices ?? []) as Choice[];
  if (choices.some((c) => c.name === name) || added.some((c) => c.name === name)) return name;
  if (!typecast) throw errors.invalidChoice(name);
  // Typecast creates the missing choice (the caller saves it to the schema with the write).
  added.push({ id: '', name, color: choiceColor(choices.length + added.length) });
  return name;
}

/**
 * Validates one written value and returns what is stored (null = cleared). `added` collects
 * select choices that typecast creates, so a failed batch adds none.
 */
export function convertCell(field: FieldDef, v: unknown, typecast: boolean, added: Choice[]): unknown {
  if (isComputed(field)) throw errors.computedField(field.name);
  if (v === null || v === undefined) return null;
  const t = field.type;
  if (TEXT_TYPES.has(t)) {
    const s = typeof v === 'string' ? v : typecast && (typeof v === 'number' || typeof v === 'boolean') ? String(v) : undefined;
    if (s === undefined || s.length > MAX_TEXT_LENGTH) throw errors.invalidValue(field.name);
    return s === '' ? null : s;
  }
  if (NUMBER_TYPES.has(t)) {
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typecast && typeof v === 'string') return v.trim() === '' || !Number.isFinite(Number(v)) ? null : Number(v);
    throw errors.invalidValue(field.name);
  }
  if (t === 'checkbox') {
    if (typeof v === 'boolean') return v || null;
    if (typecast) return ['true', 'checked', 'yes', '1', 'x'].includes(String(v).trim().toLowerCase()) || null;
    throw errors.invalidValue(field.name);
  }
  if (t === 'singleSelect') return v === '' ? null : choiceName(field, v, typecast, added);
  if (t === 'multipleSelects') {
    const list = Array.isArray(v)
      ? v
      : typecast && typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : undefined;
    if (!list) throw errors.invalidValue(field.name);
    const names = [...new Set(list.map((x) => choiceName(field, x, typecast, added)))];
    return names.length ? names : null;
  }
  if (t === 'date') {
    const d = toDateOnly(v, typecast);
    if (d === undefined) throw errors.invalidValue(field.name);
    return d;
  }
  if (t === 'dateTime') {
    const t = typeof v === 'string' || typeof v === 'number' ? parseUtc(v) : NaN;
    if (Number.isNaN(t)) throw errors.invalidValue(field.name);
    return new Date(t).toISOString();
  }
  if (t === 'multipleRecordLinks') {
    const list = Array.isArray(v) ? v : typecast && typeof v === 'string' ? [v] : undefined;
    if (!list?.every((x) => typeof x === 'string' && isId(x, 'rec'))) throw errors.invalidValue(field.name);
    return list.length ? list : null;
  }
  return isEmpty(v) ? null : v;
}

// Keyed by the definition object, so emulators with different schemas never share entries.
const formulaCache = new WeakMap<TableDef, Map<string, Node>>();

/** The parsed formula of a formula field, view or filter, cached per table and text. */
export function compiledFormula(table: TableDef, src: string): Node {
  let cache = formulaCache.get(table);
  if (!cache) formulaCache.set(table, (cache = new Map()));
  let node = cache.get(src);
  if (!node) {
    node = parseFormula(src, (name) => findField(table, name)?.id);
    if (cache.size > 1000) cache.clear();
    cache.set(src, node);
  }
  return node;
}

/** Most recent change to the given fields (all writable fields when empty), or null. */
export function lastModifiedOf(record: StoredRecord, fieldIds: string[]): number | null {
  const ids = fieldIds.length ? fieldIds : Object.keys(record.modified);
  let max: number | null = null;
  for (const id of ids) {
    const t = record.modified[id];
    if (t !== undefined && (max === null || t > max)) max = t;
  }
  return max ?? (fieldIds.length ? null : record.createdTime);
}

/** The JSON value of a cell as the API returns it (undefined = omitted). */
export function readCell(table: TableDef, record: StoredRecord, field: FieldDef, now: number, depth = 0): unknown {
  switch (field.type) {
    case 'createdTime':
      return isoSecond(record.createdTime);
    case 'autoNumber':
      return record.seq;
    case 'lastModifiedTime': {
      const t = lastModifiedOf(record, (field.options?.referencedFieldIds as string[] | undefined) ?? []);
      return t === null ? undefined : isoSecond(t);
    }
    case 'formula': {
      if (depth > 5) return { error: '#ERROR!' };
      try {
        const v = evaluate(compiledFormula(table, String(field.options?.formula ?? '')), formulaEnv(table, record, now, depth + 1));
        if (typeof v === 'number' && !Number.isFinite(v)) return { specialValue: Number.isNaN(v) ? 'NaN' : 'Infinity' };
        return v instanceof Date ? v.toISOString() : isEmpty(v) ? undefined : v;
      } catch (e) {
        if (e instanceof FormulaError) return { error: '#ERROR!' };
        throw e;
      }
    }
    default: {
      const v = record.cells[field.id];
      return isEmpty(v) ? undefined : v;
    }
  }
}

/** The environment a formula (filter, view or formula field) sees for one record. */
export function formulaEnv(table: TableDef, record: StoredRecord, now: number, depth = 0) {
  return {
    recordId: record.id,
    createdTime: record.createdTime,
    now,
    lastModified: (ids: string[]) => {
      const t = lastModifiedOf(record, ids);
      return t === null ? null : new Date(t);
    },
    field: (id: string): Value => {
      const f = table.fields.find((x) => x.id === id)!;
      const v = readCell(table, record, f, now, depth);
      if (v === undefined) return f.type === 'checkbox' ? false : null;
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) throw new FormulaError('error value');
      return v as Value;
    },
  };
}
