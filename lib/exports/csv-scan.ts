/**
 * Well-formed CSV read at string speed: a row without a quote is split at its delimiters, a
 * quoted cell is read up to its closing quote. csv-parse stays the authority on everything else:
 * at the first row where this reading could differ from csv-parse's (a quote inside an unquoted
 * cell, text after a closing quote, a quote never closed, `\r` alone ending lines), the scanner
 * stops and hands the text from that row on to csv-parse, so a file reads the same either way, row
 * for row and line for line. A row longer than the limit is rejected here, read through to its
 * end without being held (csv-parse, given its size limit, drops the text after such a row).
 */

const QUOTE = 34;
const CR = 13;

/** How many characters of a row too long to read are kept for its reject. */
const KEPT_OF_LONG_ROW = 64 * 1024;

/** A row read (its 1-based first line, cells and text), or one that could not be (why, and its text); `raw` may hold line ends around it. */
export type CsvItem = { line: number; cells: string[]; raw: string } | { line: number; reason: string; error: string; raw: string };

/** What one piece of text gave: the rows it completed, and the text left to csv-parse when the scanner stopped. */
export interface Scanned {
  rows: CsvItem[];
  stopped?: string;
}

/** A row too long to read, being read through to its end. */
interface LongRow {
  line: number;
  raw: string;
  quoted: boolean;
  breaks: number;
  afterCr: boolean;
}

/** The rows of one CSV input, fed piece by piece. */
export class CsvScanner {
  /** The line the next row starts on (counting the empty lines skipped before it). */
  nextLine = 1;
  /** The line ending, as csv-parse settles it: the first one found outside quotes (certain once a line was read). */
  lineEnd: '\n' | '\r\n' | undefined;
  /** Whether any text was taken (a BOM, an empty line, a row): csv-parse then starts mid-file. */
  started = false;
  private rest = '';
  private quoteAt = -1;
  private text = '';
  private long: LongRow | undefined;

  constructor(
    private readonly delimiter: string,
    private readonly maxRowChars: number,
  ) {}

  /** The rows `piece` completes; `final` when no text follows it. After a stop, nothing more is read. */
  push(piece: string, final: boolean): Scanned {
    let text = this.rest + piece;
    this.rest = '';
    if (!this.started && text.charCodeAt(0) === 0xfeff) {
      text = text.slice(1);
      this.started = true;
    }
    const rows: CsvItem[] = [];
    if (this.lineEnd === undefined) {
      const settled = this.settleLineEnd(text, final);
      if (settled === 'stop') return { rows, stopped: text };
      if (settled === 'more') {
        this.rest = text;
        return { rows };
      }
    }
    this.text = text;
    this.quoteAt = -1;
    const end = this.lineEnd!;
    let pos = this.long ? this.readThroughLongRow(rows, 0, final) : 0;
    while (pos < text.length) {
      let rowEnd = text.indexOf(end, pos);
      if (rowEnd === -1) {
        if (!final) break;
        rowEnd = text.length;
      }
      if (rowEnd === pos) {
        this.nextLine++;
        this.started = true;
        pos = rowEnd + end.length;
        continue;
      }
      let row: { cells: string[]; end: number; next: number; lines: number } | 'more' | 'stop';
      const quote = this.quoteFrom(pos);
      if (quote === -1 || quote >= rowEnd) {
        const raw = text.slice(pos, rowEnd);
        row = { cells: raw.split(this.delimiter), end: rowEnd, next: Math.min(rowEnd + end.length, text.length), lines: lineBreaksIn(raw, end) };
      } else row = this.quotedRow(pos, final);
      if (row === 'more') break;
      if (row === 'stop') return this.stop(rows, pos);
      const raw = text.slice(pos, row.end);
      if (raw.length > this.maxRowChars) rows.push(this.tooLong(this.nextLine, raw.slice(0, KEPT_OF_LONG_ROW)));
      else rows.push({ line: this.nextLine, cells: row.cells, raw });
      this.nextLine += row.lines + 1;
      this.started = true;
      pos = row.next;
    }
    if (pos < text.length && text.length - pos > this.maxRowChars) {
      this.long = { line: this.nextLine, raw: '', quoted: false, breaks: 0, afterCr: false };
      pos = this.readThroughLongRow(rows, pos, final);
    }
    this.text = '';
    this.rest = text.slice(pos);
    return { rows };
  }

  /**
   * Reads on through a row too long to keep, from `pos`, to the first line end outside quotes (the
   * row's end in well-formed text), keeping its first characters and counting its line breaks;
   * at the end, its reject joins `rows`. Returns where the text after it starts (the text's length
   * when the row goes on past it, or one short of it to keep a `\r` that may start the line end).
   */
  private readThroughLongRow(rows: CsvItem[], pos: number, final: boolean): number {
    const long = this.long!;
    const { text } = this;
    const crlf = this.lineEnd === '\r\n';
    let at = pos;
    let after = -1;
    for (; at < text.length; at++) {
      const c = text.charCodeAt(at);
      if (c === QUOTE) long.quoted = !long.quoted;
      else if (c === 10 || c === CR) {
        if (!long.quoted && c === 10 && !crlf) after = at + 1;
        else if (!long.quoted && c === CR && crlf && at + 1 === text.length && !final) break;
        else if (!long.quoted && c === CR && crlf && text.charCodeAt(at + 1) === 10) after = at + 2;
        else if (c === CR || !long.afterCr) long.breaks++;
        if (after !== -1) break;
      }
      long.afterCr = c === CR;
    }
    if (long.raw.length < KEPT_OF_LONG_ROW) long.raw += text.slice(pos, Math.min(at, pos + KEPT_OF_LONG_ROW - long.raw.length));
    if (after === -1 && !final) return at;
    rows.push(this.tooLong(long.line, long.raw));
    this.nextLine = long.line + long.breaks + 1;
    this.started = true;
    this.long = undefined;
    return after === -1 ? text.length : after;
  }

  private tooLong(line: number, raw: string): CsvItem {
    const error = `the row is longer than max_row_chars (${this.maxRowChars} characters), so it was not read (its first characters are in this reject); shorten its values, or raise max_row_chars`;
    return { line, reason: 'row_too_long', error, raw };
  }

  /** The line ending from the first line break outside quotes; `\r` alone is left to csv-parse. */
  private settleLineEnd(text: string, final: boolean): 'ok' | 'more' | 'stop' {
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) quoted = !quoted;
      else if (!quoted && (c === 10 || c === CR)) {
        if (c === 10) this.lineEnd = '\n';
        else if (i + 1 === text.length && !final) return 'more';
        else if (text.charCodeAt(i + 1) === 10) this.lineEnd = '\r\n';
        else return 'stop';
        return 'ok';
      }
    }
    return final || text.length > this.maxRowChars ? 'stop' : 'more';
  }

  /** A row holding a quote from `pos`: its cells, or 'more' when its end is not in the text yet, or 'stop'. */
  private quotedRow(pos: number, final: boolean): { cells: string[]; end: number; next: number; lines: number } | 'more' | 'stop' {
    const { text, delimiter } = this;
    const end = this.lineEnd!;
    const cells: string[] = [];
    let at = pos;
    for (;;) {
      if (text.charCodeAt(at) === QUOTE) {
        let value = '';
        let from = at + 1;
        for (;;) {
          const close = text.indexOf('"', from);
          if (close === -1) return final ? 'stop' : 'more';
          if (close + 1 === text.length && !final) return 'more';
          if (text.charCodeAt(close + 1) === QUOTE) {
            value += text.slice(from, close + 1);
            from = close + 2;
            continue;
          }
          value += text.slice(from, close);
          at = close + 1;
          break;
        }
        cells.push(value);
        if (at === text.length) return { cells, end: at, next: at, lines: lineBreaks(cells) };
        if (text.startsWith(delimiter, at)) {
          at += delimiter.length;
          if (at === text.length && !final) return 'more';
          continue;
        }
        if (text.startsWith(end, at)) return { cells, end: at, next: at + end.length, lines: lineBreaks(cells) };
        if (at + end.length > text.length && !final) return 'more';
        return 'stop';
      }
      let rowEnd = text.indexOf(end, at);
      if (rowEnd === -1) {
        if (!final) return 'more';
        rowEnd = text.length;
      }
      const next = text.indexOf(delimiter, at);
      const cellEnd = next !== -1 && next < rowEnd ? next : rowEnd;
      // A quote inside an unquoted cell is an error to csv-parse.
      if (this.quoteFrom(at) !== -1 && this.quoteAt < cellEnd) return 'stop';
      cells.push(text.slice(at, cellEnd));
      if (cellEnd === rowEnd) return { cells, end: rowEnd, next: Math.min(rowEnd + end.length, text.length), lines: lineBreaks(cells) };
      at = cellEnd + delimiter.length;
    }
  }

  /** The first quote at or after `pos` in the current text, -1 for none (remembered, as the scan only moves forward). */
  private quoteFrom(pos: number): number {
    if (this.quoteAt < pos && this.quoteAt !== -2) {
      this.quoteAt = this.text.indexOf('"', pos);
      if (this.quoteAt === -1) this.quoteAt = -2;
    }
    return this.quoteAt === -2 ? -1 : this.quoteAt;
  }

  private stop(rows: CsvItem[], pos: number): Scanned {
    const { text } = this;
    this.text = '';
    return { rows, stopped: text.slice(pos) };
  }
}

/** How many line breaks the cells hold: a row spans that many lines more than one. */
export function lineBreaks(cells: readonly string[]): number {
  let n = 0;
  for (const cell of cells) if (cell.includes('\n') || cell.includes('\r')) n += cell.match(/\r\n|\r|\n/g)!.length;
  return n;
}

function lineBreaksIn(raw: string, lineEnd: string): number {
  return raw.indexOf('\r') === -1 && (lineEnd === '\n' || raw.indexOf('\n') === -1) ? 0 : lineBreaks([raw]);
}
