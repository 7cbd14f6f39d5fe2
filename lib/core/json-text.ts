/**
 * What `JSON.parse` would accept from a line but get wrong later, found by one scan of its text:
 * nesting so deep that recursive code (JSON.stringify, structuredClone, a stage walking a value)
 * runs out of stack, and numbers that a JavaScript number (an IEEE 754 double) cannot hold, which
 * `JSON.parse` turns into something else without a word (`1e400` into Infinity, written as `null`;
 * `12345678901234567890123` into 12345678901234567000000).
 */

/** How deep objects and arrays may nest in one line. A lead with its `_meta` nests about 5 levels; past 64 it is not a lead. */
export const MAX_DEPTH = 64;

/** What the scan of a line found. */
export interface JsonTextScan {
  /** 0-based offset of the bracket that went past MAX_DEPTH, if one did. */
  tooDeepAt?: number;
  /** Start and end offsets of each number that a double does not hold exactly, in pairs. */
  inexact?: number[];
}

const QUOTE = 34;
const BACKSLASH = 92;

/**
 * Scans `text[start, end)`, a line of JSON, for nesting past `maxDepth` and numbers a double does
 * not hold exactly. Strings are skipped with `indexOf` (a lead's line is mostly strings), so this
 * costs little next to the parse. Malformed text is not diagnosed here: the parse reports it.
 */
export function scanJsonText(text: string, start: number, end: number, maxDepth = MAX_DEPTH): JsonTextScan {
  const scan: JsonTextScan = {};
  let depth = 0;
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let close = text.indexOf('"', i + 1);
      while (close !== -1 && close < end && escaped(text, close)) close = text.indexOf('"', close + 1);
      if (close === -1 || close >= end) return scan; // an unterminated string: the parse says where
      i = close + 1;
    } else if (c === 123 || c === 91) {
      // { [
      if (++depth > maxDepth) {
        scan.tooDeepAt = i - start;
        return scan;
      }
      i++;
    } else if (c === 125 || c === 93) {
      // } ]
      depth--;
      i++;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      // - or a digit: a number
      let stop = i + 1;
      while (stop < end && isNumberChar(text.charCodeAt(stop))) stop++;
      if (!holdsExactly(text, i, stop)) (scan.inexact ??= []).push(i - start, stop - start);
      i = stop;
    } else i++;
  }
  return scan;
}

/** Whether the quote at `at` is escaped (an odd number of backslashes before it). */
function escaped(text: string, at: number): boolean {
  let backslashes = 0;
  while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
  return backslashes % 2 === 1;
}

function isNumberChar(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45; // digits . e E + -
}

/** Whether the number written `text[start, stop)` is the value a double holds for it. */
function holdsExactly(text: string, start: number, stop: number): boolean {
  // Up to 15 characters without an exponent means at most 15 significant digits, which a double always holds.
  if (stop - start <= 15) {
    let plain = true;
    for (let i = start; i < stop && plain; i++) plain = (text.charCodeAt(i) | 32) !== 101;
    if (plain) return true;
  }
  const token = text.slice(start, stop);
  const value = Number(token);
  if (Number.isNaN(value)) return true; // not a number at all: the parse reports it
  return Number.isFinite(value) && decimalKey(token) === decimalKey(String(value));
}

/** A decimal written any way (`1.50`, `150e-2`, `1.5E+0`) as one canonical text of its value: sign, digits without leading or trailing zeros, exponent. */
function decimalKey(text: string): string {
  const negative = text.startsWith('-');
  const unsigned = negative || text.startsWith('+') ? text.slice(1) : text;
  const e = unsigned.search(/[eE]/);
  const mantissa = e === -1 ? unsigned : unsigned.slice(0, e);
  let exponent = e === -1 ? 0 : Number(unsigned.slice(e + 1));
  const dot = mantissa.indexOf('.');
  let digits = dot === -1 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  if (dot !== -1) exponent -= mantissa.length - dot - 1;
  digits = digits.replace(/^0+/, '');
  if (digits === '') return '0'; // zero, whatever its sign: JSON writes -0 as 0
  const trimmed = digits.replace(/0+$/, '');
  exponent += digits.length - trimmed.length;
  return `${negative ? '-' : ''}${trimmed}e${exponent}`;
}

/** The line with each number of `inexact` (from scanJsonText, offsets from `start`) written as a JSON string of its original text. */
export function quoteNumbers(text: string, start: number, end: number, inexact: number[]): string {
  let out = '';
  let at = start;
  for (let i = 0; i < inexact.length; i += 2) {
    out += `${text.slice(at, start + inexact[i]!)}"${text.slice(start + inexact[i]!, start + inexact[i + 1]!)}"`;
    at = start + inexact[i + 1]!;
  }
  return out + text.slice(at, end);
}

/** What a double makes of the number written `token`, for messages: `null` (what JSON writes for Infinity) or the value it rounds to. */
export function describeInexact(token: string): string {
  const value = Number(token);
  return Number.isFinite(value) ? `it would become ${String(value)}` : 'it is out of range and would become null';
}
