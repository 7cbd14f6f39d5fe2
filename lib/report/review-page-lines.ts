import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { StageContext } from '../core/stage.js';

/**
 * The review lines a run appended: review files keep what earlier runs left too, so each stage
 * that writes one notes the file and its size when the run starts, and the review page reads
 * each file from there on, one line at a time.
 */

const RUN_REVIEW_FILES = 'report.review-files';

/** A review file of this run and the byte at which this run's lines begin. */
type RunReviewFiles = Map<string, number>;

/** Notes that a stage of this run appends to `file` (call when the stage is created, before it writes). */
export function noteReviewFile(ctx: Pick<StageContext, 'shared'>, file: string): void {
  const files = ctx.shared<RunReviewFiles>(RUN_REVIEW_FILES, () => new Map());
  const resolved = path.resolve(file);
  if (files.has(resolved)) return;
  let size = 0;
  try {
    size = fs.statSync(resolved).size;
  } catch {
    // Not there yet: the run's lines start at its beginning.
  }
  files.set(resolved, size);
}

/** One line of a review file that the page can show, or the position of one it cannot read. */
export type ReviewLine = { entry: Record<string, unknown> } | { unreadable: string };

/** This run's review lines, in the order the stages noted their files and the lines were written. */
export async function* reviewLinesOfRun(ctx: Pick<StageContext, 'shared'>): AsyncGenerator<ReviewLine> {
  const files = ctx.shared<RunReviewFiles>(RUN_REVIEW_FILES, () => new Map());
  for (const [file, start] of files) {
    if (!fs.existsSync(file) || fs.statSync(file).size <= start) continue;
    yield* reviewLines(file, start);
  }
}

/** The lines of one review file from byte `start`, each parsed, or named by file:line when it is not a JSON object. */
export async function* reviewLines(file: string, start = 0): AsyncGenerator<ReviewLine> {
  const lines = readline.createInterface({ input: fs.createReadStream(file, { start, encoding: 'utf8' }), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (!line.trim()) continue;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      entry = undefined;
    }
    if (entry && typeof entry === 'object' && !Array.isArray(entry)) yield { entry: entry as Record<string, unknown> };
    else yield { unreadable: `${file}:${number} (of this run's lines)` };
  }
}
