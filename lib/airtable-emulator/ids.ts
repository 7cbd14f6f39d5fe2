import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Every observed Airtable id is a 3-letter prefix plus 14 alphanumerics. */
export const ID_BODY_LENGTH = 14;

/** A random id such as `recA1b2C3d4E5f6G7`. */
export function randomId(prefix: string): string {
  const bytes = randomBytes(ID_BODY_LENGTH);
  let body = '';
  for (const b of bytes) body += ALPHABET[b % ALPHABET.length];
  return prefix + body;
}

/**
 * A deterministic id derived from a seed string, so that schema objects (tables, fields,
 * views, choices) keep the same ids in an in-memory base across restarts.
 */
export function stableId(prefix: string, seed: string): string {
  const digest = createHash('sha256').update(seed).digest();
  let body = '';
  for (let i = 0; i < ID_BODY_LENGTH; i++) body += ALPHABET[digest[i]! % ALPHABET.length];
  return prefix + body;
}

/** True when `value` looks like a real id with this prefix. */
export function isId(value: string, prefix: string): boolean {
  return value.length === prefix.length + ID_BODY_LENGTH && value.startsWith(prefix) && /^[A-Za-z0-9]+$/.test(value.slice(prefix.length));
}

/** Real timestamps carry milliseconds but were always `.000`: keep second precision. */
export function toSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

export function isoSecond(ms: number): string {
  return new Date(toSecond(ms)).toISOString();
}

/**
 * Parses a date or date-time the way the API does for UTC fields: a time without offset is
 * UTC, never the emulator machine's local zone. NaN when unparseable.
 */
export function parseUtc(v: string | number): number {
  if (typeof v === 'number') return v;
  const s = v.trim();
  const localTime = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s);
  return Date.parse(localTime ? s.replace(' ', 'T') + 'Z' : s);
}
