import { createHash } from 'node:crypto';
import type { Lead } from '../core/record.js';

/** The link field of the bundled field mapping (a pipeline's `link_field` option). */
const DEFAULT_LINK_FIELD = 'airtable_id';

/**
 * The version of a record as a person reviewed it: the first 16 hex digits of the SHA-256 of its
 * field values in canonical JSON (keys sorted at every depth, `_meta` left out). A decision
 * carries the versions its reviewer saw (`seen`), so a record edited since the review is told
 * apart from one left alone, whatever order its fields were read in. The link field (which Airtable
 * record a local lead is linked to) is left out too: it is the tool's bookkeeping, which a run
 * writes when it creates a lead's counterpart, not a value of the lead.
 */
export function recordVersion(record: Lead, linkField = DEFAULT_LINK_FIELD): string {
  const { _meta, ...fields } = record;
  if (linkField) delete fields[linkField];
  return createHash('sha256').update(canonicalJson(fields)).digest('hex').slice(0, 16);
}

/** `<source>:<id>`: how review lines and decisions name a record (`local:12`, `airtable:rec…`). */
export function recordKey(record: Lead): string {
  return `${record._meta?.source ?? 'record'}:${record._meta?.id ?? ''}`;
}

/** The `versions` of a review line: each record's key and version. */
export function versionsOf(records: readonly Lead[], linkField = DEFAULT_LINK_FIELD): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const record of records) versions[recordKey(record)] = recordVersion(record, linkField);
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
