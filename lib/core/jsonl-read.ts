import { isUtf8 } from 'node:buffer';
import { describeInexact, MAX_DEPTH, quoteNumbers, scanJsonText } from './json-text.js';
import { isCanonicalRecordLine } from './jsonl-canonical.js';
import { LineCutter, type LineBlock } from './line-blocks.js';

/**
 * Reading JSON Lines: input bytes cut into blocks of whole lines (LineCutter), each line parsed
 * into a value or the reason it is not a record, with its 1-based line number, never thrown.
 */

/** Why a line is not a record: not JSON, too long, nested too deep, a number JSON would change, bytes that are not UTF-8. */
export type LineProblem = 'malformed_json' | 'line_too_long' | 'too_deep' | 'inexact_number' | 'invalid_utf8';

/**
 * One line of a JSONL input: its parsed value (`invalidUtf8` when bytes that are not UTF-8 were read
 * as U+FFFD), or, when asked for, its text alone when it is a record already written as
 * `JSON.stringify` writes it (see jsonl-canonical.ts), or why it is not one (`raw` is left out for a
 * line too long to keep).
 */
export type JsonLine =
  | { line: number; value: unknown; invalidUtf8?: boolean; canonical?: undefined; error?: undefined; raw?: undefined }
  | { line: number; canonical: string; value?: undefined; invalidUtf8?: undefined; error?: undefined; raw?: undefined }
  | { line: number; error: string; reason: LineProblem; col: number; raw?: string; value?: undefined; invalidUtf8?: undefined; canonical?: undefined };

/** How lines are read: what makes a line too long, and what happens to numbers and bytes JSON would change. */
export interface LineRules {
  /** A line longer than this many bytes is rejected, and never held in memory whole. */
  maxLineBytes: number;
  /** Keep a number a double cannot hold exactly as a string of its text, instead of rejecting its line. */
  inexactNumbersAsText: boolean;
  /** Reject a line holding bytes that are not UTF-8, instead of reading them as U+FFFD and flagging the record. */
  rejectInvalidUtf8: boolean;
}

/**
 * A lead is a few hundred bytes, and an Airtable long text holds at most 100,000 characters: a line
 * of 16 MiB leaves room for notes pasted from anywhere, and a line of gigabytes is never held.
 */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

export const DEFAULT_LINE_RULES: LineRules = { maxLineBytes: DEFAULT_MAX_LINE_BYTES, inexactNumbersAsText: false, rejectInvalidUtf8: false };

/**
 * Parses a byte stream as JSON Lines, one array of lines per input chunk (one `await` per 64 KiB,
 * not per line). Blank lines are skipped (but counted); a line that is not a record (see JsonLine)
 * comes back as an error with its line and column, never thrown, so the caller's `on_error` policy
 * decides. Multi-byte characters split across chunks are reassembled.
 */
export async function* parseJsonLineBlocks(
  input: AsyncIterable<Buffer | string>,
  rules: LineRules = DEFAULT_LINE_RULES,
  markCanonical = false,
): AsyncGenerator<JsonLine[]> {
  const cutter = new LineCutter(rules.maxLineBytes, 0);
  for await (const chunk of input) {
    for (const block of cutter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) {
      const lines = parseLineBlock(block, rules, markCanonical);
      if (lines.length) yield lines;
    }
  }
  const last = cutter.end();
  if (last) {
    const lines = parseLineBlock(last, rules, markCanonical);
    if (lines.length) yield lines;
  }
}

/** Parses a byte stream as JSON Lines, line by line (see parseJsonLineBlocks). */
export async function* parseJsonLines(input: AsyncIterable<Buffer | string>, rules: LineRules = DEFAULT_LINE_RULES): AsyncGenerator<JsonLine> {
  for await (const block of parseJsonLineBlocks(input, rules)) yield* block;
}

const utf8 = new TextDecoder();

/**
 * Parses a block of whole lines cut by a LineCutter, numbering them from its first line: how both
 * a one-thread read and a parallel run's workers parse their input. With `markCanonical`, a record
 * already in the form `JSON.stringify` writes is not parsed: it comes back as its text, `canonical`.
 */
export function parseLineBlock(block: LineBlock, rules: LineRules = DEFAULT_LINE_RULES, markCanonical = false): JsonLine[] {
  let bytes = block.data;
  // A byte-order mark at the very start of the input is not data.
  if (block.firstLine === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  const into: JsonLine[] = [];
  const oversized = block.oversized;
  let next = 0;
  const each = (text: string, start: number, end: number, line: number, invalidUtf8: boolean): void => {
    if (next < oversized.length && oversized[next]!.line === line) {
      next++;
      into.push(tooLong(line, rules));
      return;
    }
    const parsed = parseLine(text, start, end, line, rules, invalidUtf8, markCanonical);
    if (parsed) into.push(parsed);
  };
  if (isUtf8(bytes)) {
    const text = utf8.decode(bytes);
    let start = 0;
    let line = block.firstLine;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      each(text, start, end, line++, false);
      start = end + 1;
    }
    if (start < text.length) each(text, start, text.length, line, false);
  } else {
    // Some line holds bytes that are not UTF-8: decode line by line to know which.
    let start = 0;
    let line = block.firstLine;
    while (start < bytes.length) {
      const newline = bytes.indexOf(10, start);
      const end = newline === -1 ? bytes.length : newline;
      const lineBytes = bytes.subarray(start, end);
      const text = utf8.decode(lineBytes);
      each(text, 0, text.length, line++, !isUtf8(lineBytes));
      start = end + 1;
    }
  }
  return into;
}

function tooLong(line: number, rules: LineRules): JsonLine {
  return {
    line,
    reason: 'line_too_long',
    col: 1,
    error: `the line is longer than ${rules.maxLineBytes} bytes (max_line_bytes); split the record, or raise the limit`,
  };
}

function parseLine(
  text: string,
  start: number,
  end: number,
  line: number,
  rules: LineRules,
  invalidUtf8: boolean,
  markCanonical: boolean,
): JsonLine | undefined {
  // The limit is on bytes; a UTF-16 unit is 1 to 3 of them, so only lines near the limit are measured.
  const units = end - start;
  if (units > rules.maxLineBytes || (units * 3 > rules.maxLineBytes && Buffer.byteLength(text.slice(start, end)) > rules.maxLineBytes))
    return tooLong(line, rules);
  if (end > start && text.charCodeAt(end - 1) === 13) end--; // CRLF
  if (end === start) return undefined;
  if (invalidUtf8 && rules.rejectInvalidUtf8) {
    return {
      line,
      reason: 'invalid_utf8',
      col: 1,
      raw: text.slice(start, end),
      error: 'the line holds bytes that are not UTF-8; save the file as UTF-8 (or leave reject_invalid_utf8 off to read them as U+FFFD, flagged)',
    };
  }
  const raw = text.slice(start, end);
  if (markCanonical && !invalidUtf8 && isCanonicalRecordLine(raw)) return { line, canonical: raw };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    if (raw.trim() === '') return undefined;
    return { line, raw, reason: 'malformed_json', ...describeJsonError(error, raw) };
  }
  // JSON.parse copes with any depth; what it may have got wrong is a number (rounded, or past the
  // range of a double) or nesting too deep for the code after it. A line whose value holds neither
  // needs no scan of its text, which would cost a good part of a parse: most lines of leads are strings.
  if (mayNeedScan(value, 0)) {
    const scan = scanJsonText(text, start, end);
    if (scan.tooDeepAt !== undefined) {
      return {
        line,
        reason: 'too_deep',
        col: scan.tooDeepAt + 1,
        raw,
        error: `objects and arrays nest more than ${MAX_DEPTH} levels deep; a lead is a flat object, so this line is not one`,
      };
    }
    if (scan.inexact) {
      if (!rules.inexactNumbersAsText) {
        const token = raw.slice(scan.inexact[0], scan.inexact[1]);
        return {
          line,
          reason: 'inexact_number',
          col: scan.inexact[0]! + 1,
          raw,
          error: `the number ${token} cannot be held exactly (${describeInexact(token)}); write it as a string, or set keep_inexact_numbers_as_text`,
        };
      }
      value = JSON.parse(quoteNumbers(text, start, end, scan.inexact));
    }
  }
  return invalidUtf8 ? { line, value, invalidUtf8 } : { line, value };
}

/**
 * Whether the text of a parsed value must be scanned (scanJsonText): it holds a number, whose text
 * may have said more than a double holds, or it nests past MAX_DEPTH. Recursion stops there.
 */
function mayNeedScan(value: unknown, depth: number): boolean {
  if (typeof value === 'number') return true;
  if (value === null || typeof value !== 'object') return false;
  if (depth >= MAX_DEPTH) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (mayNeedScan(item, depth + 1)) return true;
    return false;
  }
  for (const key in value) if (mayNeedScan((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}

/** Turns a `JSON.parse` error into a message and a 1-based column. */
function describeJsonError(error: unknown, _raw: string): { error: string; col: number } {
  const message = error instanceof Error ? error.message : String(error);
  const at = /position (\d+)/.exec(message);
  // Some V8 messages give no position; then point at the start of the line rather than guess.
  const col = at ? Number(at[1]) + 1 : 1;
  return { error: message.replace(/ in JSON at position \d+.*$/s, '').replace(/\s*\(line \d+ column \d+\)$/, ''), col };
}
