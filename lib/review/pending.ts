import fs from 'node:fs';
import type { Lead } from '../core/record.js';
import type { ReviewConflictLine, ReviewGroupLine } from './lines.js';
import { conflictKey, groupKey, readSettled } from './memory.js';

/**
 * What is still waiting for a person: the lines of the review files (each run appends what it
 * left), the latest line of each group or conflict, without those a decision settled since with
 * the records unchanged (the run state). Read line by line; a line that is not a review line
 * (hand-edited, cut short) is counted and skipped.
 */
export interface Pending {
  groups: ReviewGroupLine[];
  conflicts: ReviewConflictLine[];
  /** Lines that could not be read. */
  unreadable: number;
}

export function pendingReview(files: { duplicates: string; conflicts: string; stateFile?: string }): Pending {
  const settled = readSettled(files.stateFile);
  const pending: Pending = { groups: [], conflicts: [], unreadable: 0 };
  const groups = new Map<string, ReviewGroupLine>();
  for (const line of linesOf(files.duplicates, pending)) {
    const group = line as ReviewGroupLine;
    if (!Array.isArray(group.records) || typeof group.versions !== 'object' || group.versions === null) {
      pending.unreadable++;
      continue;
    }
    const identity = Object.keys(group.versions).sort().join(' ');
    groups.delete(identity);
    groups.set(identity, group);
  }
  pending.groups = [...groups.values()].filter((group) => !settled.has(groupKey(group.versions)));
  const conflicts = new Map<string, ReviewConflictLine>();
  for (const line of linesOf(files.conflicts, pending)) {
    const conflict = line as ReviewConflictLine;
    if (
      typeof conflict.record_id !== 'string' ||
      typeof conflict.field_name !== 'string' ||
      typeof conflict.versions !== 'object' ||
      conflict.versions === null
    ) {
      pending.unreadable++;
      continue;
    }
    const identity = `${conflict.record_id} ${conflict.field_name}`;
    conflicts.delete(identity);
    conflicts.set(identity, conflict);
  }
  pending.conflicts = [...conflicts.values()].filter((c) => !settled.has(conflictKey(c.versions, c.field_name)));
  return pending;
}

/** The JSON lines of a file, read a block at a time: review files grow with every run. */
function* linesOf(file: string, pending: Pending): Generator<unknown> {
  if (!fs.existsSync(file)) return;
  const fd = fs.openSync(file, 'r');
  try {
    const block = Buffer.alloc(1 << 16);
    let rest = '';
    const decoder = new TextDecoder();
    for (let n; (n = fs.readSync(fd, block, 0, block.length, null)) > 0; ) {
      const lines = (rest + decoder.decode(block.subarray(0, n), { stream: true })).split('\n');
      rest = lines.pop()!;
      yield* parsed(lines, pending);
    }
    yield* parsed([rest + decoder.decode()], pending);
  } finally {
    fs.closeSync(fd);
  }
}

function* parsed(lines: readonly string[], pending: Pending): Generator<unknown> {
  for (const text of lines) {
    if (!text.trim()) continue;
    try {
      yield JSON.parse(text);
    } catch {
      pending.unreadable++;
    }
  }
}

/** The pending groups and conflicts as text for a terminal, with what a decisions file needs. */
export function formatPending(pending: Pending): string {
  const out: string[] = [];
  out.push(`${pending.groups.length} duplicate group(s) and ${pending.conflicts.length} conflict(s) wait for a decision.`);
  pending.groups.forEach((group, i) => {
    out.push(
      '',
      `Group ${i + 1} (matched on ${group.matching_field}${group.matching_value ? ` ${group.matching_value}` : ''}, score ${group.confidence_score})`,
    );
    const fields = differingFields(group.records);
    for (const record of group.records) {
      const key = `${record._meta?.source}:${record._meta?.id}`;
      out.push(`  ${key}  ${whoIs(record)}version ${group.versions[key] ?? '?'}`);
      for (const field of fields) if (Object.hasOwn(record, field)) out.push(`      ${field}: ${show(record[field])}`);
    }
    out.push(`  records: ${JSON.stringify(Object.keys(group.versions))}`, `  seen: ${JSON.stringify(group.versions)}`);
  });
  pending.conflicts.forEach((conflict, i) => {
    const [local, airtable] = conflict.record_id.split('|');
    out.push(
      '',
      `Conflict ${i + 1}: ${conflict.field_name} of ${local} and ${airtable}`,
      `  local:    ${show(conflict.local_value)}  (modified ${conflict.last_modified_local ?? 'unknown'})`,
      `  airtable: ${show(conflict.airtable_value)}  (modified ${conflict.last_modified_airtable ?? 'unknown'})`,
      `  local: ${JSON.stringify(local?.slice('local:'.length))}, airtable: ${JSON.stringify(airtable?.slice('airtable:'.length))}, field: ${JSON.stringify(conflict.field_name)}`,
      `  seen: ${JSON.stringify(conflict.versions)}`,
    );
  });
  if (pending.unreadable) out.push('', `${pending.unreadable} line(s) of the review files could not be read and were skipped.`);
  if (pending.groups.length || pending.conflicts.length)
    out.push(
      '',
      'To decide, write a decisions file (config/decisions.schema.json) and run db-maintenance --apply-decisions FILE:',
      '{ "format": "lead-maintenance-decisions", "version": 1, "decisions": [',
      '  { "type": "duplicates", "records": [...], "seen": {...}, "action": "merge", "survivor": "local:12", "values": { "email": { "from": "local:13" } } },',
      '  { "type": "duplicates", "records": [...], "seen": {...}, "action": "not_duplicates" },',
      '  { "type": "conflict", "local": "12", "airtable": "rec...", "field": "email", "seen": {...}, "choice": "local" } ] }',
    );
  return `${out.join('\n')}\n`;
}

/** The fields whose values are not the same in every record of a group (the ones to decide). */
function differingFields(records: readonly Lead[]): string[] {
  const fields = new Set<string>();
  for (const record of records) for (const field of Object.keys(record)) if (field !== '_meta') fields.add(field);
  // A field one system does not hold (a local-only column) differs only among the records that hold it.
  return [...fields].filter((field) => new Set(records.filter((r) => Object.hasOwn(r, field)).map((r) => JSON.stringify(r[field] ?? null))).size > 1);
}

/** The name and email a person recognizes a record by (`Ada Lovelace <ada@x.io>  `), or nothing. */
function whoIs(record: Lead): string {
  const name = typeof record.name === 'string' ? record.name.trim() : '';
  const email = typeof record.email === 'string' && record.email.trim() ? `<${record.email.trim()}>` : '';
  const who = [name, email].filter(Boolean).join(' ');
  return who ? `${JSON.stringify(who).slice(1, -1)}  ` : '';
}

function show(value: unknown): string {
  return value === null || value === undefined || value === '' ? '(empty)' : JSON.stringify(value);
}
