import fs from 'node:fs';
import path from 'node:path';
import { redact } from '../redact.js';

/**
 * The audit log: one entry per field a run changed (or would change, in a dry run), written as
 * the changes pass, so memory does not grow with the run. The same entries go to every format
 * asked for: a JSON array, JSON Lines and CSV.
 */
export interface AuditEntry {
  run_id: string;
  /** When the report saw the change (ISO 8601 UTC). */
  time: string;
  /** `local` or `airtable`; empty for records of a plain export. */
  system: string;
  /** create, update, delete; `change` for a change carried in a record (pipelines without diff). */
  action: string;
  record_id: string;
  field: string;
  old_value: unknown;
  new_value: unknown;
  /** standardize, dedupe, merge or sync. */
  reason: string;
  /** The rule behind the change (`email.lowercase`, `sync.most_recent`), else the reason. */
  rule: string;
  /** applied, failed, skipped, dry_run; `planned` when no writer ran; `changed` for a record's own change. */
  status: string;
}

export type AuditFormat = 'json' | 'jsonl' | 'csv';
export const AUDIT_FORMATS: readonly AuditFormat[] = ['json', 'jsonl', 'csv'];

export const AUDIT_COLUMNS: ReadonlyArray<keyof AuditEntry> = ['run_id', 'time', 'system', 'action', 'record_id', 'field', 'old_value', 'new_value', 'reason', 'rule', 'status'];

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, a quote, a line break or edge spaces,
 * quotes doubled. Objects and arrays are written as JSON; null and undefined as an empty cell.
 * Values are written as they are (no spreadsheet-formula escaping): the log must show the data.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly unknown[]): string {
  return values.map(csvCell).join(',') + '\r\n';
}

/**
 * Masks a field's values when the field's name says it holds a secret (a column called
 * `api_key`), and anything that looks like a token wherever it is.
 */
export function redactEntry(entry: AuditEntry): AuditEntry {
  const byName = redact({ [entry.field]: entry.old_value, [`${entry.field}\u0000`]: entry.new_value }) as Record<string, unknown>;
  const masked = redact({ ...entry, old_value: byName[entry.field], new_value: byName[`${entry.field}\u0000`] }) as AuditEntry;
  return masked;
}

/** Writes audit entries to the files of the formats asked for, appending as they come (buffered). */
export class AuditWriter {
  private readonly outputs: Array<{ format: AuditFormat; fd: number; buffer: string }> = [];
  count = 0;

  constructor(readonly dir: string, readonly formats: readonly AuditFormat[], readonly baseName = 'audit') {
    fs.mkdirSync(dir, { recursive: true });
    for (const format of formats) {
      const fd = fs.openSync(this.file(format), 'w', 0o600);
      this.outputs.push({ format, fd, buffer: format === 'json' ? '[' : format === 'csv' ? csvLine(AUDIT_COLUMNS) : '' });
    }
  }

  file(format: AuditFormat): string {
    return path.join(this.dir, `${this.baseName}.${format}`);
  }

  files(): string[] {
    return this.formats.map((f) => this.file(f));
  }

  write(raw: AuditEntry): void {
    const entry = redactEntry(raw);
    const ordered = Object.fromEntries(AUDIT_COLUMNS.map((c) => [c, entry[c] ?? null]));
    const json = JSON.stringify(ordered);
    for (const out of this.outputs) {
      if (out.format === 'json') out.buffer += `${this.count ? ',' : ''}\n${json}`;
      else if (out.format === 'jsonl') out.buffer += json + '\n';
      else out.buffer += csvLine(AUDIT_COLUMNS.map((c) => ordered[c]));
      if (out.buffer.length > 1 << 16) this.flush(out);
    }
    this.count++;
  }

  private flush(out: { fd: number; buffer: string }): void {
    if (out.buffer) fs.writeSync(out.fd, out.buffer);
    out.buffer = '';
  }

  close(): void {
    for (const out of this.outputs) {
      if (out.format === 'json') out.buffer += this.count ? '\n]\n' : ']\n';
      this.flush(out);
      fs.closeSync(out.fd);
    }
    this.outputs.length = 0;
  }
}
