import type { Logger } from '../core/log.js';
import { redactText } from '../core/redact.js';
import { LockError, TargetMismatchError, UnknownRunError } from '../safety/errors.js';
import type { SystemName } from '../safety/recover.js';
import type { RollbackResult } from '../safety/rollback-report.js';
import { rollbackRun } from '../safety/rollback.js';
import { resumeRun } from '../safety/resume.js';
import { EXIT, pipelineOfInvocation } from './commands.js';
import { printPlan } from './confirm.js';
import { printSummary, reportError } from './output.js';
import { forgetRunDecisions } from './review.js';

/**
 * `--resume RUN` and `--rollback RUN`: finish or undo an earlier run from its journal, and say
 * what was done. (`--restore BACKUP` is a pipeline of its own, run as the other commands are.)
 */

/** How --resume / --rollback was asked for. */
export interface RecoverSettings {
  system?: SystemName;
  dryRun: boolean;
  yes: boolean;
  stateDir: string;
}

/**
 * --resume RUN / --rollback RUN: finish or undo a run from its journal, on the database and base
 * the configuration names (LEADS_DB or --database, AIRTABLE_BASE_ID). With --dry-run it plans only.
 */
export async function recover(what: 'resume' | 'rollback', runId: string, settings: RecoverSettings, log: Logger): Promise<number> {
  const { dryRun, stateDir } = settings;
  const targets = {
    stateDir,
    env: process.env,
    log,
    dryRun,
    database: process.env.LEADS_DB,
    baseId: process.env.AIRTABLE_BASE_ID || undefined,
    confirmed: settings.yes,
  };
  try {
    if (what === 'resume') {
      const result = await resumeRun(runId, {
        ...targets,
        run: { log, stateDir },
        pipeline: (journal) => pipelineOfInvocation(journal.invocation, process.env),
      });
      if (result.summary) printSummary(result.summary, log);
      if (dryRun && result.summary) printPlan(result.summary, 'would change');
      process.stderr.write(
        result.already_complete
          ? `Run ${runId} had completed; nothing to resume.\n`
          : dryRun
            ? `Run ${runId} would be resumed (dry run, nothing changed): ${result.settled} operation(s) of unknown outcome looked up, ${result.linked} link(s) to set.\n`
            : `Run ${runId} resumed and finished (${result.settled} operation(s) of unknown outcome looked up, ${result.linked} link(s) set).\n`,
      );
      return EXIT.ok;
    }
    const result = await rollbackRun(runId, { ...targets, systems: settings.system ? [settings.system] : undefined });
    if (!dryRun) forgetRunDecisions(runId, stateDir);
    printRollback(runId, result, settings);
    return EXIT.ok;
  } catch (error) {
    // A run id with no journal, or a journal naming another database: the message is the whole story.
    if (error instanceof UnknownRunError || error instanceof TargetMismatchError) {
      process.stderr.write(`${redactText(error.message)}\n`);
      return error.exitCode;
    }
    // Another run holds the database or base: its message says which and what to do.
    if (error instanceof LockError) {
      process.stderr.write(`${redactText(error.message)}\n`);
      return EXIT.failed;
    }
    return reportError(error, log);
  }
}

/** What a rollback undid (or would undo), what it left alone, and, for one system, what remains in the other. */
function printRollback(runId: string, result: RollbackResult, { system, dryRun }: RecoverSettings): void {
  const where = system ? ` in ${system === 'local' ? 'the local database' : 'Airtable'}` : '';
  process.stderr.write(
    dryRun
      ? `Run ${runId} would be rolled back${where} (dry run, nothing changed): ${result.undone.local} local and ${result.undone.airtable} Airtable change(s) would be undone.\n`
      : `Run ${runId} rolled back${where}: ${result.undone.local} local and ${result.undone.airtable} Airtable change(s) undone.\n`,
  );
  if (result.conflicts.length)
    process.stderr.write(
      `${result.conflicts.length} record(s) changed since the run ${dryRun ? 'would be' : 'were'} left alone:\n  ${result.conflicts.slice(0, 20).join('\n  ')}\n`,
    );
  if (system) {
    const other = system === 'local' ? 'Airtable' : 'the local database';
    if (result.dangling_links)
      process.stderr.write(
        `WARNING: ${result.dangling_links} link(s) between a local lead and an Airtable record ${dryRun ? 'would be' : 'are'} left dangling (one side undone, the other not).\n`,
      );
    process.stderr.write(
      `The run's changes in ${other} are ${dryRun ? 'not part of this plan' : 'still applied'}; to undo them too: db-maintenance --rollback ${runId}\n`,
    );
  }
  if (!dryRun) printRecreated(result);
}

/** Says which records a rollback brought back under new ids, and where the old → new list is. */
export function printRecreated(result: RollbackResult): void {
  if (!result.recreated.length) return;
  const shownIds = result.recreated
    .slice(0, 5)
    .map((r) => `${r.old_id} → ${r.new_id}`)
    .join(', ');
  process.stderr.write(
    `${result.recreated.length} record(s) the run deleted were recreated with NEW ids (Airtable never reuses an id; links to the old ids from elsewhere must be updated): ${shownIds}${result.recreated.length > 5 ? ', …' : ''}.\n` +
      (result.report ? `Every old → new id is listed in ${result.report}.\n` : ''),
  );
}
