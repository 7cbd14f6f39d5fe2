import { StageError } from '../lib/errors.js';
import { displayPath } from '../lib/paths.js';
import { openInput, parseJsonLineBlocks, type JsonLine } from '../lib/jsonl.js';
import type { Lead } from '../lib/record.js';
import { defineStage, type StageContext } from '../lib/stage.js';

interface ReadJsonlOptions {
  path: string;
}

/**
 * Reads JSON Lines (a plain export or another stage's output) from a file or stdin. A line that
 * is not a JSON object never stops the read by itself: it goes to the rejects file with its line
 * and column, and the step's `on_error` decides the rest (`fail` stops, `skip` goes on, `tag`
 * passes a placeholder record carrying the raw text and the problem).
 */
export default defineStage<ReadJsonlOptions>({
  name: 'read-jsonl',
  kind: 'source',
  summary: 'Reads leads from a JSON Lines file (`.gz` too) or stdin; malformed lines go to the rejects file with their line numbers.',
  options: {
    path: {
      type: 'path',
      default: '-',
      description: 'The file to read; `-` reads stdin. A name ending in `.gz` is decompressed.',
      example: 'exports/leads.jsonl.gz',
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
        for await (const block of parseJsonLineBlocks(input)) for (const line of block) {
          const record = recordOfLine(line, label, ctx);
          if (record) yield record;
        }
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

/**
 * The record a parsed line becomes, with its line number in `_meta.line`. A line that is not a JSON
 * object goes to the rejects file with its line and column, then the step's `on_error` decides:
 * `fail` throws, `skip` drops it (undefined), `tag` returns a placeholder carrying the raw text and
 * the problem.
 */
export function recordOfLine(line: JsonLine, label: string, ctx: StageContext): Lead | undefined {
  if (line.error === undefined && isObject(line.value)) {
    const record = line.value as Lead;
    const meta = (record._meta ??= {});
    meta.line = line.line;
    return record;
  }
  const col = line.error === undefined ? 1 : line.col;
  const message = line.error === undefined
    ? `${label}:${line.line}:1: expected a JSON object (one lead per line), found ${Array.isArray(line.value) ? 'an array' : typeof line.value}`
    : `${label}:${line.line}:${col}: malformed JSON: ${line.error}; fix or remove the line`;
  const raw = line.raw ?? JSON.stringify(line.value);
  ctx.reject({ reason: 'malformed_json', message, raw, file: label, line: line.line });
  if (ctx.onError === 'fail') throw new StageError(ctx.stage, message);
  if (ctx.onError === 'skip') return ctx.drop('malformed_json');
  return { _meta: { line: line.line, raw, problems: [{ problem: 'malformed_json', message }] } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
