import { createRequire } from 'node:module';
import type { Chrono } from 'chrono-node/en';
import { memo } from './memo.js';

/**
 * The date shapes beyond the numeric ones: long forms with month names in English and French
 * (`March 4, 2025`, `4 mars 2025`, `Mar 4 '25`, `le 1er mars 2025 à 14 h 30`), read by
 * chrono-node, and Unix epoch times in seconds or milliseconds, recognized by their range.
 */

/** A date and time read from text or a number; `offset` in minutes when the text gives a zone. */
export interface DateParts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  ms: number;
  offset?: number;
  hasTime: boolean;
}

// chrono's strict parsers read formal dates only: no "tomorrow", "next Friday", nothing relative
// to the day of the run, so a value reads the same on every run. They are loaded on the first
// long-form date: loading them takes longer than normalizing thousands of leads, in every worker
// thread, and most data has no long-form date at all.
const require = createRequire(import.meta.url);
let parsers: Chrono[] | undefined;
function longDateParsers(): Chrono[] {
  if (parsers) return parsers;
  const en = require('chrono-node/en') as typeof import('chrono-node/en');
  const fr = require('chrono-node/fr') as typeof import('chrono-node/fr');
  return (parsers = [en.strict, fr.strict]);
}
// Any reference date: strict parsing of a date with its year never uses it.
const REFERENCE = new Date(Date.UTC(2000, 0, 1));
// chrono reads a two-digit year ("Mar 4 25") but not with its apostrophe ("Mar 4 '25").
const SHORT_YEAR = /(\s)['’](\d\d)$/;
// "14 h 30", the Québec way of writing a time, is read as chrono reads "14h30".
const SPACED_HOURS = /\b(\d{1,2}) h (\d\d)\b/;

/**
 * The parts of a long-form date, when the whole text is one date whose day, month and year are
 * written (a date without its year is not guessed). Text with letters only: the numeric shapes
 * are read by the caller's own patterns.
 */
export function parseLongDate(text: string): DateParts | undefined {
  if (text.length > 80 || !/\p{L}/u.test(text)) return undefined;
  return longDates(text) ?? undefined;
}

// Reading a long-form date costs far more than any other shape, and the same dates come back
// (a day's leads share it): bounded (memo.ts), unreadable text remembered as null. The parts
// are shared between callers, which only read them.
const longDates = memo((text: string): DateParts | null => readLongDate(text) ?? null);

function readLongDate(text: string): DateParts | undefined {
  const input = text.replace(SHORT_YEAR, '$1$2').replace(SPACED_HOURS, '$1h$2');
  for (const parser of longDateParsers()) {
    const results = parser.parse(input, REFERENCE);
    if (results.length !== 1) continue;
    const [result] = results;
    // The date must be the whole text, give or take a weekday or an article around it ("le").
    const rest = (input.slice(0, result.index) + input.slice(result.index + result.text.length)).replace(/[\s,.]+/g, '');
    if (rest && !/^(?:le|the|on)$/i.test(rest)) continue;
    const c = result.start;
    if (result.end || !c.isCertain('year') || !c.isCertain('month') || !c.isCertain('day')) continue;
    const hasTime = c.isCertain('hour');
    const offset = c.isCertain('timezoneOffset') ? (c.get('timezoneOffset') ?? undefined) : undefined;
    return {
      y: c.get('year')!,
      mo: c.get('month')!,
      d: c.get('day')!,
      h: hasTime ? c.get('hour')! : 0,
      mi: hasTime ? (c.get('minute') ?? 0) : 0,
      s: hasTime ? (c.get('second') ?? 0) : 0,
      ms: hasTime ? (c.get('millisecond') ?? 0) : 0,
      offset,
      hasTime,
    };
  }
  return undefined;
}

// Epoch times from 2000-01-01 up to 2100-01-01 (UTC): seconds have 10 digits there and
// milliseconds 13, so the two ranges never meet, and smaller numbers (a day count, a YYYYMMDD
// written as a number, an Excel serial) are in neither: those are flagged, not guessed.
const FIRST_SECOND = Date.UTC(2000, 0, 1) / 1000;
const LAST_SECOND = Date.UTC(2100, 0, 1) / 1000;

/** Milliseconds since 1970 of an epoch time in seconds or milliseconds, or undefined when out of range. */
export function epochMilliseconds(n: number): number | undefined {
  if (!Number.isFinite(n)) return undefined;
  if (n >= FIRST_SECOND && n < LAST_SECOND) return Math.round(n * 1000);
  if (Number.isInteger(n) && n >= FIRST_SECOND * 1000 && n < LAST_SECOND * 1000) return n;
  return undefined;
}

// Digits as text, with a fraction for seconds (`1741082400`, `1741082400.5`, `1741082400000`).
const EPOCH_TEXT = /^\d{10}(?:\.\d{1,6})?$|^\d{13}$/;

/** The parts of an epoch time (UTC), given as a number or as digits, or undefined. */
export function parseEpoch(value: number | string): DateParts | undefined {
  if (typeof value === 'string' && !EPOCH_TEXT.test(value)) return undefined;
  const ms = epochMilliseconds(Number(value));
  if (ms === undefined) return undefined;
  const t = new Date(ms);
  return {
    y: t.getUTCFullYear(),
    mo: t.getUTCMonth() + 1,
    d: t.getUTCDate(),
    h: t.getUTCHours(),
    mi: t.getUTCMinutes(),
    s: t.getUTCSeconds(),
    ms: t.getUTCMilliseconds(),
    offset: 0,
    hasTime: true,
  };
}
