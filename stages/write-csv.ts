import fs from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { StageError } from '../lib/core/errors.js';
import { loadFieldMapping } from '../lib/core/field-mapping.js';
import { own } from '../lib/core/own.js';
import type { Lead } from '../lib/core/record.js';
import { defineStage } from '../lib/core/stage.js';
import { isLead, type StreamItem } from '../lib/core/types.js';

interface WriteCsvOptions {
  path: string;
  fields?: string[];
  airtable_names: boolean;
  field_mapping?: string;
  delimiter: string;
  escape_formulas: boolean;
}

/**
 * Writes leads as CSV for people who open it in a spreadsheet, then passes every item on (a tap,
 * like write-jsonl). Cells holding the delimiter, a quote or a newline are quoted. Since such a
 * file is opened in Excel or Sheets, where a cell starting with `=`, `+`, `-` or `@` is run as a
 * formula (CSV injection), those cells get a leading `'` unless escape_formulas is off.
 */
export default defineStage<WriteCsvOptions>({
  name: 'write-csv',
  kind: 'sink',
  summary:
    'Writes leads as CSV (a header row, then one row per lead; cells starting with = + - @ get a leading apostrophe so spreadsheets never run them as formulas) to a file or stdout, and passes them on.',
  options: {
    path: {
      type: 'path',
      default: '-',
      description: 'The file to write (replaced if it exists); `-` writes stdout.',
      example: 'exports/clean-leads.csv',
    },
    fields: {
      type: 'string[]',
      description:
        "The columns, in order, as canonical field names; when not given, the field mapping's canonical fields, then the other fields of the first lead. A lead's field outside the columns is reported in the rejects file (the row is still written).",
      example: ['name', 'email', 'company'],
    },
    airtable_names: {
      type: 'boolean',
      default: false,
      description: "Name the header's columns as the Airtable base does (the field mapping's database_to_airtable), for a file to import there.",
      example: true,
    },
    field_mapping: {
      type: 'path',
      description: "The field-mapping file (canonical fields and their Airtable names); the package's config/field-mapping.yaml when not given.",
      example: '../config/field-mapping.yaml',
    },
    delimiter: {
      type: 'string',
      default: ',',
      description: 'The cell delimiter, one character (`tab` for a tab); `;` suits spreadsheets set to a locale whose decimal mark is a comma.',
      example: ';',
    },
    escape_formulas: {
      type: 'boolean',
      default: true,
      description:
        "Prefix a cell starting with = + - @ (or a tab or carriage return) with ' so a spreadsheet shows it as text instead of running it as a formula; on by default, because exports are opened in spreadsheets. Off writes values exactly.",
      example: false,
    },
  },
  check(options) {
    const d = options.delimiter;
    if (d === 'tab' || (d.length === 1 && !/["\r\n]/.test(d))) return [];
    return [{ path: 'delimiter', message: `'${d}' is not a delimiter: give one character other than a quote or newline (e.g. , or ;), or tab.` }];
  },
  create(options, ctx) {
    const mapping = loadFieldMapping(options.field_mapping);
    const out = openOutput(options.path, ctx.stdout, ctx.stage);
    const csv = stringify({
      delimiter: options.delimiter === 'tab' ? '\t' : options.delimiter,
      escape_formulas: options.escape_formulas,
      record_delimiter: 'unix',
      cast: { boolean: (value) => String(value), object: (value) => JSON.stringify(value), date: (value) => value.toISOString() },
    });
    csv.on('error', (error) => out.destroy(error));
    const ended = new Promise<void>((resolve) => csv.once('end', resolve));
    csv.pipe(out.stream, { end: out.owned });
    let columns: string[] | undefined;
    const unwritten = new Map<string, number>();
    const write = async (row: unknown[]): Promise<void> => {
      if (!csv.write(row)) await new Promise<void>((resolve) => csv.once('drain', resolve));
    };
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      // No lead came: the header alone, so the file is still a CSV with the expected columns.
      if (!columns) csv.write((options.fields ?? Object.keys(mapping.database_to_airtable)).map(header));
      csv.end();
      await ended;
      await out.done();
      if (unwritten.size)
        ctx.log.warn('Some leads had fields outside the CSV columns; those values were not written (list them in fields).', {
          fields: Object.fromEntries(unwritten),
        });
    };
    const header = (field: string): string => (options.airtable_names ? (own<string>(mapping.database_to_airtable, field) ?? field) : field);
    ctx.onClose(close);
    return {
      async transform(item: StreamItem) {
        if (!isLead(item)) return item;
        const lead = item as Lead;
        if (!columns) {
          columns = options.fields ?? defaultColumns(Object.keys(mapping.database_to_airtable), lead);
          await write(columns.map(header));
        }
        const extra = Object.keys(lead).filter((f) => f !== '_meta' && !columns!.includes(f) && lead[f] !== null && lead[f] !== undefined);
        if (extra.length) {
          for (const f of extra) unwritten.set(f, (unwritten.get(f) ?? 0) + 1);
          ctx.reject({
            reason: 'fields_not_written',
            message: `fields ${extra.join(', ')} are not among the CSV columns; give them in fields to write them`,
            record: lead,
          });
        }
        await write(columns.map((f) => own(lead, f) ?? null));
        return item;
      },
      flush: close,
    };
  },
});

/** The mapping's canonical fields, then the first lead's other fields in its order. */
function defaultColumns(canonical: string[], first: Lead): string[] {
  return [...canonical, ...Object.keys(first).filter((f) => f !== '_meta' && !canonical.includes(f))];
}

interface Output {
  stream: Writable;
  owned: boolean;
  destroy(error: Error): void;
  done(): Promise<void>;
}

function openOutput(file: string, stdout: Writable, stage: string): Output {
  if (file === '-') return { stream: stdout, owned: false, destroy: () => undefined, done: () => Promise.resolve() };
  let stream: fs.WriteStream;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    stream = fs.createWriteStream(file, { flags: 'w' });
  } catch (error) {
    throw new StageError(stage, `cannot write ${file}: ${(error as Error).message}`, { cause: error });
  }
  const finished = new Promise<void>((resolve, reject) => {
    stream.once('close', () => resolve());
    stream.once('error', (error) => reject(new StageError(stage, `cannot write ${file}: ${error.message}`, { cause: error })));
  });
  finished.catch(() => undefined);
  return { stream, owned: true, destroy: (error) => stream.destroy(error), done: () => finished };
}
