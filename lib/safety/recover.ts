import fs from 'node:fs';
import { silentLogger, type Logger } from '../log.js';
import { openDatabase, type Db } from '../sqlite/open.js';
import { checkIntegrity } from '../sqlite/backup.js';
import { AirtableTable } from './airtable.js';
import { BackupError } from './errors.js';
import { journalPath, readJournal, RunJournal, type JournalContents, type JournaledOp } from './journal.js';
import { linksAfterRollback } from './links.js';
import { LocalTable } from './local.js';
import { acquireLock, type Lock } from './lock.js';
import { AirtableUndo, type UndoOutcome } from './remote.js';
import { writeRollbackReport } from './rollback-report.js';

export type SystemName = 'local' | 'airtable';

/** How to reach a run's journal and its systems. */
export interface RecoveryOptions {
  /** The state directory holding `runs/<runId>/journal.jsonl`. */
  stateDir: string;
  /** Airtable credentials (AIRTABLE_TOKEN, AIRTABLE_ENDPOINT_URL); the base id comes from the journal. */
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** Take over a stale lock left by another dead run. */
  breakStaleLock?: boolean;
}

/** The systems a journal wrote to, opened for resume or rollback. */
export interface OpenSystems {
  contents: JournalContents;
  local?: LocalTable;
  airtable?: AirtableUndo;
  lock: Lock;
  close(): void;
}

/** Opens a run's journal, locks what it wrote to, and connects to those systems. */
export function openSystems(runId: string, options: RecoveryOptions): OpenSystems {
  const file = journalPath(options.stateDir, runId);
  if (!fs.existsSync(file)) throw new BackupError(`There is no journal for run ${runId} in ${options.stateDir}; check the run id (the report and the log name it) and the state directory.`);
  const contents = readJournal(file);
  const env = options.env ?? process.env;
  const resources = contents.targets.map((t) => (t.system === 'local' ? t.database : `airtable:${t.base_id}`));
  const lock = acquireLock(options.stateDir, resources, { runId, breakStale: options.breakStaleLock });
  let db: Db | undefined;
  let client: AirtableTable | undefined;
  try {
    const localTarget = contents.targets.find((t) => t.system === 'local');
    const airtableTarget = contents.targets.find((t) => t.system === 'airtable');
    let local: LocalTable | undefined;
    let airtable: AirtableUndo | undefined;
    if (localTarget?.system === 'local') {
      db = openDatabase(localTarget.database, { who: 'journal' });
      local = new LocalTable(db, localTarget);
    }
    if (airtableTarget?.system === 'airtable') {
      if (!env.AIRTABLE_TOKEN) throw new BackupError(`Run ${runId} wrote to Airtable base ${airtableTarget.base_id}: set AIRTABLE_TOKEN in the environment to reach it.`);
      client = new AirtableTable({ token: env.AIRTABLE_TOKEN, baseId: airtableTarget.base_id, endpointUrl: env.AIRTABLE_ENDPOINT_URL || undefined, table: airtableTarget.table }, { log: options.log });
      airtable = new AirtableUndo(client, airtableTarget);
    }
    return {
      contents, local, airtable, lock,
      close() {
        db?.close();
        client?.close();
        lock.release();
      },
    };
  } catch (error) {
    db?.close();
    client?.close();
    lock.release();
    throw error;
  }
}

/** Finds out, for every operation whose outcome the journal lacks, whether it was applied; records the answer. */
export async function settleUnknown(systems: OpenSystems, journal: RunJournal, log: Logger): Promise<number> {
  let settled = 0;
  for (const op of systems.contents.ops) {
    if (op.result || op.undo) continue;
    const probe = op.system === 'local' ? systems.local?.probe(op) : await systems.airtable?.probe(op);
    if (!probe) continue;
    op.result = probe.applied
      ? { status: 'applied', ...(probe.id !== undefined ? { id: probe.id } : {}) }
      : { status: 'skipped', error: 'not applied before the run was interrupted' };
    journal.settle([op.seq], [op.result]);
    settled++;
  }
  if (settled) log.info('Operations of unknown outcome looked up.', { operations: settled });
  return settled;
}

export interface RollbackResult {
  runId: string;
  undone: Record<SystemName, number>;
  /** Journaled operations that had not been applied, so there was nothing to undo. */
  not_applied: number;
  /** Records changed since the run wrote them, left as they are (use `force` to overwrite). */
  conflicts: string[];
  /** Local links moved to Airtable records that came back with new ids. */
  relinked: number;
  /** Records the run deleted that the rollback recreated under a new id (Airtable never reuses one). */
  recreated: Array<{ system: SystemName; old_id: string; new_id: string }>;
  /** Links of the sync state set straight (dropped or moved to a new id), when the run had one. */
  state_links?: number;
  /** The rollback's report file (rollback.json beside the journal), listing `recreated`. */
  report?: string;
}

/**
 * Undoes a run from its journal, newest operation first: updates get the values they replaced
 * back (locally the whole row as it was, modified time included), creates are deleted, deletes
 * recreated. Operations of unknown outcome are looked up first. Each undo is journaled, so an
 * interrupted rollback can be run again. `systems` limits it to one system (partial rollback).
 * A record changed since the run wrote it is a conflict: reported and left alone unless `force`.
 */
export async function rollbackRun(runId: string, options: RecoveryOptions & { systems?: SystemName[]; force?: boolean }): Promise<RollbackResult> {
  const log = options.log ?? silentLogger();
  const systems = openSystems(runId, options);
  const wanted = new Set<SystemName>(options.systems ?? ['local', 'airtable']);
  const journal = new RunJournal(systems.contents.file, runId, { quiet: true });
  const result: RollbackResult = { runId, undone: { local: 0, airtable: 0 }, not_applied: 0, conflicts: [], relinked: 0, recreated: [] };
  try {
    await settleUnknown(systems, journal, log);
    const ops = systems.contents.ops.filter((op) => !op.undo && wanted.has(op.system)).reverse();
    const record = (op: JournaledOp, outcome: UndoOutcome): void => {
      if (outcome.conflict) {
        result.conflicts.push(outcome.conflict);
        return;
      }
      if (outcome.newId && op.id) result.recreated.push({ system: op.system, old_id: op.id, new_id: outcome.newId });
      if (outcome.newId && op.id && systems.local) result.relinked += systems.local.relink(op.id, outcome.newId);
      journal.undone(op.seq, 'undone', outcome.newId);
      result.undone[op.system]++;
    };
    for (let i = 0; i < ops.length;) {
      const op = ops[i]!;
      if (op.result?.status !== 'applied') {
        journal.undone(op.seq, 'not_applied');
        result.not_applied++;
        i++;
        continue;
      }
      if (op.system === 'local') {
        record(op, undoLocal(systems, op, options.force ?? false));
        i++;
        continue;
      }
      // Consecutive applied Airtable operations on distinct records are undone together, in few requests.
      const group: JournaledOp[] = [];
      const touched = new Set<string>();
      for (; i < ops.length && group.length < 50; i++) {
        const next = ops[i]!;
        const id = next.result?.id ?? next.id ?? '';
        if (next.system !== 'airtable' || next.result?.status !== 'applied' || touched.has(id)) break;
        touched.add(id);
        group.push(next);
      }
      if (!systems.airtable) {
        for (const g of group) record(g, { conflict: `Airtable operation ${g.seq} has no base in the journal` });
        continue;
      }
      const outcomes = await systems.airtable.undoMany(group, options.force ?? false);
      group.forEach((g, n) => record(g, outcomes[n]!));
    }
    if (systems.local && wanted.has('local')) checkIntegrity(systems.local.target.database, 'rollback');
    result.state_links = linksAfterRollback(readJournal(systems.contents.file));
    result.report = writeRollbackReport(systems.contents.file, result);
    const partial = wanted.size < 2 ? ` (${[...wanted].join(', ')} only)` : '';
    journal.end('rolled_back', result.conflicts.length ? `${result.conflicts.length} conflict(s) left alone${partial}` : partial ? `partial${partial}` : undefined);
    log.info('Run rolled back.', { run_id: runId, ...result.undone, not_applied: result.not_applied, conflicts: result.conflicts.length, relinked: result.relinked, recreated: result.recreated.length, report: result.report });
    return result;
  } finally {
    journal.close();
    systems.close();
  }
}

function undoLocal(systems: OpenSystems, op: JournaledOp, force: boolean): UndoOutcome {
  if (!systems.local) return { conflict: `local operation ${op.seq} has no database in the journal` };
  const conflict = systems.local.db.transaction(() => systems.local!.undo(op, force)).immediate();
  return conflict ? { conflict } : {};
}
