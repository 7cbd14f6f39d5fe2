import { randomUUID } from 'node:crypto';
import { raiseAlert, type Alert, type AlertSettings } from '../report/alert.js';
import { AbortedError, StageError } from '../core/errors.js';
import { silentLogger } from '../core/log.js';
import { loadPipeline, type Pipeline } from '../core/pipeline.js';
import { runPipeline, type RunError, type RunOptions, type RunSummary } from '../core/runner.js';
import { checkIntegrity } from '../sqlite/backup.js';
import { stateDirOf } from '../core/private-files.js';
import { readJournal } from '../core/journal-read.js';
import { isLockLost, RollbackIncompleteError } from './errors.js';
import type { RecoveryOptions } from './recover.js';
import { rollbackCommand, rollbackRun, type RollbackResult } from './rollback.js';
import { restoreBackup } from './restore.js';
import { isPostgresUrl } from '../postgres/side.js';

export interface GuardedRunOptions extends RunOptions {
  /** Alert delivery; default: the config's `alerting` section. */
  alert?: AlertSettings;
  /** Failed operations / all operations above which the run is rolled back; default `alerting.error_rate_threshold` (0.05). */
  error_rate_threshold?: number;
  /** Roll back automatically (error rate past the threshold, or a failed run); default true. */
  auto_rollback?: boolean;
  /** How the automatic rollback waits for a locked database (tests shorten it). */
  recovery?: Pick<RecoveryOptions, 'busyTimeoutMs' | 'lockAttempts'>;
}

export interface GuardedRunSummary extends RunSummary {
  error_rate: number;
}

/** A run that failed and was undone: the summary, and what the rollback did. */
export type RolledBackError = RunError & { rollback?: RollbackResult; alert?: Alert['kind']; rollback_incomplete?: boolean };

/**
 * Runs a pipeline under the rollback strategy: an error rate above the threshold, a
 * database that fails `PRAGMA integrity_check` after the run, or a critical error (the run
 * failed) rolls the run back from its journal (a damaged database is restored from the run's
 * backup instead), raises the configured alert, and throws an error that says so. A run stopped
 * with Ctrl-C is left as it is, to be resumed or rolled back by the user.
 */
export async function runGuarded(pipeline: Pipeline | string, options: GuardedRunOptions = {}): Promise<GuardedRunSummary> {
  const loaded = typeof pipeline === 'string' ? loadPipeline(pipeline) : pipeline;
  const log = options.log ?? silentLogger();
  const alerting = (loaded.config.values.alerting ?? {}) as { command?: string; webhook?: string; error_rate_threshold?: number };
  const alert = options.alert ?? { command: alerting.command || undefined, webhook: alerting.webhook || undefined };
  const threshold = options.error_rate_threshold ?? alerting.error_rate_threshold ?? 0.05;
  const runId = options.runId ?? `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomUUID().slice(0, 8)}`;
  let summary: RunSummary;
  try {
    summary = await runPipeline(loaded, { ...options, runId });
  } catch (error) {
    const failure = error as RolledBackError;
    // A backup failure has its own alert (raised by the backup step) and nothing to undo.
    const journal = failure.summary?.journal;
    // Ctrl-C is the user's choice, not a failure: they can --resume or --rollback it.
    // A run that lost its lock stops as it is: another run may be on the data now, so nothing is undone unasked.
    if (failure instanceof AbortedError || isLockLost(failure) || !journal || options.auto_rollback === false || !appliedAny(journal)) throw failure;
    const stopped = await autoRollback(failure, runId, stateDirOf(journal), options, log);
    failure.alert = 'run_failed';
    await raiseAlert(alert, { kind: 'run_failed', run_id: runId, message: stopped.message }, log);
    throw stopped;
  }
  const counts = Object.entries(summary.operations).filter(([key]) => !key.endsWith('.dry_run') && !key.endsWith('.planned'));
  const total = counts.reduce((n, [, c]) => n + c, 0);
  const failed = counts.filter(([key]) => key.endsWith('.failed')).reduce((n, [, c]) => n + c, 0);
  const errorRate = total ? failed / total : 0;
  const result: GuardedRunSummary = { ...summary, error_rate: errorRate };
  if (!summary.journal || options.auto_rollback === false) return result;
  const stateDir = stateDirOf(summary.journal);
  let trigger: { kind: Alert['kind']; message: string } | undefined;
  if (errorRate > threshold)
    trigger = {
      kind: 'error_rate',
      message: `${failed} of ${total} operations failed (${(errorRate * 100).toFixed(1)}%, above the ${(threshold * 100).toFixed(1)}% threshold).`,
    };
  const contents = readJournal(summary.journal);
  for (const target of contents.targets) {
    // A server keeps its tables consistent itself: only a database file is checked.
    if (trigger || target.system !== 'local' || isPostgresUrl(target.database)) continue;
    try {
      checkIntegrity(target.database, 'integrity');
    } catch (error) {
      const detail = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message.replace(/^integrity: /, '');
      trigger = { kind: 'integrity_failed', message: `After the run, ${target.database} failed its integrity check (${detail}).` };
      // SQL cannot undo into a damaged file: put the backup back instead.
      const manifest = contents.backups.at(-1);
      if (manifest) {
        await restoreBackup(manifest, { systems: ['local'], database: target.database, log });
        trigger.message += ` It was restored from the run's backup (${manifest}); the damaged file is kept beside it.`;
      }
    }
  }
  if (!trigger) return result;
  const failure = new StageError('run', trigger.message) as RolledBackError;
  failure.summary = summary;
  failure.alert = trigger.kind;
  const stopped = trigger.kind === 'error_rate' ? await autoRollback(failure, runId, stateDir, options, log) : failure;
  await raiseAlert(alert, { kind: trigger.kind, run_id: runId, message: stopped.message }, log);
  throw stopped;
}

/**
 * Rolls a failed run back. When the rollback itself cannot finish (a quota, an outage, a database
 * another program holds), the error says both: which step failed the run and why, what is applied
 * where, that the rollback is incomplete, and the command that finishes it; the journal's end
 * line says the same for --status.
 */
async function autoRollback(
  failure: RolledBackError,
  runId: string,
  stateDir: string,
  options: GuardedRunOptions,
  log: ReturnType<typeof silentLogger>,
): Promise<RolledBackError> {
  try {
    failure.rollback = await rollbackRun(runId, { stateDir, log, ...options.recovery });
    failure.message += ` The run was rolled back (${describe(failure.rollback)}).`;
    return failure;
  } catch (error) {
    const stopped = error instanceof RollbackIncompleteError ? error : undefined;
    const message = `${failure.message} The automatic rollback did not finish: ${stopped ? stopped.message.replace(/^rollback: /, '') : `${(error as Error).message} Finish it with: ${rollbackCommand(runId)}`}`;
    const incomplete = new RollbackIncompleteError(
      message.replace(/^rollback: /, ''),
      runId,
      stopped?.undone ?? { local: 0, airtable: 0 },
      stopped?.left ?? { local: 0, airtable: 0 },
      stopped?.command ?? rollbackCommand(runId),
      { cause: error },
    ) as RollbackIncompleteError & RolledBackError;
    // Named after the step that failed the run, not the rollback: `write-airtable: …`.
    incomplete.message = message;
    incomplete.summary = failure.summary;
    incomplete.alert = failure.alert;
    incomplete.rollback_incomplete = true;
    return incomplete;
  }
}

function appliedAny(journal: string): boolean {
  try {
    return readJournal(journal).ops.some((op) => op.result?.status !== 'skipped' && op.result?.status !== 'failed');
  } catch {
    return true;
  }
}

function describe(result: RollbackResult): string {
  const parts = [`${result.undone.local} local and ${result.undone.airtable} Airtable operation(s) undone`];
  if (result.conflicts.length) parts.push(`${result.conflicts.length} record(s) changed since were left alone: ${result.conflicts.slice(0, 3).join('; ')}`);
  return parts.join('; ');
}
