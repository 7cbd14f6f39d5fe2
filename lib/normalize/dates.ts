import { parseEpoch, parseLongDate, type DateParts } from './dates-long.js';
import type { Canonical } from './result.js';
import { show } from './result.js';

/** The dates rule's settings (`field_standardization.dates`). */
export interface DateRules {
  enabled: boolean;
  /** Fields holding a calendar date, written `YYYY-MM-DD` (Airtable date fields need this form). */
  date_fields: string[];
  /** Fields holding a moment, written as ISO 8601 UTC (`2025-08-14T09:30:00.000Z`, Airtable's form). */
  datetime_fields: string[];
  /** How to read `03/04/2025`: `month_first` gives March 4 (US), `day_first` gives 3 April. */
  day_month_order: 'month_first' | 'day_first';
}

export const DATE_DEFAULTS: DateRules = {
  enabled: true,
  date_fields: ['date_messaged', 'qualification_date', 'verification_date'],
  datetime_fields: ['scraped_at', 'created_at', 'updated_at', 'enrichment_last_attempt', 'last_contacted', 'website_search_timestamp'],
  day_month_order: 'month_first',
};

/** A date read from text; without an `offset` (the text gave no zone) it is read as UTC. */
type Parts = DateParts;

const ISO = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2}|UTC|GMT)?)?$/i;
const SLASHED = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AP]M)?)?$/i;

function offsetMinutes(zone: string | undefined): number | undefined {
  if (!zone) return undefined;
  if (/^(z|utc|gmt)$/i.test(zone)) return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

function parse(text: string, order: DateRules['day_month_order']): Parts | undefined {
  let m = ISO.exec(text);
  if (m) {
    return {
      y: +m[1],
      mo: +m[2],
      d: +m[3],
      h: +(m[4] ?? 0),
      mi: +(m[5] ?? 0),
      s: +(m[6] ?? 0),
      ms: m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0,
      offset: offsetMinutes(m[8]),
      hasTime: m[4] !== undefined,
    };
  }
  m = SLASHED.exec(text);
  if (m) {
    const [first, second] = [+m[1], +m[2]];
    let h = +(m[4] ?? 0);
    if (m[7]) {
      if (h < 1 || h > 12) return undefined;
      h = (h % 12) + (m[7].toUpperCase() === 'PM' ? 12 : 0);
    }
    const [mo, d] = order === 'month_first' ? [first, second] : [second, first];
    return { y: +m[3], mo, d, h, mi: +(m[5] ?? 0), s: +(m[6] ?? 0), ms: 0, hasTime: m[4] !== undefined };
  }
  return parseEpoch(text) ?? parseLongDate(text);
}

function valid(p: Parts): boolean {
  if (p.mo < 1 || p.mo > 12 || p.d < 1 || p.h > 23 || p.mi > 59 || p.s > 59) return false;
  // Real UTC offsets run from -12:00 to +14:00.
  if (p.offset !== undefined && (p.offset < -12 * 60 || p.offset > 14 * 60 || p.offset % 15 !== 0)) return false;
  const date = new Date(Date.UTC(p.y, p.mo - 1, p.d));
  return date.getUTCDate() === p.d && date.getUTCMonth() === p.mo - 1;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function invalid(input: string, kind: string): Canonical {
  return {
    steps: [],
    problems: [
      {
        code: 'invalid_date',
        message: `${show(input)} is not a ${kind} this tool can read; it was kept as it is. Write it as YYYY-MM-DD (or ISO 8601 with a time).`,
      },
    ],
  };
}

const dateText = (p: Parts) => `${pad(p.y, 4)}-${pad(p.mo)}-${pad(p.d)}`;
const dateTimeText = (p: Parts) => new Date(Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s, p.ms) - (p.offset ?? 0) * 60_000).toISOString();

/**
 * A calendar date as `YYYY-MM-DD`, from ISO dates and date-times (the written date is kept: no
 * time-zone shift), `YYYY/MM/DD` and `MM/DD/YYYY` or `DD/MM/YYYY` as `order` says, long forms
 * in English or French (`March 4, 2025`, `4 mars 2025`) and epoch times written as digits.
 */
export function canonicalDate(input: string, order: DateRules['day_month_order'] = 'month_first'): Canonical {
  const p = parse(input.trim(), order);
  if (!p || !valid(p)) return invalid(input, 'date');
  const value = dateText(p);
  return { value, steps: value === input ? [] : ['date'], problems: [] };
}

/**
 * A date (`kind` date: `YYYY-MM-DD`, the UTC day) or date-time (ISO 8601 UTC) field holding a
 * number: a Unix epoch time in seconds or milliseconds, told apart by their ranges (2000 to
 * 2100). Any other number is flagged and kept: a day count or an Excel serial is not guessed.
 */
export function canonicalEpoch(input: number, kind: 'date' | 'datetime'): Canonical {
  const p = parseEpoch(input);
  if (!p) {
    return {
      steps: [],
      problems: [
        {
          code: 'invalid_date',
          message: `${show(input)} is a number but not a Unix time in seconds or milliseconds between 2000 and 2100; it was kept as it is. Write it as ${kind === 'date' ? 'YYYY-MM-DD' : 'ISO 8601 (YYYY-MM-DDTHH:MM:SSZ)'}.`,
        },
      ],
    };
  }
  return { value: kind === 'date' ? dateText(p) : dateTimeText(p), steps: ['epoch'], problems: [] };
}

/**
 * A moment as ISO 8601 UTC with milliseconds (`2025-08-14T09:30:00.000Z`), from the same forms
 * plus `YYYY-MM-DD HH:MM:SS`. Text without a zone is read as UTC (the original system wrote
 * naive local times; there is no way to know their zone, and UTC keeps re-runs stable).
 */
export function canonicalDateTime(input: string, order: DateRules['day_month_order'] = 'month_first'): Canonical {
  if (isCanonicalDateTime(input)) return { value: input, steps: [], problems: [] };
  return dateTimeThroughParser(input, order);
}

// `YYYY-MM-DDTHH:MM:SS.sssZ`, the form this rule writes and most stored values already have.
const CANONICAL_DATETIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const digitsAt = (text: string, at: number, count: number) => {
  let n = 0;
  for (let i = at; i < at + count; i++) n = n * 10 + text.charCodeAt(i) - 48;
  return n;
};

/**
 * True when `input` is already what `dateTimeThroughParser` would write for it: the canonical
 * shape with a real calendar day and time. Years below 100 are not (Date.UTC reads them as 19xx).
 */
export function isCanonicalDateTime(input: string): boolean {
  if (!CANONICAL_DATETIME.test(input)) return false;
  const y = digitsAt(input, 0, 4);
  const mo = digitsAt(input, 5, 2);
  const d = digitsAt(input, 8, 2);
  if (y < 100 || mo < 1 || mo > 12 || d < 1) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1])) return false;
  return digitsAt(input, 11, 2) <= 23 && digitsAt(input, 14, 2) <= 59 && digitsAt(input, 17, 2) <= 59;
}

/** The canonical date-time of any accepted form, through the general parser. */
export function dateTimeThroughParser(input: string, order: DateRules['day_month_order'] = 'month_first'): Canonical {
  const p = parse(input.trim(), order);
  if (!p || !valid(p)) return invalid(input, 'date and time');
  const value = dateTimeText(p);
  return { value, steps: value === input ? [] : ['datetime'], problems: [] };
}
