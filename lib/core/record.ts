import { own, setOwn } from './own.js';

/**
 * A lead as it flows through a pipeline: canonical field names (those of the SQLite table:
 * `name`, `email`, `company`, …, plus any other column, carried through untouched) and one
 * reserved key, `_meta`, for pipeline bookkeeping. Writers write mapped fields only, so `_meta`
 * never reaches a database.
 */
export interface Lead {
  [field: string]: unknown;
  _meta?: RecordMeta;
}

/** The system a record was read from. */
export type SourceSystem = 'local' | 'airtable';

/** Pipeline bookkeeping carried under `_meta`. Every key is optional: plain JSONL exports have none. */
export interface RecordMeta {
  /** Which system the record was read from. */
  source?: SourceSystem;
  /** Its id in that system (SQLite primary key, Airtable `rec…` id). */
  id?: string;
  /** When the source system last saw it change (ISO 8601 UTC). */
  modified_at?: string;
  /** When the source system created it (ISO 8601 UTC). */
  created_at?: string;
  /** The field values as read, before any stage changed them (so `diff` knows what changed). */
  original?: Record<string, unknown>;
  /** 1-based line of the input file the record came from, for error messages. */
  line?: number;
  /** 0-based index of the element in a file holding one JSON array (read-json), for error messages. */
  index?: number;
  /** Every change a stage made to a field, in order (for the audit log and the report). */
  changes?: FieldChange[];
  /** Problems found and left in place (the value is kept; a person or a later stage decides). */
  problems?: RecordProblem[];
  /** Match keys computed by `fingerprint` (canonical email, LinkedIn slug, …). */
  keys?: Record<string, string>;
  /** Other stages' bookkeeping (cluster, survivor, duplicate_of, …) is added by those stages. */
  [key: string]: unknown;
}

/** One change to one field, as the audit log records it. */
export interface FieldChange {
  field: string;
  old: unknown;
  new: unknown;
  /** The rule or reason, e.g. `email.lowercase`, `dedupe.merge`. */
  rule: string;
}

/** A problem found in one field (or the record as a whole when `field` is absent). */
export interface RecordProblem {
  field?: string;
  /** Short machine-readable code, e.g. `invalid_email`, `malformed_json`. */
  problem: string;
  value?: unknown;
  /** A sentence for people: what is wrong and, where possible, how to fix it. */
  message?: string;
}

/** The `_meta` of a record, created when missing. */
export function metaOf(record: Lead): RecordMeta {
  return (record._meta ??= {});
}

/** Records a change to `field` in `_meta.changes` and sets the new value. */
export function setField(record: Lead, field: string, value: unknown, rule: string): void {
  const old = own(record, field);
  if (Object.is(old, value)) return;
  (metaOf(record).changes ??= []).push({ field, old: old ?? null, new: value ?? null, rule });
  setOwn(record, field, value);
}

/** Records a problem in `_meta.problems`; the field's value is left as it is. */
export function addProblem(record: Lead, problem: RecordProblem): void {
  (metaOf(record).problems ??= []).push(problem);
}

/** A one-line description of a record for error messages: its id and input line when known. */
export function describeRecord(record: Lead | undefined): string {
  // Only plain values are written: this runs while a record is being rejected, and a hostile one
  // (`_meta.id` an object whose `toString` is not a function) must not throw again here.
  const meta = typeof record?._meta === 'object' && record._meta !== null ? record._meta : undefined;
  const id = printable(meta?.id);
  const parts: string[] = [];
  if (id !== undefined) parts.push(`${typeof meta?.source === 'string' && meta.source ? `${meta.source} ` : ''}record ${id}`);
  else if (typeof record?.id === 'string' || typeof record?.id === 'number') parts.push(`record ${record.id}`);
  if (typeof meta?.line === 'number' && meta.line) parts.push(`line ${meta.line}`);
  return parts.length ? parts.join(', ') : 'record';
}

function printable(value: unknown): string | undefined {
  return (typeof value === 'string' && value !== '') || (typeof value === 'number' && value !== 0) ? String(value) : undefined;
}
