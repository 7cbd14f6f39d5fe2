import { StageError } from '../lib/core/errors.js';
import { JsonlWriter, SerializedRecords } from '../lib/core/jsonl.js';
import { withoutMeta } from '../lib/core/jsonl-records.js';
import { declareParallel } from '../lib/parallel/capabilities.js';
import type { Lead } from '../lib/core/record.js';
import { defineStage } from '../lib/core/stage.js';

interface WriteJsonlOptions {
  path: string;
  strip_meta: boolean;
}

/**
 * Writes every record (and operation) as one JSON line, then passes it on, so it can sit in the
 * middle of a pipeline as a tap. The write waits for the file or stdout when they are slow.
 */
const writeJsonl = defineStage<WriteJsonlOptions>({
  name: 'write-jsonl',
  kind: 'sink',
  summary: 'Writes records as JSON Lines to a file (`.gz` compresses) or stdout, optionally without `_meta`, and passes them on.',
  options: {
    path: {
      type: 'path',
      default: '-',
      description: 'The file to write (replaced if it exists); `-` writes stdout.',
      example: 'clean/leads.jsonl',
    },
    strip_meta: {
      type: 'boolean',
      default: false,
      description: 'Leave out `_meta`, for a plain export; keep it to pipe into another stage.',
      example: true,
    },
  },
  create(options, ctx) {
    let writer: JsonlWriter;
    try {
      writer = new JsonlWriter(options.path, ctx.stdout);
    } catch (error) {
      throw new StageError(ctx.stage, `cannot write ${options.path}: ${(error as Error).message}`, { cause: error });
    }
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      await writer.close();
    };
    ctx.onClose(close);
    return {
      transform(record: Lead) {
        const pending =
          record instanceof SerializedRecords
            ? writer.writeLines(options.strip_meta && !record.withoutMeta ? stripLines(record.data) : record.data, record.count)
            : writer.write(options.strip_meta && record._meta !== undefined ? withoutMeta(record) : record);
        return pending ? pending.then(() => record) : record;
      },
      flush: close,
    };
  },
});

export default writeJsonl;

// A parallel run writes the workers' lines itself, as this stage would.
declareParallel(writeJsonl, { module: import.meta.url, writesLines: (options) => ({ path: options.path, stripMeta: options.strip_meta }) });

/** Serialized records without `_meta` (a stage emits serialized records only for a write that keeps it, so this is a safeguard, not a path). */
function stripLines(data: string | Uint8Array): string {
  const text = typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString();
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => `${JSON.stringify(withoutMeta(JSON.parse(line) as Lead))}\n`)
    .join('');
}
