import { Readable } from 'node:stream';
import { type CsvError, type InfoRecord, type Options, parse } from 'csv-parse';
import { type CsvItem, CsvScanner, lineBreaks } from './csv-scan.js';

/**
 * CSV rows as they come, streaming: well-formed text is read by CsvScanner (csv-scan.ts), and
 * from the first row it cannot be sure of, csv-parse does the quoting and embedded newlines; this
 * adds the delimiter when none is given, the 1-based line each row starts on (an embedded newline
 * makes a row span lines, so the parser's own count is not the row's line), and the rows the
 * parser could not read, in their place among the others instead of lost.
 */

/** The delimiters looked for when none is given: what spreadsheets and CRMs write. */
export const DETECTED_DELIMITERS = [',', ';', '\t'] as const;

/** The text encodings a CSV file may be in. */
export const CSV_ENCODINGS = ['utf8', 'latin1', 'utf16le'] as const;

export interface CsvSettings {
  /** One character; detected from the first line when not given. */
  delimiter?: string;
  encoding: (typeof CSV_ENCODINGS)[number];
  /** A row longer than this many characters is rejected, and never held whole. */
  maxRowChars: number;
}

export type { CsvItem } from './csv-scan.js';

/** How many characters of a row's raw text a reject keeps. */
const RAW_LIMIT = 64 * 1024;

/**
 * The rows of a CSV input, in order and in batches (one per piece of input read); the first row
 * is the header. Well-formed text is read by CsvScanner; from the first row it is not sure of,
 * csv-parse reads the rest. `onDelimiter` hears the delimiter used.
 */
export async function* csvRows(input: AsyncIterable<Buffer | string>, settings: CsvSettings, onDelimiter?: (d: string) => void): AsyncGenerator<CsvItem[]> {
  const text = decoded(input, settings.encoding);
  const first = await text.next();
  if (first.done) return;
  const delimiter = settings.delimiter ?? detectDelimiter(first.value);
  onDelimiter?.(delimiter);
  const scanner = new CsvScanner(delimiter, settings.maxRowChars);
  let stopped: string | undefined;
  for (let next: IteratorResult<string> = first; stopped === undefined; ) {
    const scanned = next.done ? scanner.push('', true) : scanner.push(next.value, false);
    if (scanned.rows.length) yield scanned.rows;
    stopped = scanned.stopped;
    if (next.done) break;
    if (stopped === undefined) next = await text.next();
  }
  if (stopped === undefined) return;
  yield* parsedRows(prepend(stopped, text), {
    delimiter,
    maxRowChars: settings.maxRowChars,
    firstLine: scanner.nextLine,
    // Once a line was read, the line ending is settled: csv-parse, starting mid-file, must not settle another.
    lineEnd: scanner.nextLine > 1 ? scanner.lineEnd : undefined,
    bom: !scanner.started,
  });
}

/** The same rows read by csv-parse alone, from the first byte: what CsvScanner must agree with, row for row (the specs compare the two). */
export async function* csvRowsByCsvParse(input: AsyncIterable<Buffer | string>, settings: CsvSettings): AsyncGenerator<CsvItem[]> {
  const text = decoded(input, settings.encoding);
  const first = await text.next();
  if (first.done) return;
  const delimiter = settings.delimiter ?? detectDelimiter(first.value);
  yield* parsedRows(prepend(first.value, text), { delimiter, maxRowChars: settings.maxRowChars, firstLine: 1, lineEnd: undefined, bom: true });
}

/** A row's text as a reject keeps it: without the line ends around it, and at most RAW_LIMIT characters. */
export function rawText(raw: string): string {
  const text = raw.replace(/^[\r\n]+|[\r\n]+$/g, '');
  return text.length > RAW_LIMIT ? `${text.slice(0, RAW_LIMIT)}…` : text;
}

interface ParseFrom {
  delimiter: string;
  maxRowChars: number;
  /** The line the text starts on. */
  firstLine: number;
  lineEnd: string | undefined;
  bom: boolean;
}

/** Rows read by csv-parse, with the lines they start on and the rows it could not read in their place. */
async function* parsedRows(text: AsyncIterable<string>, from: ParseFrom): AsyncGenerator<CsvItem[]> {
  let nextLine = from.firstLine;
  let emptyLines = 0;
  let rows = 0;
  const failed: Array<CsvItem & { after: number }> = [];
  // on_record may return any value, whatever the declared type says: the row with its line is what comes out.
  const options = {
    bom: from.bom,
    delimiter: from.delimiter,
    ...(from.lineEnd ? { record_delimiter: from.lineEnd } : {}),
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: from.maxRowChars,
    raw: true,
    // Called in input order, as the parser goes: the only place where lines can be counted right.
    on_record: ({ record }: { record: string[] }, info: InfoRecord) => {
      const line = nextLine + (info.empty_lines - emptyLines);
      emptyLines = info.empty_lines;
      nextLine = line + lineBreaks(record) + 1;
      rows++;
      return { line, cells: record, raw: info.raw ?? '' };
    },
    on_skip: (error: CsvError | undefined, raw: string | undefined) => {
      // csv-parse drops the text after a row over its size limit: rather than lose rows unsaid, the read stops.
      if (error?.code === 'CSV_MAX_RECORD_SIZE') throw new Error(tooLongAfterBadText(nextLine, from.maxRowChars));
      // The parser's own line count is of the whole file and counts `\r\n` twice: the lines come from the row's text.
      const skipped = typeof error?.empty_lines === 'number' ? error.empty_lines : emptyLines;
      const line = nextLine + (skipped - emptyLines);
      emptyLines = skipped;
      const end = line + lineBreaks([(raw ?? '').replace(/^[\r\n]+|[\r\n]+$/g, '')]);
      nextLine = end + 1;
      failed.push({ line, reason: reasonOf(error), error: messageOf(error, line, end), raw: rawText(raw ?? ''), after: rows });
      return undefined;
    },
  } as unknown as Options;
  const parser = Readable.from(text).pipe(parse(options));
  let seen = 0;
  for await (const row of parser as AsyncIterable<CsvItem>) {
    seen++;
    const batch: CsvItem[] = [];
    while (failed.length && failed[0]!.after < seen) batch.push(withoutPlace(failed.shift()!));
    batch.push(row);
    yield batch;
  }
  if (failed.length) yield failed.map(withoutPlace);
}

/** The delimiter of a file: the candidate found most often in its first line, outside quotes (a comma on a tie). */
export function detectDelimiter(start: string): string {
  const counts = new Map<string, number>(DETECTED_DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const char of start.replace(/^\ufeff/, '')) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === '\n' || char === '\r')) break;
    else if (!quoted && counts.has(char)) counts.set(char, counts.get(char)! + 1);
  }
  let best = ',';
  for (const [d, n] of counts) if (n > counts.get(best)!) best = d;
  return best;
}

function tooLongAfterBadText(line: number, maxRowChars: number): string {
  return `a row from line ${line} on is longer than max_row_chars (${maxRowChars} characters) and comes after text that is not well-formed CSV, so where the rows after it start cannot be told; fix the rows the rejects name, or raise max_row_chars`;
}

function withoutPlace({ after: _, ...item }: CsvItem & { after: number }): CsvItem {
  return item;
}

function reasonOf(error: CsvError | undefined): string {
  switch (error?.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'unbalanced_quote';
    default:
      return 'malformed_csv';
  }
}

function messageOf(error: CsvError | undefined, line: number, end: number): string {
  if (error?.code === 'CSV_QUOTE_NOT_CLOSED')
    return `a quote opened in this row is never closed, so lines ${line} to ${end} were read as one row (they are all in this reject); close the quote, and write a quote inside a cell as ""`;
  // The parser's "at line N" counts from where it started reading, and the reject names the row's line already.
  return (error?.message ?? 'unreadable row').replace(/ at line \d+/, '').replace(/\.$/, '');
}

/** Decoded text, at least the first line in the first piece (for delimiter detection). */
async function* decoded(input: AsyncIterable<Buffer | string>, encoding: CsvSettings['encoding']): AsyncGenerator<string> {
  const decoder = new TextDecoder(encoding === 'utf8' ? 'utf-8' : encoding === 'latin1' ? 'windows-1252' : 'utf-16le');
  let head = '';
  let started = false;
  for await (const chunk of input) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (started) {
      if (text) yield text;
      continue;
    }
    head += text;
    if (/[\r\n]/.test(head) || head.length >= 64 * 1024) {
      started = true;
      yield head;
    }
  }
  const rest = head && !started ? head + decoder.decode() : decoder.decode();
  if (rest) yield rest;
}

async function* prepend(first: string, rest: AsyncIterator<string>): AsyncGenerator<string> {
  yield first;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}
