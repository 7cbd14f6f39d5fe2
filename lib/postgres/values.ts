import pg from 'pg';

/**
 * Values between JavaScript records and PostgreSQL cells. Reads keep what JSON can carry exactly
 * (a bigint past 2^53 and a numeric past a double's precision come as text); times come as
 * ISO 8601 UTC, as read-sqlite gives them; writes bind each value as its column expects.
 */

/** Thrown for a value no column can hold; the writer reports it with the record id and field. */
export class PgValueError extends Error {}

const INT8 = 20;
const DATE = 1082;
const NUMERIC = 1700;
const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;

const UTC_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(?:\+00)?$/;
const TIMESTAMP_TEXT = /^(\d{4,}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?:([+-]\d{2})(?::?(\d{2}))?(?::\d{2})?)?$/;

/** A timestamp as PostgreSQL writes it (ISO DateStyle) as ISO 8601 UTC; `infinity` and the like stay as they are. */
export function pgTimestampToIso(text: string): string {
  // The usual case, a UTC time (the session's zone) with a four-digit year, is written out
  // directly, milliseconds truncated as Date would: no Date is parsed per cell.
  const utc = UTC_TIMESTAMP.exec(text);
  if (utc) return `${utc[1]}T${utc[2]}.${(utc[3] ?? '').slice(0, 3).padEnd(3, '0')}Z`;
  const m = TIMESTAMP_TEXT.exec(text);
  if (!m) return text;
  const zone = m[3] === undefined ? 'Z' : `${m[3]}:${m[4] ?? '00'}`;
  const date = new Date(`${m[1]}T${m[2]}${zone}`);
  return Number.isNaN(date.getTime()) ? text : date.toISOString();
}

/**
 * A timestamp's text as ISO 8601 with every digit of its fraction (the server keeps
 * microseconds): for what a write replaces, which a rollback puts back exactly. A time outside
 * UTC stays in the server's own form, which it reads back as it wrote it.
 */
export function pgTimestampExact(text: string): string {
  const utc = UTC_TIMESTAMP.exec(text);
  return utc ? `${utc[1]}T${utc[2]}.${(utc[3] ?? '').padEnd(3, '0')}Z` : text;
}

/** An integer as a number while it is exact, else its text. */
export function exactInteger(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/** A numeric as a number when the number writes back as the same value, else its text. */
export function exactNumeric(text: string): number | string {
  const n = Number(text);
  if (!Number.isFinite(n)) return text;
  return Number(n.toString()) === n && normalizeDecimal(n.toString()) === normalizeDecimal(text) ? n : text;
}

function normalizeDecimal(text: string): string {
  if (/e/i.test(text)) return String(Number(text));
  let t = text.replace(/^(-?)0+(?=\d)/, '$1');
  if (t.includes('.')) t = t.replace(/0+$/, '').replace(/\.$/, '');
  return t === '-0' ? '0' : t;
}

/** The type parsers of a read: pg's defaults, except the types above. */
export const READ_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (format === 'binary') return pg.types.getTypeParser(oid, 'binary');
    if (oid === INT8) return exactInteger;
    if (oid === NUMERIC) return exactNumeric;
    if (oid === TIMESTAMP || oid === TIMESTAMPTZ) return pgTimestampToIso;
    // pg would make a date a Date at local midnight; the calendar date is what was stored.
    if (oid === DATE) return (text: string) => text;
    return pg.types.getTypeParser(oid, 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** As READ_TYPES, with times to the microsecond: the values an update or delete replaces, for the journal. */
export const REPLACED_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    format !== 'binary' && (oid === TIMESTAMP || oid === TIMESTAMPTZ)
      ? pgTimestampExact
      : READ_TYPES.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * How a column travels in a row read as one JSON array (see read.ts): most types as JSON gives
 * them, these as text turned back here, so no precision is lost and times come out as ISO 8601.
 */
export function jsonCellOf(type: string): { sql: (column: string) => string; decode?: (text: string) => unknown } {
  if (type === 'bigint') return { sql: (c) => `${c}::text`, decode: exactInteger };
  if (type === 'numeric' || type.startsWith('numeric(')) return { sql: (c) => `${c}::text`, decode: exactNumeric };
  if (type.startsWith('timestamp')) return { sql: (c) => `${c}::text`, decode: pgTimestampToIso };
  return { sql: (c) => c };
}

/** True for a text column (where `''` is a value a filter can mean). */
export function isTextType(type: string): boolean {
  return /^(text|character|character varying|varchar|char|citext|name)\b/.test(type);
}

/**
 * The parameter for `value` in a column of type `type`. Empty strings become NULL (as
 * write-sqlite does). Booleans follow the column: true/false for a boolean, 'true'/'false' for
 * text, 1/0 for numbers. Arrays go to array columns as arrays, elsewhere (json, text) as JSON, as
 * do objects.
 */
export function toPgParam(value: unknown, type: string): unknown {
  if (value === null || value === undefined || value === '') return null;
  switch (typeof value) {
    case 'string':
      if (value.includes('\0')) throw new PgValueError('PostgreSQL text cannot hold a NUL character (\\u0000); remove it from the value');
      return value;
    case 'bigint':
      return value.toString();
    case 'number':
      if (!Number.isFinite(value)) throw new PgValueError(`${value} is not a number PostgreSQL can store`);
      return value;
    case 'boolean':
      if (type === 'boolean') return value;
      return isTextType(type) ? String(value) : value ? 1 : 0;
    case 'object':
      if (value instanceof Date) return value.toISOString();
      if (Buffer.isBuffer(value)) return value;
      if (Array.isArray(value) && type.endsWith('[]')) return value;
      return JSON.stringify(value);
    default:
      throw new PgValueError(`a ${typeof value} cannot be stored in PostgreSQL`);
  }
}
