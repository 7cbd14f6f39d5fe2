import { silentLogger } from '../core/log.js';
import { RollbackIncompleteError } from './errors.js';
import { readJournal, type JournaledOp } from '../core/journal-read.js';
import { RunJournal } from '../core/journal.js';
import { linksAfterRollback } from './links.js';
import { openSystems, settleUnknown, type OpenSystems, type RecoveryOptions, type SystemName } from './recover.js';
import type { UndoOutcome } from './remote.js';
import { writeRollbackReport, type RollbackResult } from './rollback-report.js';

export type { RollbackResult };

/**
 * Undoes a run from its journal, newest operation first: updates get the values they replaced
 * back (locally the whole row as it was, modified time included), creates are deleted, deletes
 * recreated. Operations of unknown outcome are looked up first. Each undo is journaled as soon as
 * it is done, so an interrupted rollback can be run again and finishes the rest, re-creating
 * nothing twice. `systems` limits it to one system (partial rollback). A record changed since the
 * run wrote it is a conflict: reported and left alone unless `force`. A dry run plans only.
 *
 * A local database held by another program is waited for (`lockAttempts` tries of the busy
 * timeout) before anything is undone; a rollback that cannot finish, for that or any other reason
 * (an Airtable quota or outage), throws RollbackIncompleteError saying what was undone, what is
 * left, and the command that finishes it.
 */
export async function rollbackRun(runId: string, options: RecoveryOptions & { systems?: SystemName[]; force?: boolean }): Promise<RollbackResult> {
  const log = options.log ?? silentLogger();
  const dryRun = options.dryRun ?? false;
  const systems = await openSystems(runId, options, 'rollback');
  const wanted = new Set<SystemName>(options.systems ?? ['local', 'airtable']);
  const journal = dryRun ? undefined : new RunJournal(systems.contents.file, runId, { quiet: true });
  const result: RollbackResult = {
    runId,
    dry_run: dryRun,
    undone: { local: 0, airtable: 0 },
    not_applied: 0,
    conflicts: [],
    relinked: 0,
    recreated: [],
    dangling_links: 0,
  };
  const rollback: Rollback = {
    systems,
    journal,
    result,
    dryRun,
    force: options.force ?? false,
    handled: new Set<number>(),
    relinks: [],
  };
  try {
    try {
      await settleUnknown(systems, journal, log, 'local');
      // Airtable out of reach (a quota, an outage) still lets the local database be put back.
      let airtableError: unknown;
      if (wanted.has('airtable')) {
        try {
          await settleUnknown(systems, journal, log, 'airtable');
        } catch (error) {
          airtableError = error;
        }
      }
      const ops = systems.contents.ops.filter((op) => !op.undo && wanted.has(op.system)).reverse();
      await relinkEarlierRecreations(rollback);
      airtableError = await undoAll(rollback, ops, airtableError);
      if (airtableError !== undefined) throw airtableError;
      if (wanted.size < 2) result.dangling_links = danglingLinks(systems.contents.ops);
      if (systems.local && wanted.has('local') && !dryRun) await systems.local.checkIntegrity();
    } catch (error) {
      throw incomplete(runId, systems.contents.ops, wanted, rollback.handled, result, error, options.systems);
    }
    if (!dryRun) {
      result.state_links = linksAfterRollback(readJournal(systems.contents.file));
      result.report = writeRollbackReport(systems.contents.file, result);
    }
    const partial = wanted.size < 2 ? ` (${[...wanted].join(', ')} only)` : '';
    journal?.end(
      'rolled_back',
      result.conflicts.length ? `${result.conflicts.length} conflict(s) left alone${partial}` : partial ? `partial${partial}` : undefined,
    );
    log.info(dryRun ? 'Rollback planned (dry run, nothing changed).' : 'Run rolled back.', {
      run_id: runId,
      ...result.undone,
      not_applied: result.not_applied,
      conflicts: result.conflicts.length,
      relinked: result.relinked,
      recreated: result.recreated.length,
      report: result.report,
    });
    return result;
  } catch (error) {
    if (error instanceof RollbackIncompleteError) journal?.end('rollback_incomplete', error.message);
    throw error;
  } finally {
    journal?.close();
    await systems.close();
  }
}

/** A rollback under way: where it undoes and journals, and what it has done so far. */
interface Rollback {
  systems: OpenSystems;
  journal?: RunJournal;
  result: RollbackResult;
  /** Operations undone, left alone or found not applied by this rollback. */
  handled: Set<number>;
  force: boolean;
  dryRun: boolean;
  /** Local links to re-point at Airtable records recreated under new ids, done after the undo that recreated them. */
  relinks: Array<{ old_id: string; new_id: string }>;
}

/** Before the first undo: checks the database can be written, and relinks what an earlier, stopped rollback re-created. */
async function relinkEarlierRecreations({ systems, result, dryRun }: Rollback): Promise<void> {
  const local = systems.local;
  if (!local || dryRun) return;
  // A database another program holds stops the rollback while nothing is half done.
  await local.checkWritable();
  // Airtable records an earlier, stopped rollback re-created: their local links follow them now.
  for (const op of systems.contents.ops) {
    if (op.system === 'airtable' && op.undo === 'undone' && op.undoId && op.id) result.relinked += await local.relink(op.id, op.undoId);
  }
}

/** Re-points the local links queued by `recordUndo`. */
async function relinkQueued(rollback: Rollback): Promise<void> {
  const local = rollback.systems.local;
  for (const link of rollback.relinks.splice(0)) if (local) rollback.result.relinked += await local.relink(link.old_id, link.new_id);
}

/** Counts and journals the outcome of one undo. */
function recordUndo(rollback: Rollback, op: JournaledOp, outcome: UndoOutcome): void {
  const { result, systems, dryRun } = rollback;
  rollback.handled.add(op.seq);
  if (outcome.conflict) {
    result.conflicts.push(outcome.conflict);
    return;
  }
  // Journaled first: should the relink that follows fail, running the rollback again relinks from the journal.
  rollback.journal?.undone(op.seq, 'undone', outcome.newId);
  op.undo = 'undone';
  result.undone[op.system]++;
  if (outcome.newId && op.id) result.recreated.push({ system: op.system, old_id: op.id, new_id: outcome.newId });
  const local = systems.local;
  if (outcome.newId && op.id && local && !dryRun) rollback.relinks.push({ old_id: op.id, new_id: outcome.newId });
}

/**
 * Undoes `ops` (newest first). Airtable operations are skipped once Airtable failed; the
 * Airtable error (an earlier one, or one met here) is returned, to be thrown after the local undos.
 */
async function undoAll(rollback: Rollback, ops: JournaledOp[], airtableError: unknown): Promise<unknown> {
  const { systems, result } = rollback;
  for (let i = 0; i < ops.length; ) {
    const op = ops[i]!;
    if (op.system === 'airtable' && airtableError !== undefined) {
      i++;
      continue;
    }
    if (op.result?.status !== 'applied') {
      rollback.journal?.undone(op.seq, 'not_applied');
      rollback.handled.add(op.seq);
      result.not_applied++;
      i++;
      continue;
    }
    if (op.system === 'local') {
      recordUndo(rollback, op, await undoLocal(systems, op, rollback.force, rollback.dryRun));
      i++;
      continue;
    }
    const group = airtableGroup(ops, i);
    i += group.length;
    if (!systems.airtable) {
      for (const g of group) recordUndo(rollback, g, { conflict: `Airtable operation ${g.seq} has no base in the journal` });
      continue;
    }
    try {
      await systems.airtable.undoMany(group, rollback.force, (at, outcome) => recordUndo(rollback, group[at]!, outcome), rollback.dryRun);
    } catch (error) {
      airtableError = error;
    }
    await relinkQueued(rollback);
  }
  return airtableError;
}

/** Consecutive applied Airtable operations on distinct records from `from` on (at most 50): undone together, in few requests. */
function airtableGroup(ops: JournaledOp[], from: number): JournaledOp[] {
  const group: JournaledOp[] = [];
  const touched = new Set<string>();
  for (let i = from; i < ops.length && group.length < 50; i++) {
    const next = ops[i]!;
    const id = next.result?.id ?? next.id ?? '';
    if (next.system !== 'airtable' || next.result?.status !== 'applied' || touched.has(id)) break;
    touched.add(id);
    group.push(next);
  }
  return group;
}

/** The command that finishes (or repeats) a rollback. */
export function rollbackCommand(runId: string, systems?: SystemName[]): string {
  return `db-maintenance --rollback ${runId}${systems?.length === 1 ? ` --system ${systems[0]}` : ''}`;
}

/** The error of a rollback that stopped half-way: what it undid, what is left, how to finish. */
function incomplete(
  runId: string,
  ops: JournaledOp[],
  wanted: Set<SystemName>,
  handled: Set<number>,
  result: RollbackResult,
  error: unknown,
  systems?: SystemName[],
): RollbackIncompleteError {
  if (error instanceof RollbackIncompleteError) return error;
  const left = { local: 0, airtable: 0 };
  for (const op of ops)
    if (wanted.has(op.system) && !op.undo && !handled.has(op.seq) && op.result?.status !== 'skipped' && op.result?.status !== 'failed') left[op.system]++;
  const reason = (error as Error)?.message ?? String(error);
  const command = rollbackCommand(runId, systems);
  const message =
    `The rollback of run ${runId} is INCOMPLETE: ${reason} ` +
    `Undone so far: ${result.undone.local} local and ${result.undone.airtable} Airtable change(s); still applied: ${left.local} local and ${left.airtable} Airtable change(s). ` +
    `Once the cause is fixed, finish it with: ${command}`;
  return new RollbackIncompleteError(message, runId, { ...result.undone }, left, command, { cause: error });
}

/**
 * Links a one-system rollback leaves pointing nowhere: an Airtable record the run created for a
 * local lead and the lead's link to it, where one side was undone and the other not (an
 * Airtable-only rollback deletes the record the lead links to; a local-only one clears the link
 * of a record left in Airtable, which the next run would create again).
 */
function danglingLinks(ops: JournaledOp[]): number {
  const undoneLocal = new Set(ops.filter((o) => o.system === 'local' && o.undo === 'undone').map((o) => String(o.result?.id ?? o.id)));
  let count = 0;
  for (const op of ops) {
    if (op.system !== 'airtable' || op.action !== 'create' || op.result?.status !== 'applied' || op.link?.system !== 'local') continue;
    if ((op.undo === 'undone') !== undoneLocal.has(op.link.id)) count++;
  }
  return count;
}

async function undoLocal(systems: OpenSystems, op: JournaledOp, force: boolean, dryRun: boolean): Promise<UndoOutcome> {
  if (!systems.local) return { conflict: `local operation ${op.seq} has no database in the journal` };
  const conflict = await systems.local.undo(op, force, dryRun);
  return conflict ? { conflict } : {};
}
