import fs from 'node:fs';
import path from 'node:path';
import { journalPath } from '../core/journal.js';
import { readJournal } from '../core/journal-read.js';
import { readDecisionsFile } from '../review/decisions-file.js';
import { forgetSettled } from '../review/memory.js';
import { formatPending, pendingReview } from '../review/pending.js';
import { EXIT, pipelineOfInvocation } from './commands.js';

/**
 * The command side of manual review: `--review` lists what waits for a decision, and
 * `--apply-decisions FILE` checks the file before anything runs (a bad file changes nothing, not
 * even a backup is made).
 */

/** `--review`: the pending groups and conflicts of the data directory, on stdout. */
export function showReview(dataDir: string, write: (text: string) => void = (text) => process.stdout.write(text)): number {
  const pending = pendingReview({
    duplicates: path.join(dataDir, 'review', 'duplicates.jsonl'),
    conflicts: path.join(dataDir, 'review', 'conflicts.jsonl'),
    stateFile: path.join(dataDir, 'sync-state.db'),
  });
  write(formatPending(pending));
  return EXIT.ok;
}

/** The decisions file of `--apply-decisions`, checked whole (a ConfigError lists every problem), as an absolute path. */
export function checkedDecisionsFile(file: string): string {
  readDecisionsFile(path.resolve(file), file);
  return path.resolve(file);
}

/**
 * After a rollback: the run state forgets what the run's decisions settled (found through the
 * pipeline its journal records), so its groups and conflicts are pending again. Returns how many
 * entries were forgotten.
 */
export function forgetRunDecisions(runId: string, stateDir: string): number {
  const journal = journalPath(stateDir, runId);
  if (!fs.existsSync(journal)) return 0;
  const pipeline = pipelineOfInvocation(readJournal(journal).invocation, process.env);
  let forgotten = 0;
  for (const step of pipeline?.steps ?? []) {
    const stateFile = step.stage.name === 'decisions' ? step.options.state_file : undefined;
    if (typeof stateFile === 'string') forgotten += forgetSettled(stateFile, runId);
  }
  return forgotten;
}
