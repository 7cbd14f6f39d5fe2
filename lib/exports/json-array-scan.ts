/**
 * A quick reading of a JSON array that is simply well formed: the scanner follows only the array's
 * own structure (`[`, elements, commas, `]`) and where each element starts and ends (strings and
 * their escapes, nesting), and hands each element's text to JSON.parse. It says nothing about
 * what is wrong: on anything it does not expect it gives up, and the caller reads the text with
 * stream-json instead, which says what and where. Memory holds one piece of input and the element
 * begun in it, whatever the file's size.
 */

import type { CanonicalRecords } from '../core/jsonl-canonical.js';

/**
 * One element of the array and its 0-based index (`key`, as stream-json names it): its value, or,
 * when the reader asked for them, its text alone when it is a record already written as
 * `JSON.stringify` writes it (see lib/core/jsonl-canonical.ts), which needs no parse to be written back.
 */
export type JsonElement = { key: number; value: unknown; text?: undefined } | { key: number; text: string; value?: undefined };

// Where the scanner is in the array.
const BEFORE_ARRAY = 0;
const AFTER_OPEN = 1; // `[` read: an element or `]`
const AFTER_COMMA = 2; // an element must follow
const IN_ELEMENT = 3;
const AFTER_ELEMENT = 4; // `,` or `]`
const AFTER_ARRAY = 5; // only whitespace may follow

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const MINUS = 0x2d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** Deeper nesting than stream-json reads (1024 with the array) is left to it to refuse; this stays well short. */
const MAX_DEPTH = 512;
/** An element longer than this is left to stream-json, which has its own limit on a packed value. */
const MAX_ELEMENT_LENGTH = 1 << 26;

/** Pieces read by scanning alone after a run of records was guessed wrong (its records nest, or hold `},` in text). */
const WRONG_GUESS_PAUSE = 8;

/** Returned by the element scans: the element goes on into the next piece, or the scanner gives up. */
const MORE = -1;
const GIVE_UP = -2;

export class ArrayScanner {
  private state = BEFORE_ARRAY;
  /** The index the next element gets. */
  private key = 0;
  /** The text of the element begun in an earlier piece. */
  private partial = '';
  /** The element being read is a number or literal (read to its first delimiter), not a string, object or array. */
  private scalar = false;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Pieces to go before guessing where a run of records ends again, after a wrong guess. */
  private guessesToSkip = 0;
  /** In the current piece: where its last `},` is, once looked for. */
  private lastRecordEnd: number | undefined;
  /** In the current piece: where the next quote and the next backslash are, from the last look (the length when none). */
  private quoteAt = -1;
  private backslashAt = -1;

  /** The element being read began in the last piece given (rather than an earlier one). */
  private begunInPiece = false;

  /** The last element was given as its text (see readCanonicalRun). */
  private afterCanonical = false;

  /** `canonical`: records in the form it finds are given as their text (see JsonElement). */
  constructor(private readonly canonical?: CanonicalRecords) {}

  /**
   * The last piece ended inside an element, or after a number or literal and before what follows
   * it (stream-json gives one only once it has seen the next comma or bracket): an element not
   * yet given.
   */
  get endsInElement(): boolean {
    return this.state === IN_ELEMENT || (this.state === AFTER_ELEMENT && this.scalar);
  }

  /** The last piece ended after a number or literal, before what follows it: stream-json gives that element in the next piece. */
  get endsAfterScalar(): boolean {
    return this.state === AFTER_ELEMENT && this.scalar;
  }

  /** The last piece ended in an element not yet given (endsInElement) that began in that piece. */
  get endsInElementBegunThere(): boolean {
    return this.endsInElement && this.begunInPiece;
  }

  /** The input read so far ends where the array does. */
  get complete(): boolean {
    return this.state === AFTER_ARRAY;
  }

  /** The elements completed in `text`, the next piece of the document; undefined once the scanner gives up. */
  elementsOf(text: string): JsonElement[] | undefined {
    const batch: JsonElement[] = [];
    const length = text.length;
    this.quoteAt = -1;
    this.backslashAt = -1;
    this.begunInPiece = false;
    this.lastRecordEnd = undefined;
    if (this.guessesToSkip > 0) this.guessesToSkip--;
    let i = 0;
    while (i < length) {
      if (this.state === IN_ELEMENT) {
        const end = this.scalar ? scalarEnd(text, i) : this.nestedEnd(text, i);
        if (end === GIVE_UP) return undefined;
        if (end === MORE) {
          this.partial += text.slice(i);
          return this.partial.length > MAX_ELEMENT_LENGTH ? undefined : batch;
        }
        const source = this.partial ? this.partial + text.slice(i, end) : text.slice(i, end);
        this.partial = '';
        let value: unknown;
        try {
          value = JSON.parse(source);
        } catch {
          return undefined;
        }
        batch.push({ key: this.key++, value });
        this.state = AFTER_ELEMENT;
        i = end;
        continue;
      }
      i = skipWhitespace(text, i);
      if ((this.state === AFTER_OPEN || this.state === AFTER_COMMA) && text.charCodeAt(i) === OPEN_BRACE) {
        const end = this.readRun(text, i, batch);
        if (end > i) {
          i = end;
          continue;
        }
      }
      if (i < length && !this.structure(text.charCodeAt(i))) return undefined;
      if (this.state !== IN_ELEMENT) i++;
    }
    return batch;
  }

  /**
   * Reads at once the records from `from` (where one starts) to the last `},` of the piece, where
   * a record most likely ends, with one JSON.parse and no scanning: when that text and a closing
   * bracket parse as an array, the cut fell between elements (within one, a bracket or quote would
   * be left open, as JSON reads left to right alike whatever follows), and the elements are the
   * array's. Returns where reading goes on (the comma), or `from` when the guess was wrong.
   */
  private readRun(text: string, from: number, batch: JsonElement[]): number {
    if (this.canonical) {
      const end = this.readCanonicalRun(text, from, batch);
      if (end > from) return end;
      // One record of another form among them is read alone, so that the next ones are taken as
      // text again; after two in a row, a run is read as values.
      if (this.afterCanonical) {
        this.afterCanonical = false;
        return from;
      }
    }
    if (this.guessesToSkip > 0) return from;
    if (this.lastRecordEnd === undefined) this.lastRecordEnd = text.lastIndexOf('},');
    const cut = this.lastRecordEnd;
    if (cut <= from) return from;
    const run = text.slice(from, cut + 1);
    let values: unknown[];
    try {
      if (!fewOpenings(run)) throw new RangeError('nested deeper than the scanner checks');
      values = JSON.parse(`[${run}]`) as unknown[];
    } catch {
      this.guessesToSkip = WRONG_GUESS_PAUSE;
      return from;
    }
    for (const value of values) batch.push({ key: this.key++, value });
    this.state = AFTER_ELEMENT;
    this.scalar = false;
    return cut + 1;
  }

  /**
   * Reads from `from` (where a record starts) the records that need no parse, as their text, while
   * they follow each other: the pattern that finds one also checks it is JSON, and it ends at its
   * own closing brace whatever follows. Returns where reading goes on (after the last one), or
   * `from` when the first is not one of them.
   */
  private readCanonicalRun(text: string, from: number, batch: JsonElement[]): number {
    const records = this.canonical!;
    let start = from;
    let end = records.recordEnd(text, start);
    if (end < 0) return from;
    this.afterCanonical = true;
    for (;;) {
      batch.push({ key: this.key++, text: text.slice(start, end) });
      this.state = AFTER_ELEMENT;
      this.scalar = false;
      const comma = skipWhitespace(text, end);
      if (text.charCodeAt(comma) !== COMMA) return end;
      const next = skipWhitespace(text, comma + 1);
      if (text.charCodeAt(next) !== OPEN_BRACE) return end;
      const nextEnd = records.recordEnd(text, next);
      if (nextEnd < 0) return end;
      start = next;
      end = nextEnd;
    }
  }

  /** Reads one character of the array's own structure (not whitespace); false when it is not what may come next. */
  private structure(c: number): boolean {
    switch (this.state) {
      case BEFORE_ARRAY:
        if (c !== OPEN_BRACKET) return false;
        this.state = AFTER_OPEN;
        return true;
      case AFTER_OPEN:
        if (c === CLOSE_BRACKET) {
          this.state = AFTER_ARRAY;
          return true;
        }
        return this.startElement(c);
      case AFTER_COMMA:
        return this.startElement(c);
      case AFTER_ELEMENT:
        if (c === COMMA) this.state = AFTER_COMMA;
        else if (c === CLOSE_BRACKET) this.state = AFTER_ARRAY;
        else return false;
        return true;
      default:
        return false;
    }
  }

  /** An element starts at `c` (which its scan reads again). */
  private startElement(c: number): boolean {
    this.scalar = c === MINUS || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e; // digit, t, f, n
    if (!this.scalar && c !== QUOTE && c !== OPEN_BRACE && c !== OPEN_BRACKET) return false;
    this.state = IN_ELEMENT;
    this.begunInPiece = true;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    return true;
  }

  /** Where a string, object or array element ends in `text` (the index after it), carrying its state across pieces. */
  private nestedEnd(text: string, from: number): number {
    let i = from;
    if (this.escaped) {
      this.escaped = false;
      i++;
    }
    let depth = this.depth;
    let inString = this.inString;
    for (; i < text.length; i++) {
      if (inString) {
        const close = this.stringEnd(text, i);
        if (close === MORE) break;
        inString = false;
        i = close;
        if (depth === 0) return close + 1;
        continue;
      }
      const c = text.charCodeAt(i);
      if (c === QUOTE) inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (++depth > MAX_DEPTH) return GIVE_UP;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (--depth <= 0) return depth === 0 ? i + 1 : GIVE_UP;
      }
    }
    this.depth = depth;
    this.inString = inString;
    return MORE;
  }

  /**
   * The index of the quote closing the string `text` is inside of from `from`, or MORE (noting a
   * backslash that ends the piece). The next quote and backslash are found with indexOf and kept
   * for the rest of the piece, so each character is looked at about once.
   */
  private stringEnd(text: string, from: number): number {
    let i = from;
    for (;;) {
      if (this.quoteAt < i) this.quoteAt = indexOrEnd(text, '"', i);
      if (this.backslashAt < i) this.backslashAt = indexOrEnd(text, '\\', i);
      if (this.quoteAt < this.backslashAt) return this.quoteAt < text.length ? this.quoteAt : MORE;
      if (this.backslashAt >= text.length) return MORE;
      // A backslash before the next quote: it and the character it escapes are part of the string.
      i = this.backslashAt + 2;
      if (i > text.length) {
        this.escaped = true;
        return MORE;
      }
    }
  }
}

/** The index of `search` in `text` from `from`, or the text's length when it is not there. */
function indexOrEnd(text: string, search: string, from: number): number {
  const at = text.indexOf(search, from);
  return at < 0 ? text.length : at;
}

/** The text opens few enough objects and arrays (in strings too) that it cannot nest as deep as stream-json refuses. */
function fewOpenings(text: string): boolean {
  let count = 0;
  for (const opening of ['{', '[']) for (let at = text.indexOf(opening); at >= 0; at = text.indexOf(opening, at + 1)) if (++count > MAX_DEPTH) return false;
  return true;
}

/** Where a number or literal ends: at the first character that cannot be part of one (JSON.parse judges what it read). */
function scalarEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const partOfScalar = (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === MINUS || c === 0x2b || c === 0x2e;
    if (!partOfScalar) return i;
  }
  return MORE;
}

function skipWhitespace(text: string, from: number): number {
  let i = from;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== SPACE && c !== LF && c !== CR && c !== TAB) break;
  }
  return i;
}
