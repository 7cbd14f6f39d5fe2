import type { Operation } from './operation.js';
import { redact } from './redact.js';

/** The outcome a writer gives an operation. */
export type OpResult = NonNullable<Operation['result']>;

// The run journal's lines, written without JSON.stringify of whole entries: a run journals every
// operation it applies, and stringifying each entry cost a good part of the update it records.
// Every line is byte for byte what JSON.stringify of the entry gives, so readJournal reads it.

/**
 * The journal line of an operation, byte for byte `JSON.stringify` of its entry (undefined
 * members, such as a create's `before`, left out), built from constant parts and the values'
 * JSON: a run journals every operation, and JSON.stringify of the whole entry costs a good part
 * of the update it records. `before` is already JSON.
 */
export function opLine(seq: number, op: Operation, before: string | undefined): string {
  const { system, action, id, entity, reason } = op;
  if (op.link === undefined && plain(system) && plain(action) && plain(id) && plain(entity) && plain(reason)) {
    // The usual operation: every string member is written as it is.
    return (
      '{"t":"op","seq":' +
      toJson(seq) +
      ',"system":"' +
      system +
      '","action":"' +
      action +
      '","id":"' +
      id +
      member('","fields":', op.fields, '"') +
      member(',"replaces":', op.replaces) +
      (before === undefined ? '' : ',"before":' + before) +
      ',"entity":"' +
      entity +
      '","reason":"' +
      reason +
      '"}\n'
    );
  }
  return (
    '{"t":"op","seq":' +
    toJson(seq) +
    member(',"system":', system) +
    member(',"action":', action) +
    member(',"id":', id) +
    member(',"fields":', op.fields) +
    member(',"replaces":', op.replaces) +
    (before === undefined ? '' : ',"before":' + before) +
    member(',"entity":', entity) +
    member(',"reason":', reason) +
    member(',"link":', op.link) +
    '}\n'
  );
}

/** True for a string JSON.stringify writes as it is, between quotes. */
function plain(value: unknown): value is string {
  return typeof value === 'string' && !NEEDS_ESCAPE.test(value);
}

/** `key` and the value's JSON, or `otherwise` where JSON.stringify would leave the member out. */
function member(key: string, value: unknown, otherwise = ''): string {
  if (value === undefined) return otherwise;
  const json = toJson(value);
  return json === undefined ? otherwise : key + json;
}

/** Characters JSON.stringify writes escaped (any surrogate, to leave pairs and lone ones to it). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * `JSON.stringify(value)`, the same bytes, faster for what journal lines are made of: strings
 * with nothing to escape, and flat objects of them (fields, replaces, a row's values). Anything
 * else goes to JSON.stringify itself.
 */
function toJson(value: unknown): string | undefined {
  if (typeof value === 'string') return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : '"' + value + '"';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (
    value !== null &&
    typeof value === 'object' &&
    Object.getPrototypeOf(value) === Object.prototype &&
    typeof (value as { toJSON?: unknown }).toJSON !== 'function'
  ) {
    let json = '';
    const object = value as Record<string, unknown>;
    for (const key of Object.keys(object)) {
      const item = object[key];
      // A nested object is stringified whole, so toJSON sees the key it would see there.
      if (item !== null && (typeof item === 'object' || typeof item === 'bigint')) return JSON.stringify(value);
      const itemJson = toJson(item);
      if (itemJson !== undefined) json += (json === '' ? '{' : ',') + toJson(key) + ':' + itemJson;
    }
    return json === '' ? '{}' : json + '}';
  }
  return JSON.stringify(value) as string | undefined;
}

/** The JSON object keys of a set of columns (`"a":`), or null where an object would order or merge them differently. */
const columnKeys = new WeakMap<readonly string[], string[] | null>();

/** The JSON of the object `{ [columns[i]]: cells[i] }`, as JSON.stringify would write it. */
export function columnsJson(columns: readonly string[], cells: readonly unknown[]): string {
  let keys = columnKeys.get(columns);
  if (keys === undefined) {
    // Objects put integer-like keys first and keep one of two equal keys: those take the slow road.
    const plain = new Set(columns).size === columns.length && !columns.some((c) => /^(0|[1-9]\d{0,9})$/.test(c));
    keys = plain ? columns.map((c) => JSON.stringify(c) + ':') : null;
    columnKeys.set(columns, keys);
  }
  if (keys === null) {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) row[columns[i]!] = cells[i];
    return JSON.stringify(row);
  }
  let json = '';
  for (let i = 0; i < keys.length; i++) {
    const cell = toJson(cells[i]);
    if (cell !== undefined) json += (json === '' ? '{' : ',') + keys[i]! + cell;
  }
  return json === '' ? '{}' : json + '}';
}

/** The outcomes `from`–`to` of a `done` line, comma-separated: status, id, error with secrets masked. */
export function resultsJson(results: OpResult[], from: number, to: number): string {
  let json = '';
  for (let i = from; i < to; i++) {
    const r = results[i]!;
    let members = member(',"status":', r.status);
    if (r.id !== undefined) members += ',"id":' + toJson(String(r.id));
    if (r.error) members += ',"error":' + toJson(String(redact(r.error)));
    json += (i === 0 ? '{' : ',{') + members.slice(1) + '}';
  }
  return json;
}

/** Where a system's operations were applied, so resume and rollback can reach it again. */
export type JournalTarget =
  | {
      system: 'local';
      database: string;
      table: string;
      id_column: string;
      modified_column?: string | null;
      link_field?: string;
      state_file?: string;
      columns?: Record<string, string>;
    }
  | { system: 'airtable'; base_id: string; table: string; field_mapping?: string };

/** One line of a journal (JSONL). */
export type JournalEntry =
  | { t: 'run'; run_id: string; started_at: string; pipeline?: string; invocation?: Record<string, unknown>; tool_version: string; pid: number; host: string }
  | ({ t: 'target' } & JournalTarget)
  | { t: 'backup'; manifest: string }
  | {
      t: 'op';
      seq: number;
      system: Operation['system'];
      action: Operation['action'];
      id?: string;
      fields: Record<string, unknown>;
      replaces: Record<string, unknown>;
      before?: Record<string, unknown>;
      entity: string;
      reason: string;
      link?: Operation['link'];
    }
  | { t: 'done'; seqs: number[]; results: OpResult[] }
  | { t: 'resume'; at: string; pid: number }
  | { t: 'undo'; seq: number; status: 'undone' | 'not_applied'; id?: string }
  | { t: 'end'; status: 'completed' | 'failed' | 'resumed' | 'rolled_back' | 'rollback_incomplete'; at: string; message?: string };
