import { silentLogger } from '../core/log.js';
import type { Operation } from '../core/operation.js';
import type { Pipeline } from '../core/pipeline.js';
import { runPipeline, type RunOptions, type RunSummary } from '../core/runner.js';
import { BackupError } from './errors.js';
import type { JournalContents } from '../core/journal-read.js';
import { RunJournal } from '../core/journal.js';
import { linkCreatedInState } from './links.js';
import { openSystems, settleUnknown, type OpenSystems, type RecoveryOptions } from './recover.js';

export interface ResumeResult {
  runId: string;
  /** The run had already completed: nothing was done. */
  already_complete: boolean;
  /** Operations whose outcome was unknown, looked up. */
  settled: number;
  /** Local links to Airtable records created just before the interruption, set now. */
  linked: number;
  summary?: RunSummary;
}

/**
 * Finishes an interrupted run so both systems end as an uninterrupted run would have left them:
 * 1. every operation whose outcome is unknown (journaled, never marked) is looked up: a create is
 *    searched for by its values before anything is redone, so none is made twice;
 * 2. Airtable records the run created for local leads get their local link if the run died
 *    before setting it (otherwise the next step would see an unlinked pair and create again);
 * 3. the run's pipeline runs again under the same run id: it reads both systems as they are now,
 *    so it plans only what is left; its journal continues the old one and its backup step reuses
 *    the backup taken before the first write.
 */
export async function resumeRun(
  runId: string,
  options: RecoveryOptions & { pipeline?: string | Pipeline | ((contents: JournalContents) => Pipeline | undefined); run?: RunOptions; now?: () => Date },
): Promise<ResumeResult> {
  const log = options.log ?? silentLogger();
  const dryRun = options.dryRun ?? false;
  const systems = await openSystems(runId, options, 'resume');
  const { contents } = systems;
  let settled = 0;
  let linked = 0;
  try {
    if (contents.end?.status === 'completed') {
      log.info('The run had completed; nothing to resume.', { run_id: runId });
      return { runId, already_complete: true, settled: 0, linked: 0 };
    }
    if (contents.end?.status === 'rolled_back') throw new BackupError(`Run ${runId} was rolled back; it cannot be resumed. Start a new run instead.`);
    // A dry run looks up and plans in memory: the journal stays as it is.
    const journal = dryRun ? undefined : new RunJournal(contents.file, runId, { quiet: true });
    try {
      settled = await settleUnknown(systems, journal, log);
      linked = await linkCreated(systems, journal, options.now ?? options.run?.now ?? (() => new Date()));
    } finally {
      journal?.close();
    }
  } finally {
    await systems.close();
  }
  // The caller may rebuild the pipeline from how the run was started (the journal's invocation).
  const pipeline = (typeof options.pipeline === 'function' ? options.pipeline(contents) : options.pipeline) ?? contents.pipeline;
  if (!pipeline) throw new BackupError(`The journal of run ${runId} names no pipeline file; give the pipeline to resume with.`);
  // The pipeline by its file (a loaded one would fill the log with its every step and option).
  log.info(dryRun ? 'Planning the rest of the run (dry run): nothing will be changed.' : 'Resuming the run.', {
    run_id: runId,
    pipeline: typeof pipeline === 'string' ? pipeline : (pipeline.file ?? `${pipeline.steps.length} step(s)`),
    settled,
    linked,
  });
  const summary = await runPipeline(pipeline, { ...options.run, runId, stateDir: options.stateDir, log: options.run?.log ?? options.log, dryRun });
  return { runId, already_complete: false, settled, linked, summary };
}

/**
 * Sets the local link of every applied Airtable create that names a local record still unlinked,
 * and its modified time, as the uninterrupted run's write-sqlite would have. Without a journal (a
 * dry run) it only counts them.
 */
async function linkCreated(systems: OpenSystems, journal: RunJournal | undefined, now: () => Date): Promise<number> {
  const local = systems.local;
  if (!local) return 0;
  const field = local.target.link_field ?? 'airtable_id';
  // No link column (an empty link field): the links go into the sync state instead.
  if (field === '') return linkCreatedInState(systems.contents);
  const column = local.column(field);
  const modified = local.target.modified_column ?? undefined;
  let linked = 0;
  for (const op of systems.contents.ops) {
    if (op.system !== 'airtable' || op.action !== 'create' || op.result?.status !== 'applied' || !op.result.id) continue;
    if (op.link?.system !== 'local') continue;
    const row = await local.row(op.link.id);
    if (!row || row[column] === op.result.id) continue;
    linked++;
    if (!journal) continue;
    const stamp = now().toISOString();
    const fields: Record<string, unknown> = { [field]: op.result.id };
    const replaces: Record<string, unknown> = { [field]: row[column] ?? null };
    if (modified && modified !== column) {
      fields[modified] = stamp;
      replaces[modified] = row[modified] ?? null;
    }
    const link: Operation = { kind: 'operation', action: 'update', system: 'local', id: op.link.id, fields, replaces, reason: 'sync', entity: op.entity };
    const seqs = journal.intend([link], () => row);
    await local.setColumns(op.link.id, { [column]: op.result.id, ...(modified && modified !== column ? { [modified]: stamp } : {}) });
    journal.settle(seqs, [{ status: 'applied', id: op.link.id }]);
  }
  return linked;
}
