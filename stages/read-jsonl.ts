import { StageError } from '../lib/errors.js';
import { displayPath } from '../lib/paths.js';
import { DEFAULT_MAX_LINE_BYTES, openInput, parseJsonLineBlocks, type JsonLine, type LineRules } from '../lib/jsonl.js';
import { addProblem, type Lead } from '../lib/record.js';
import { defineStage, type StageContext } from '../lib/stage.js';

export interface ReadJsonlOptions {
  path: string;
  max_line_bytes: number;
  keep_inexact_numbers_as_text: boolean;
  reject_invalid_utf8: boolean;
}

/**
 * Reads JSON Lines (a plain export or another stage's output) from a file or stdin. A line that
 * is not a record (not a JSON object, a `_meta` that is not the pipeline's, too long, nested too
 * deep, a number JSON would change) never stops the read by itself: it goes to the rejects file
 * with its line and column, and the step's `on_error` decides the rest (`fail` stops, `skip` goes
 * on, `tag` passes a placeholder record carrying the raw text and the problem).
 */
export default defineStage<ReadJsonlOptions>({
  name: 'read-jsonl',
  kind: 'source',
  summary: 'Reads leads from a JSON Lines file (`.gz` too) or stdin; lines that are not records go to the rejects file with their line numbers.',
  options: {
    path: {
      type: 'path',
      default: '-',
      description: 'The file to read; `-` reads stdin. A name ending in `.gz` is decompressed.',
      example: 'exports/leads.jsonl.gz',
    },
    max_line_bytes: {
      type: 'integer',
      default: DEFAULT_MAX_LINE_BYTES,
      min: 16,
      max: 256 * 1024 * 1024,
      description: 'A line longer than this many bytes is rejected (and never held in memory whole).',
      example: 65536,
    },
    keep_inexact_numbers_as_text: {
      type: 'boolean',
      default: false,
      description: 'A number that a JSON number cannot hold exactly (`1e400`, `12345678901234567890123`) is kept as a string of its text; by default its line is rejected, never rounded or turned into null.',
      example: true,
    },
    reject_invalid_utf8: {
      type: 'boolean',
      default: false,
      description: 'Reject a line holding bytes that are not UTF-8; by default they are read as U+FFFD and the record gets an `invalid_utf8` problem.',
      example: true,
    },
  },
  create(options, ctx) {
    const file = options.path;
    const label = inputLabel(file);
    return (async function* (): AsyncGenerator<Lead> {
      let input;
      try {
        input = openInput(file, ctx.stdin);
      } catch (error) {
        throw new StageError(ctx.stage, `cannot read ${label}: ${(error as Error).message}`, { cause: error });
      }
      try {
        let invalidUtf8 = 0;
        for await (const block of parseJsonLineBlocks(input, lineRules(options))) for (const line of block) {
          if (line.invalidUtf8) invalidUtf8++;
          const record = recordOfLine(line, label, ctx);
          if (record) yield record;
        }
        logInvalidUtf8(ctx, invalidUtf8);
      } catch (error) {
        if (error instanceof StageError) throw error;
        throw readError(error, label, ctx);
      }
    })();
  },
});

/** How a read-jsonl step names its input in messages: the file, or `stdin`. */
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

/** How a read-jsonl step reads lines, from its options. */
export function lineRules(options: Partial<ReadJsonlOptions>): LineRules {
  return {
    maxLineBytes: options.max_line_bytes ?? DEFAULT_MAX_LINE_BYTES,
    inexactNumbersAsText: options.keep_inexact_numbers_as_text === true,
    rejectInvalidUtf8: options.reject_invalid_utf8 === true,
  };
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
        addProblem(record, { problem: 'invalid_utf8', message: `${label}:${line.line}: the line holds bytes that are not UTF-8, read as U+FFFD (\ufffd); save the file as UTF-8` });
      }
      return record;
    }
    return rejectLine(line.line, problem.reason, `${label}:${line.line}:1: ${problem.message}`, JSON.stringify(line.value), label, ctx);
  }
  const message = line.reason === 'malformed_json'
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
    return { reason: 'malformed_json', message: `expected a JSON object (one lead per line), found ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}` };
  }
  if (!Object.hasOwn(value, '_meta') || value._meta === undefined || value._meta === null) return undefined;
  const meta = value._meta;
  const fix = '`_meta` is the pipeline\'s own bookkeeping: remove it, or rename the field';
  if (!isObject(meta)) return { reason: 'invalid_meta', message: `\`_meta\` is ${kind(meta)}, not an object; ${fix}` };
  for (const key of ['changes', 'problems'] as const) {
    const list = meta[key];
    if (list !== undefined && (!Array.isArray(list) || !list.every(isObject))) return { reason: 'invalid_meta', message: `\`_meta.${key}\` is ${kind(list)}, not a list of objects; ${fix}` };
  }
  if (meta.id !== undefined && meta.id !== null && typeof meta.id !== 'string' && typeof meta.id !== 'number') return { reason: 'invalid_meta', message: `\`_meta.id\` is ${kind(meta.id)}, not a record id (a string); ${fix}` };
  if (meta.source !== undefined && meta.source !== null && typeof meta.source !== 'string') return { reason: 'invalid_meta', message: `\`_meta.source\` is ${kind(meta.source)}, not a system name (local or airtable); ${fix}` };
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
