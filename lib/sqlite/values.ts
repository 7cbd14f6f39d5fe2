/**
 * Values between JavaScript records and SQLite cells. SQLite binds only numbers, strings,
 * bigints, buffers and null; records carry booleans, dates and the odd object too.
 */

/** SQLite's type affinity of a declared column type (https://sqlite.org/datatype3.html §3.1). */
export function affinityOf(declared: string): 'INTEGER' | 'TEXT' | 'BLOB' | 'REAL' | 'NUMERIC' {
  const type = declared.toUpperCase();
  if (type.includes('INT')) return 'INTEGER';
  if (type.includes('CHAR') || type.includes('CLOB') || type.includes('TEXT')) return 'TEXT';
  if (type.includes('BLOB') || type === '') return 'BLOB';
  if (type.includes('REAL') || type.includes('FLOA') || type.includes('DOUB')) return 'REAL';
  return 'NUMERIC';
}

/** Thrown for a value no column can hold; the writer reports it with the record id and field. */
export class ValueError extends Error {}

/**
 * The cell value for `value` in a column of type `declared`. Empty strings become NULL (the
 * default schema keeps `''` out of its match columns, and `''` beside NULL is how the original
 * database ended up with two kinds of "missing"). Booleans follow the column: `'true'`/`'false'` in
 * a TEXT column (drifted databases store them so), 1/0 elsewhere. Objects and arrays are stored as
 * JSON text.
 */
export function toCell(value: unknown, declared: string): string | number | bigint | Buffer | null {
  if (value === null || value === undefined || value === '') return null;
  switch (typeof value) {
    case 'string':
    case 'bigint':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new ValueError(`${value} is not a number SQLite can store`);
      return value;
    case 'boolean':
      return affinityOf(declared) === 'TEXT' ? String(value) : value ? 1 : 0;
    case 'object':
      if (value instanceof Date) return value.toISOString();
      if (Buffer.isBuffer(value)) return value;
      return JSON.stringify(value);
    default:
      throw new ValueError(`a ${typeof value} cannot be stored in SQLite`);
  }
}

const SQLITE_DATETIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/;

/**
 * A timestamp cell as ISO 8601 UTC, or undefined when it is not one. SQLite's
 * `CURRENT_TIMESTAMP` (`2025-08-14 10:00:00`) and zone-less ISO strings are UTC by SQLite's
 * convention; numbers are Unix seconds, or milliseconds when too large to be seconds.
 */
export function toIsoTimestamp(value: unknown): string | undefined {
  let date: Date | undefined;
  if (typeof value === 'number' && Number.isFinite(value)) {
    date = new Date(value > 1e11 ? value : value * 1000);
  } else if (typeof value === 'string' && value.trim() !== '') {
    const text = value.trim();
    const local = SQLITE_DATETIME.exec(text);
    date = new Date(local ? `${local[1]}T${local[2]}Z` : /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  }
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}
