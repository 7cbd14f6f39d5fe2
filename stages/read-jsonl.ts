import { StageError } from '../lib/core/errors.js';
import { DEFAULT_MAX_LINE_BYTES, openInput, parseJsonLineBlocks, SerializedRecords, type JsonLine } from '../lib/core/jsonl.js';
import { canonicalLine } from '../lib/core/jsonl-canonical.js';
import { inputLabel, lineRules, logInvalidUtf8, readError, recordOfLine } from '../lib/core/jsonl-records.js';
import { declareParallel, plainSerializedOutput, serializedOutput } from '../lib/parallel/capabilities.js';
import type { Lead } from '../lib/core/record.js';
import { defineStage, type StageContext } from '../lib/core/stage.js';

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
const readJsonl = defineStage<ReadJsonlOptions>({
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
      description:
        'A number that a JSON number cannot hold exactly (`1e400`, `12345678901234567890123`) is kept as a string of its text; by default its line is rejected, never rounded or turned into null.',
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
        const asRead = asReadLines(ctx);
        for await (const block of parseJsonLineBlocks(input, lineRules(options), asRead !== undefined)) {
          for (const line of block) if (line.invalidUtf8) invalidUtf8++;
          if (asRead) yield* asRead(block, label) as Generator<Lead>;
          else
            for (const line of block) {
              const record = recordOfLine(line, label, ctx);
              if (record) yield record;
            }
        }
        logInvalidUtf8(ctx, invalidUtf8);
      } catch (error) {
        if (error instanceof StageError) throw error;
        throw readError(error, label, ctx);
      }
    })();
  },
});

export default readJsonl;

/**
 * When the next step is the last and writes JSON Lines, a line already in the form that writer
 * would give it (see lib/core/jsonl-canonical.ts) is passed on as its text: with `_meta` the
 * record would get, `{"line":N}`, added at its end, or as it is for a writer that strips `_meta`.
 * The lines around it are read as usual, in order. Returns undefined otherwise.
 */
function asReadLines(ctx: StageContext): ((block: JsonLine[], label: string) => Generator<Lead | SerializedRecords>) | undefined {
  const withoutMeta = plainSerializedOutput(ctx);
  if (!withoutMeta && !serializedOutput(ctx)) return undefined;
  return function* (block, label) {
    let text = '';
    let count = 0;
    for (const line of block) {
      const canonical = line.canonical;
      if (canonical !== undefined) {
        text += canonicalLine(canonical, 'line', line.line, withoutMeta);
        count++;
        continue;
      }
      if (count) yield new SerializedRecords(text, count, withoutMeta);
      text = '';
      count = 0;
      const record = recordOfLine(line, label, ctx);
      if (record) yield record;
    }
    if (count) yield new SerializedRecords(text, count, withoutMeta);
  };
}

// A parallel run reads the input itself, in blocks of whole lines, as this stage would.
declareParallel(readJsonl, { module: import.meta.url, readsLines: (options) => ({ path: options.path, rules: lineRules(options) }) });
