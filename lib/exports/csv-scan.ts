/**
 * Well-formed CSV read at string speed: a row without a quote is split at its delimiters, a
 * quoted cell is read up to its closing quote. csv-parse stays the authority on everything else:
 * at the first row where this reading could differ from csv-parse's (a quote inside an unquoted
 * cell, text after a closing quote, a quote never closed, a row near the size limit, `\r` alone
 * ending lines), the scanner stops and hands the text from that row on to csv-parse, so a file
 * reads the same either way, row for row and line for line.
 */

const QUOTE = 34;
const CR = 13;

/** Longest row kept waiting for its end: a longer one goes to csv-parse, which streams it. */
const LONGEST_HELD_ROW = 1 << 20;

/** A row read: its 1-based first line, its cells, and its text (for a reject). */
export interface ScannedRow {
  line: number;
  cells: string[];
  raw: string;
}

/** What one piece of text gave: the rows it completed, and the text left to csv-parse when the scanner stopped. */
export interface Scanned {
  rows: ScannedRow[];
  stopped?: string;
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
    const rows: ScannedRow[] = [];
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
    let pos = 0;
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
      if (row === 'stop' || this.tooLong(pos, row.end)) return this.stop(rows, pos);
      const raw = text.slice(pos, row.end);
      rows.push({ line: this.nextLine, cells: row.cells, raw });
      this.nextLine += row.lines + 1;
      this.started = true;
      pos = row.next;
    }
    this.text = '';
    if (text.length - pos > Math.min(this.maxRowChars, LONGEST_HELD_ROW)) return this.stop(rows, pos, text);
    this.rest = text.slice(pos);
    return { rows };
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
    return final || text.length > Math.min(this.maxRowChars, LONGEST_HELD_ROW) ? 'stop' : 'more';
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

  /** Whether csv-parse could find the row over its size limit (it counts bytes as it goes): then it decides. */
  private tooLong(start: number, end: number): boolean {
    return (end - start) * 3 > this.maxRowChars && Buffer.byteLength(this.text.slice(start, end)) > this.maxRowChars;
  }

  private stop(rows: ScannedRow[], pos: number, text = this.text): Scanned {
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
