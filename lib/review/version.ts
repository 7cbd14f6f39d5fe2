import { createHash } from 'node:crypto';
import type { Lead } from '../core/record.js';

/**
 * The version of a record as a person reviewed it: the first 16 hex digits of the SHA-256 of its
 * field values in canonical JSON (keys sorted at every depth, `_meta` left out). A decision
 * carries the versions its reviewer saw (`seen`), so a record edited since the review is told
 * apart from one left alone, whatever order its fields were read in.
 */
export function recordVersion(record: Lead): string {
  const { _meta, ...fields } = record;
  return createHash('sha256').update(canonicalJson(fields)).digest('hex').slice(0, 16);
}

/** `<source>:<id>`: how review lines and decisions name a record (`local:12`, `airtable:rec…`). */
export function recordKey(record: Lead): string {
  return `${record._meta?.source ?? 'record'}:${record._meta?.id ?? ''}`;
}

/** The `versions` of a review line: each record's key and version. */
export function versionsOf(records: readonly Lead[]): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const record of records) versions[recordKey(record)] = recordVersion(record);
  return versions;
}

/** JSON with object keys sorted at every depth; undefined members are left out, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}
