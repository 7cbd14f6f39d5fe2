import fs from 'node:fs';
import path from 'node:path';
import { readJournal } from '../core/journal-read.js';
import { EXIT } from './commands.js';

/** `--status`: what the journals, the locks and the latest report say, on stdout. */

/** The recent runs from their journals, the locks held, and the latest report. */
export function showStatus(stateDir: string): number {
  const runsDir = path.join(stateDir, 'runs');
  const runs = fs.existsSync(runsDir) ? fs.readdirSync(runsDir).sort().reverse().slice(0, 10) : [];
  process.stdout.write(`State directory: ${stateDir}\n`);
  if (!runs.length) process.stdout.write('No run has written anything yet.\n');
  for (const runId of runs) {
    const file = path.join(runsDir, runId, 'journal.jsonl');
    if (!fs.existsSync(file)) continue;
    const journal = readJournal(file);
    const applied = journal.ops.filter((op) => op.result?.status === 'applied' && !op.undo).length;
    process.stdout.write(`  ${runId}  ${String(applied).padStart(6)} change(s) applied  ${outcomeOf(journal)}\n`);
  }
  const locksDir = path.join(stateDir, 'locks');
  for (const lock of fs.existsSync(locksDir) ? fs.readdirSync(locksDir) : []) {
    const owner = JSON.parse(fs.readFileSync(path.join(locksDir, lock), 'utf8')) as { pid: number; host: string; run_id: string };
    process.stdout.write(`Locked by run ${owner.run_id} (pid ${owner.pid} on ${owner.host}): ${lock}\n`);
  }
  const latest = path.join(process.env.LEADS_DATA_DIR ?? 'data', 'reports', 'latest', 'maintenance-result.json');
  if (fs.existsSync(latest)) process.stdout.write(`${latestReport(JSON.parse(fs.readFileSync(latest, 'utf8')) as LatestResult, path.dirname(latest))}\n`);
  return EXIT.ok;
}

/** A run's outcome as --status shows it: how it ended and why, and what to do when a person must act. */
function outcomeOf(journal: ReturnType<typeof readJournal>): string {
  const end = journal.end;
  if (!end) return `interrupted: finish it with --resume ${journal.runId} or undo it with --rollback ${journal.runId}`;
  // One line each: a failure may list many differences (validate), the journal keeps them all.
  const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ');
  const failed = journal.failure?.message ? `: ${oneLine(journal.failure.message)}` : '';
  if (end.status === 'rollback_incomplete') return `${journal.failure ? `failed${failed}\n      ` : ''}ROLLBACK INCOMPLETE: ${oneLine(end.message ?? '')}`;
  if (end.status === 'failed') return `failed${failed}`;
  if (end.status === 'rolled_back' && journal.failure) return `rolled_back${end.message ? ` (${end.message})` : ''} after it failed${failed}`;
  return end.message ? `${end.status} (${end.message})` : end.status;
}

/** What --status reads of the latest `maintenance-result.json`. */
interface LatestResult {
  operation_id: string;
  success: boolean;
  end_time: string;
  duplicates_removed: number;
  records_standardized: number;
  records_synchronized: number;
  errors?: string[];
  detailed_results?: { dry_run?: boolean; failure?: string };
}

/** The latest report in one line: a dry run as what it would have done, a failed run with why. */
function latestReport(result: LatestResult, dir: string): string {
  const dryRun = result.detailed_results?.dry_run === true;
  const reason = result.success ? '' : (result.errors?.[0] ?? result.detailed_results?.failure ?? '').replace(/\s*\n\s*/g, ' ');
  const outcome = `${dryRun ? 'dry run (nothing changed), ' : ''}${result.success ? 'succeeded' : 'FAILED'} at ${result.end_time}`;
  const would = dryRun ? ' would be' : '';
  const counts = `${result.duplicates_removed} duplicate(s)${would} removed, ${result.records_standardized} record(s)${would} standardized, ${result.records_synchronized}${would} synchronized`;
  return `Latest report: run ${result.operation_id}, ${outcome}${reason ? ` (${reason})` : ''}: ${counts} (${dir}/report.html)`;
}
