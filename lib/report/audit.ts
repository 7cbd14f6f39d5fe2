import fs from 'node:fs';
import path from 'node:path';
import { redact } from '../core/redact.js';
import { redactMany } from './output.js';

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
  /**
   * create, update, delete; `change` for a change carried in a record (pipelines without diff);
   * `not_kept` for a value a merge did not keep; for each record a decision is about, `merged`,
   * `kept_apart` (not duplicates) or `decided` (a conflict).
   */
  action: string;
  record_id: string;
  field: string;
  old_value: unknown;
  new_value: unknown;
  /** standardize, dedupe, merge, sync or manual decision. */
  reason: string;
  /** The rule behind the change (`email.lowercase`, `sync.most_recent`), else the reason. */
  rule: string;
  /**
   * applied, failed, skipped, dry_run; `planned` when no writer ran; `changed` for a record's own
   * change; `listed` for a value not kept; `stale` or `refused` for a decision not applied.
   */
  status: string;
}

export type AuditFormat = 'json' | 'jsonl' | 'csv';
export const AUDIT_FORMATS: readonly AuditFormat[] = ['json', 'jsonl', 'csv'];

export const AUDIT_COLUMNS: ReadonlyArray<keyof AuditEntry> = [
  'run_id',
  'time',
  'system',
  'action',
  'record_id',
  'field',
  'old_value',
  'new_value',
  'reason',
  'rule',
  'status',
];

/** How CSV cells are written. */
export interface CsvOptions {
  /**
   * Neutralize text that a spreadsheet would run as a formula (default true): a cell beginning
   * with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'` and is quoted, as
   * OWASP's CSV-injection guidance says. Numbers (not text) are left alone: they cannot hold a formula.
   */
  escape_formulas?: boolean;
}

/** The first characters that make Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, a quote, a line break or edge spaces,
 * quotes doubled. Objects and arrays are written as JSON; null and undefined as an empty cell.
 * Text that a spreadsheet would run as a formula is neutralized unless `escape_formulas` is false.
 */
export function csvCell(value: unknown, options: CsvOptions = {}): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (options.escape_formulas !== false && typeof value !== 'number' && FORMULA_START.test(text)) return `"'${text.replace(/"/g, '""')}"`;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly unknown[], options: CsvOptions = {}): string {
  return values.map((v) => csvCell(v, options)).join(',') + '\r\n';
}

/** The UTF-8 byte-order mark: without it, Excel reads a CSV file as the system's code page and garbles accents. */
export const UTF8_BOM = '\uFEFF';

/** How the audit log's files are written. */
export interface AuditFileOptions extends CsvOptions {
  /** Begin the CSV file with a UTF-8 byte-order mark (default false). */
  csv_byte_order_mark?: boolean;
}

/**
 * Masks secrets in a batch of entries: values of fields whose name says they hold a secret (a
 * column called `api_key`), and anything that looks like a token wherever it is. The strings of
 * the whole batch go through the redaction at once, because each call rescans the environment.
 */
export function redactEntries(entries: AuditEntry[], secretField: (field: string) => boolean): AuditEntry[] {
  // The entries are the writer's own (made by the collector for it), so they are masked in place.
  const masked = entries;
  for (const entry of masked) {
    if (!secretField(entry.field)) continue;
    if (entry.old_value !== null) entry.old_value = '[REDACTED]';
    if (entry.new_value !== null) entry.new_value = '[REDACTED]';
  }
  const strings: string[] = [];
  for (const entry of masked) {
    for (const column of AUDIT_COLUMNS) {
      const value = entry[column];
      if (typeof value === 'string') strings.push(value);
      else if (value !== null && typeof value === 'object') (entry as unknown as Record<string, unknown>)[column] = redact(value);
    }
  }
  const redacted = redactMany(strings);
  let i = 0;
  for (const entry of masked) {
    for (const column of AUDIT_COLUMNS) {
      if (typeof entry[column] === 'string') (entry as unknown as Record<string, unknown>)[column] = redacted[i++];
    }
  }
  return masked;
}

/** The entry with its keys in column order and no undefined value (the collector builds them so; others may not). */
function inColumnOrder(entry: AuditEntry): AuditEntry {
  let i = 0;
  for (const key in entry) {
    if (key !== AUDIT_COLUMNS[i] || entry[key as keyof AuditEntry] === undefined)
      return Object.fromEntries(AUDIT_COLUMNS.map((c) => [c, entry[c] ?? null])) as unknown as AuditEntry;
    i++;
  }
  return i === AUDIT_COLUMNS.length ? entry : (Object.fromEntries(AUDIT_COLUMNS.map((c) => [c, entry[c] ?? null])) as unknown as AuditEntry);
}

/** Writes audit entries to the files of the formats asked for, appending as they come (buffered). */
export class AuditWriter {
  private readonly outputs: Array<{ format: AuditFormat; fd: number; buffer: string }> = [];
  private pending: AuditEntry[] = [];
  private readonly secretFields = new Map<string, boolean>();
  count = 0;

  constructor(
    readonly dir: string,
    readonly formats: readonly AuditFormat[],
    readonly baseName = 'audit',
    private readonly fileOptions: AuditFileOptions = {},
  ) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const csvStart = (fileOptions.csv_byte_order_mark ? UTF8_BOM : '') + csvLine(AUDIT_COLUMNS);
    for (const format of formats) {
      const fd = fs.openSync(this.file(format), 'w', 0o600);
      this.outputs.push({ format, fd, buffer: format === 'json' ? '[' : format === 'csv' ? csvStart : '' });
    }
  }

  file(format: AuditFormat): string {
    return path.join(this.dir, `${this.baseName}.${format}`);
  }

  files(): string[] {
    return this.formats.map((f) => this.file(f));
  }

  write(entry: AuditEntry): void {
    this.pending.push(entry);
    if (this.pending.length >= 512) this.drain();
  }

  private isSecretField = (field: string): boolean => {
    let secret = this.secretFields.get(field);
    if (secret === undefined) {
      secret = (redact({ [field]: 'x' }) as Record<string, unknown>)[field] !== 'x';
      this.secretFields.set(field, secret);
    }
    return secret;
  };

  private drain(): void {
    const batch = redactEntries(this.pending, this.isSecretField);
    this.pending = [];
    for (const entry of batch) {
      const ordered = inColumnOrder(entry);
      const json = JSON.stringify(ordered);
      for (const out of this.outputs) {
        if (out.format === 'json') out.buffer += `${this.count ? ',' : ''}\n${json}`;
        else if (out.format === 'jsonl') out.buffer += json + '\n';
        else
          out.buffer += csvLine(
            AUDIT_COLUMNS.map((c) => ordered[c]),
            this.fileOptions,
          );
        if (out.buffer.length > 1 << 16) this.flush(out);
      }
      this.count++;
    }
  }

  private flush(out: { fd: number; buffer: string }): void {
    if (out.buffer) fs.writeSync(out.fd, out.buffer);
    out.buffer = '';
  }

  close(): void {
    this.drain();
    for (const out of this.outputs) {
      if (out.format === 'json') out.buffer += this.count ? '\n]\n' : ']\n';
      this.flush(out);
      fs.closeSync(out.fd);
    }
    this.outputs.length = 0;
  }
}
