import { StageError } from '../lib/core/errors.js';
import { inputLabel, readError } from '../lib/core/jsonl-records.js';
import type { Lead } from '../lib/core/record.js';
import { defineStage, type StageContext } from '../lib/core/stage.js';
import { CSV_ENCODINGS, type CsvItem, type CsvSettings, csvRows, DETECTED_DELIMITERS, rawText } from '../lib/exports/csv-rows.js';
import { EXPORT_OPTIONS, type ExportOptions, exportFields, headerFields, openExport, rejectItem, valuesOf } from '../lib/exports/fields.js';

export interface ReadCsvOptions extends ExportOptions {
  path: string;
  delimiter?: string;
  encoding: string;
  max_row_chars: number;
}

/**
 * Reads a CSV export (a CRM's, a spreadsheet's, a LinkedIn tool's): a header row, then one lead
 * per row. The header's names become canonical fields through the field mapping, so an export
 * with Airtable's column names ("Full Name", "Job Title") reads as the pipeline's `name` and
 * `title`. A row that cannot be a record (a quote never closed, more or fewer cells than the
 * header, bytes that are not text in the file's encoding) goes to the rejects file with its line,
 * and the step's `on_error` decides the rest, as for read-jsonl.
 */
const readCsv = defineStage<ReadCsvOptions>({
  name: 'read-csv',
  kind: 'source',
  summary:
    'Reads leads from a CSV file or stdin (header row, quoted cells, embedded newlines, BOM, `,` `;` or tab detected), columns named through the field mapping; rows that are not records go to the rejects file with their line numbers.',
  options: {
    path: {
      type: 'path',
      default: '-',
      description: 'The file to read; `-` reads stdin.',
      example: 'exports/leads.csv',
    },
    delimiter: {
      type: 'string',
      description: 'The cell delimiter, one character (`tab` for a tab); when not given, the one of `,` `;` and tab found most in the header row.',
      example: ';',
    },
    encoding: {
      type: 'string',
      values: CSV_ENCODINGS,
      default: 'utf8',
      description: "The file's text encoding: utf8 (a BOM is skipped), latin1 (Windows-1252, as older Excel saves) or utf16le.",
      example: 'latin1',
    },
    max_row_chars: {
      type: 'integer',
      default: 16 * 1024 * 1024,
      min: 16,
      description: 'A row longer than this many characters is rejected (and never held in memory whole).',
      example: 65536,
    },
    ...EXPORT_OPTIONS,
  },
  check(options) {
    const d = options.delimiter;
    if (d === undefined || d === 'tab' || (d.length === 1 && !/["\r\n]/.test(d))) return [];
    return [
      {
        path: 'delimiter',
        message: `'${d}' is not a delimiter: give one character other than a quote or newline (e.g. ${DETECTED_DELIMITERS.slice(0, 2).join(' or ')}), or tab.`,
      },
    ];
  },
  create(options, ctx) {
    const label = inputLabel(options.path);
    const fields = exportFields(options, ctx.baseDir);
    const settings: CsvSettings = {
      delimiter: options.delimiter === 'tab' ? '\t' : options.delimiter,
      encoding: options.encoding as CsvSettings['encoding'],
      maxRowChars: options.max_row_chars,
    };
    return (async function* (): AsyncGenerator<Lead> {
      const input = openExport(options.path, ctx, label);
      const reader = new CsvLeads({ label, fields, ctx, utf8: settings.encoding === 'utf8' });
      try {
        // A batch of rows at a time, the leads of a batch made in one go: one await per batch, not per row.
        for await (const rows of csvRows(input, settings)) {
          for (const lead of reader.leadsOf(rows)) yield lead;
          reader.stopIfFailed();
        }
        reader.finish();
      } catch (error) {
        if (error instanceof StageError) throw error;
        throw readError(error, label, ctx);
      }
    })();
  },
});

export default readCsv;

interface Reading {
  label: string;
  fields: ReturnType<typeof exportFields>;
  ctx: StageContext;
  utf8: boolean;
}

/** The leads of the rows: the first row names the fields; a row that is not a record is rejected with its line. */
class CsvLeads {
  private header: string[] | undefined;
  private invalid = 0;
  private failure: unknown;

  constructor(private readonly reading: Reading) {}

  /** The leads of a batch; when a reject stops the read (on_error fail), the leads before it, and `stopIfFailed` throws. */
  leadsOf(rows: readonly CsvItem[]): Lead[] {
    const leads: Lead[] = [];
    try {
      for (const row of rows) {
        const lead = this.leadOf(row);
        if (lead) leads.push(lead);
      }
    } catch (error) {
      this.failure = error;
    }
    return leads;
  }

  stopIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** The lead a row is, its reject's placeholder, or undefined (the header, a row dropped). */
  private leadOf(row: CsvItem): Lead | undefined {
    const { label, fields, ctx, utf8 } = this.reading;
    if ('reason' in row) {
      const message = `${label}:${row.line}: ${row.error}; fix the row or remove it`;
      return rejectItem(ctx, { reason: row.reason, message, raw: rawText(row.raw), file: label, line: row.line });
    }
    if (!this.header) {
      this.header = headerFields(row.cells, fields, ctx.stage, label);
      if (fields.idField !== undefined && !this.header.includes(fields.idField))
        ctx.log.warn('The export has no id column: its leads carry no id, so they are matched to the other system by their match keys only (set id_column).', {
          file: label,
          id_column: fields.idField,
        });
      return undefined;
    }
    const problem = rowProblem(row.cells, this.header.length, utf8);
    if (problem) {
      if (problem.reason === 'invalid_utf8') this.invalid++;
      return rejectItem(ctx, { ...problem, message: `${label}:${row.line}: ${problem.message}`, raw: rawText(row.raw), file: label, line: row.line });
    }
    return fields.lead(valuesOf(this.header, row.cells), { line: row.line });
  }

  finish(): void {
    if (this.invalid)
      this.reading.ctx.log.warn('Rows with bytes that are not UTF-8 were rejected; save the file as UTF-8, or give its encoding (encoding: latin1).', {
        rows: this.invalid,
      });
  }
}

function rowProblem(cells: readonly string[], columns: number, utf8: boolean): { reason: string; message: string } | undefined {
  if (cells.length !== columns)
    return {
      reason: 'wrong_column_count',
      message: `the row has ${cells.length} cell(s) but the header has ${columns} column(s); a delimiter inside a value needs quotes ("a, b"), and a missing cell an empty one`,
    };
  if (utf8 && cells.some((cell) => cell.includes('\ufffd')))
    return {
      reason: 'invalid_utf8',
      message: 'the row holds bytes that are not UTF-8 (read as U+FFFD); save the file as UTF-8, or give its encoding (encoding: latin1)',
    };
  return undefined;
}
