import { StageError } from './errors.js';
import { DEFAULT_MAX_LINE_BYTES, type JsonLine, type LineRules } from './jsonl-read.js';
import { displayPath } from './paths.js';
import { addProblem, type Lead } from './record.js';
import type { StageContext } from './stage.js';

/**
 * Records and JSON Lines: what a parsed line becomes (a record with its line number, or a reject
 * under the step's `on_error`), how a reader names its input and says why it cannot read it, and
 * the record as a plain export has it. read-jsonl and write-jsonl use these, and so does a
 * parallel run's every thread (lib/parallel), so both say the same things about the same lines.
 */

/** The options a JSON Lines reader takes for how it reads lines (read-jsonl's). */
export interface LineOptions {
  max_line_bytes?: number;
  keep_inexact_numbers_as_text?: boolean;
  reject_invalid_utf8?: boolean;
}

/** How a JSON Lines reader names its input in messages: the file, or `stdin`. */
export function inputLabel(path: string): string {
  return path === '-' ? 'stdin' : displayPath(path);
}

/** The error for input that cannot be read, saying why in words. */
export function readError(error: unknown, label: string, ctx: StageContext): StageError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file; check the path' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
  return new StageError(ctx.stage, `cannot read ${label}: ${why}`, { cause: error });
}

/** Says once, at the end, how many lines held bytes that are not UTF-8 (each record is flagged too). */
export function logInvalidUtf8(ctx: StageContext, lines: number): void {
  if (lines > 0) ctx.log.warn('Lines with bytes that are not UTF-8 were read with U+FFFD in their place; their records are flagged invalid_utf8.', { lines });
}

/** How a JSON Lines reader reads lines, from its options. */
export function lineRules(options: LineOptions): LineRules {
  return {
    maxLineBytes: options.max_line_bytes ?? DEFAULT_MAX_LINE_BYTES,
    inexactNumbersAsText: options.keep_inexact_numbers_as_text === true,
    rejectInvalidUtf8: options.reject_invalid_utf8 === true,
  };
}

/** The record as a plain export has it: without `_meta`. */
export function withoutMeta(record: Lead): Lead {
  const { _meta, ...fields } = record;
  return fields;
}

/**
 * The record a parsed line becomes, with its line number in `_meta.line`. A line that is not a
 * record goes to the rejects file with its line and column, then the step's `on_error` decides:
 * `fail` throws, `skip` drops it (undefined), `tag` returns a placeholder carrying the raw text and
 * the problem.
 */
export function recordOfLine(line: JsonLine, label: string, ctx: StageContext): Lead | undefined {
  if (line.error === undefined) {
    const problem = recordProblem(line.value);
    if (problem === undefined) {
      const record = line.value as Lead;
      const meta = (record._meta ??= {});
      meta.line = line.line;
      if (line.invalidUtf8) {
        addProblem(record, {
          problem: 'invalid_utf8',
          message: `${label}:${line.line}: the line holds bytes that are not UTF-8, read as U+FFFD (\ufffd); save the file as UTF-8`,
        });
      }
      return record;
    }
    return rejectLine(line.line, problem.reason, `${label}:${line.line}:1: ${problem.message}`, JSON.stringify(line.value), label, ctx);
  }
  const message =
    line.reason === 'malformed_json'
      ? `${label}:${line.line}:${line.col}: malformed JSON: ${line.error}; fix or remove the line`
      : `${label}:${line.line}:${line.col}: ${line.error}`;
  return rejectLine(line.line, line.reason, message, line.raw, label, ctx);
}

function rejectLine(line: number, reason: string, message: string, raw: string | undefined, label: string, ctx: StageContext): Lead | undefined {
  ctx.reject({ reason, message, raw, file: label, line });
  if (ctx.onError === 'fail') throw new StageError(ctx.stage, message);
  if (ctx.onError === 'skip') return ctx.drop(reason);
  return { _meta: { line, raw, problems: [{ problem: reason, message }] } };
}

/**
 * Why a parsed line is not a record, if it is not: it must be a JSON object, and its `_meta` (the
 * pipeline's bookkeeping, see lib/record.ts) an object whose lists are lists, since stages add to them.
 */
function recordProblem(value: unknown): { reason: string; message: string } | undefined {
  if (!isObject(value)) {
    return {
      reason: 'malformed_json',
      message: `expected a JSON object (one lead per line), found ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`,
    };
  }
  if (!Object.hasOwn(value, '_meta') || value._meta === undefined || value._meta === null) return undefined;
  const meta = value._meta;
  const fix = "`_meta` is the pipeline's own bookkeeping: remove it, or rename the field";
  if (!isObject(meta)) return { reason: 'invalid_meta', message: `\`_meta\` is ${kind(meta)}, not an object; ${fix}` };
  for (const key of ['changes', 'problems'] as const) {
    const list = meta[key];
    if (list !== undefined && (!Array.isArray(list) || !list.every(isObject)))
      return { reason: 'invalid_meta', message: `\`_meta.${key}\` is ${kind(list)}, not a list of objects; ${fix}` };
  }
  if (meta.id !== undefined && meta.id !== null && typeof meta.id !== 'string' && typeof meta.id !== 'number')
    return { reason: 'invalid_meta', message: `\`_meta.id\` is ${kind(meta.id)}, not a record id (a string); ${fix}` };
  if (meta.source !== undefined && meta.source !== null && typeof meta.source !== 'string')
    return { reason: 'invalid_meta', message: `\`_meta.source\` is ${kind(meta.source)}, not a system name (local or airtable); ${fix}` };
  for (const key of ['original', 'keys'] as const) {
    const map = meta[key];
    if (map !== undefined && !isObject(map)) return { reason: 'invalid_meta', message: `\`_meta.${key}\` is ${kind(map)}, not an object; ${fix}` };
  }
  return undefined;
}

function kind(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
