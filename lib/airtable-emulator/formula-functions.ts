import { parseUtc } from './ids.js';
import { linearRegExp } from './linear-regexp.js';

/** A formula value. Dates are Date objects; date cells stay ISO strings until a date function parses them. */
export type Value = string | number | boolean | Date | null | Value[];

/** A `#Error!` result: the record is excluded from a filter, a formula field shows an error. */
export class FormulaError extends Error {}

/** What a formula can see of the record it runs on. */
export interface Env {
  field(id: string): Value;
  recordId: string;
  createdTime: number;
  /** Last change to any of these field ids (all non-computed fields when empty). */
  lastModified(fieldIds: string[]): Date | null;
  now: number;
}

type Args = (() => Value)[];
type Impl = (a: Args, env: Env) => Value;

export function toText(v: Value): string {
  if (v === null) return '';
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(toText).join(', ');
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v);
}

export function toNumber(v: Value): number {
  if (v === null || v === '') return 0;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (Array.isArray(v)) return v.length === 1 ? toNumber(v[0]!) : NaN;
  return Number(v);
}

export function toDate(v: Value): Date {
  if (v instanceof Date) return v;
  if (typeof v === 'number') return new Date(v);
  const t = parseUtc(toText(v));
  if (v === null || Number.isNaN(t)) throw new FormulaError('not a date');
  return new Date(t);
}

function isTextual(v: Value): boolean {
  return typeof v === 'string' || Array.isArray(v);
}

/** `=`: blank equals "", 0 and false; dates compare by instant; text is case-sensitive. */
export function equals(l: Value, r: Value): boolean {
  if (l instanceof Date || r instanceof Date) {
    if (l === null || r === null) return false;
    return toDate(l).getTime() === toDate(r).getTime();
  }
  if (l === null && r === null) return true;
  if (isTextual(l) || isTextual(r)) return toText(l) === toText(r);
  return toNumber(l) === toNumber(r);
}

export function compare(op: string, l: Value, r: Value): boolean {
  let a: number | string;
  let b: number | string;
  if (l instanceof Date || r instanceof Date) {
    a = toDate(l).getTime();
    b = toDate(r).getTime();
  } else if (typeof l === 'string' && typeof r === 'string' && (Number.isNaN(Number(l)) || Number.isNaN(Number(r)))) {
    a = l;
    b = r;
  } else {
    a = toNumber(l);
    b = toNumber(r);
  }
  switch (op) {
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    default:
      return a >= b;
  }
}

const text = (a: Args, i: number) => toText(a[i]?.() ?? null);
const num = (a: Args, i: number) => toNumber(a[i]?.() ?? null);
const truthy = (v: Value) => !(v === null || v === false || v === '' || v === 0 || (Array.isArray(v) && !v.length) || Number.isNaN(v));

const UNIT_MS: Record<string, number> = {
  milliseconds: 1,
  ms: 1,
  seconds: 1000,
  s: 1000,
  minutes: 60_000,
  m: 60_000,
  hours: 3_600_000,
  h: 3_600_000,
  days: 86_400_000,
  d: 86_400_000,
  weeks: 604_800_000,
  w: 604_800_000,
};

function unitMs(unit: string): number {
  const ms = UNIT_MS[unit.toLowerCase()] ?? UNIT_MS[unit.toLowerCase() + 's'];
  if (!ms) throw new FormulaError(`unsupported unit ${unit}`);
  return ms;
}

function find(a: Args): number {
  const needle = text(a, 0);
  const hay = text(a, 1);
  const start = a.length > 2 ? Math.max(0, num(a, 2) - 1) : 0;
  return hay.indexOf(needle, start) + 1;
}

const FUNCTIONS: Record<string, Impl> = {
  AND: (a) => a.length > 0 && a.every((f) => truthy(f())),
  OR: (a) => a.some((f) => truthy(f())),
  XOR: (a) => a.filter((f) => truthy(f())).length % 2 === 1,
  NOT: (a) => !truthy(a[0]?.() ?? null),
  IF: (a) => (truthy(a[0]?.() ?? null) ? (a[1]?.() ?? null) : (a[2]?.() ?? '')),
  BLANK: () => null,
  TRUE: () => true,
  FALSE: () => false,
  ISERROR: (a) => {
    try {
      a[0]?.();
      return false;
    } catch (e) {
      if (e instanceof FormulaError) return true;
      throw e;
    }
  },
  LOWER: (a) => text(a, 0).toLowerCase(),
  UPPER: (a) => text(a, 0).toUpperCase(),
  TRIM: (a) => text(a, 0).trim(),
  LEN: (a) => [...text(a, 0)].length,
  FIND: (a) => find(a),
  // Like FIND (case-sensitive too), but blank instead of 0 when there is no match.
  SEARCH: (a) => find(a) || null,
  CONCATENATE: (a) => a.map((f) => toText(f())).join(''),
  LEFT: (a) => text(a, 0).slice(0, num(a, 1)),
  RIGHT: (a) => {
    const s = text(a, 0);
    const n = num(a, 1);
    return n > 0 ? s.slice(-n) : '';
  },
  MID: (a) => text(a, 0).substr(Math.max(0, num(a, 1) - 1), num(a, 2)),
  SUBSTITUTE: (a) => text(a, 0).split(text(a, 1)).join(text(a, 2)),
  REGEX_MATCH: (a) => {
    const re = linearRegExp(text(a, 1));
    if (!re) throw new FormulaError('bad regex');
    return re.test(text(a, 0));
  },
  VALUE: (a) => Number(text(a, 0).replace(/[^0-9.eE+-]/g, '')),
  ARRAYJOIN: (a) => {
    const v = a[0]?.() ?? null;
    return (Array.isArray(v) ? v : [v]).map(toText).join(a.length > 1 ? text(a, 1) : ', ');
  },
  ABS: (a) => Math.abs(num(a, 0)),
  ROUND: (a) => {
    const p = 10 ** num(a, 1);
    return Math.round(num(a, 0) * p) / p;
  },
  RECORD_ID: (_a, env) => env.recordId,
  CREATED_TIME: (_a, env) => new Date(env.createdTime),
  NOW: (_a, env) => new Date(env.now),
  TODAY: (_a, env) => new Date(Math.floor(env.now / 86_400_000) * 86_400_000),
  DATETIME_PARSE: (a) => toDate(a[0]?.() ?? null),
  DATETIME_FORMAT: (a) => {
    const d = toDate(a[0]?.() ?? null);
    return a.length > 1 && text(a, 1) === 'YYYY-MM-DD' ? d.toISOString().slice(0, 10) : d.toISOString();
  },
  IS_AFTER: (a) => toDate(a[0]?.() ?? null).getTime() > toDate(a[1]?.() ?? null).getTime(),
  IS_BEFORE: (a) => toDate(a[0]?.() ?? null).getTime() < toDate(a[1]?.() ?? null).getTime(),
  IS_SAME: (a) => {
    const unit = a.length > 2 ? unitMs(text(a, 2)) : 1;
    return Math.floor(toDate(a[0]!()).getTime() / unit) === Math.floor(toDate(a[1]!()).getTime() / unit);
  },
  DATEADD: (a) => new Date(toDate(a[0]?.() ?? null).getTime() + num(a, 1) * unitMs(text(a, 2))),
  DATETIME_DIFF: (a) => Math.trunc((toDate(a[0]!()).getTime() - toDate(a[1]!()).getTime()) / unitMs(a.length > 2 ? text(a, 2) : 'seconds')),
};

/** Calls a function; with `ctx` null only checks that it exists (at parse time). */
export function callFunction(name: string, ctx: { env: Env; args: Args } | null): Value {
  const impl = FUNCTIONS[name];
  if (!impl && name !== 'LAST_MODIFIED_TIME') throw new FormulaError(`unknown function ${name}`);
  if (!ctx || !impl) return null;
  return impl(ctx.args, ctx.env);
}
