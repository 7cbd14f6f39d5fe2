/**
 * How the synchronizer compares field values. Both systems spell "nothing" differently (SQLite
 * NULL, an empty string, Airtable leaving the field out), so all of those are one empty value,
 * and a value is never compared as text with "none" (the original system matched every lead
 * without an email that way).
 */

/** True for null, undefined, empty or blank strings and empty arrays. */
export function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  return false;
}

/** Equality as the user sees it: empties are equal, numbers and booleans by value, others by JSON. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (isEmpty(a) && isEmpty(b)) return true;
  if (isEmpty(a) || isEmpty(b)) return false;
  if (typeof a !== 'object' && typeof b !== 'object') {
    // SQLite hands back numbers where Airtable has numbers, but a drifted table may hold "1".
    return a === b || String(a) === String(b);
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Milliseconds since the epoch of an ISO time, or NaN when absent or unreadable. */
export function timeOf(iso: unknown): number {
  return typeof iso === 'string' ? Date.parse(iso) : NaN;
}
