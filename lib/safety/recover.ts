import fs from 'node:fs';
import type { Logger } from '../core/log.js';
import { AirtableTable } from './airtable.js';
import { BackupError, UnknownRunError } from './errors.js';
import { readJournal, type JournalContents } from '../core/journal-read.js';
import { journalPath, type RunJournal } from '../core/journal.js';
import type { LocalRecovery } from './local-side.js';
import { acquireLock, type Lock } from './lock.js';
import { localSideOf } from './sides.js';
import { AirtableUndo } from './remote.js';
import { configuredTargets, type ConfiguredTargets } from './targets.js';

export type SystemName = 'local' | 'airtable';

/** How to reach a run's journal and its systems. */
export interface RecoveryOptions extends ConfiguredTargets {
  /** The state directory holding `runs/<runId>/journal.jsonl`. */
  stateDir: string;
  /** Airtable credentials (AIRTABLE_TOKEN, AIRTABLE_ENDPOINT_URL); the base id comes from the configuration, else the journal. */
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** Take over a stale lock left by another dead run. */
  breakStaleLock?: boolean;
  /** Plan only: no lock, no journal line, the database opened read-only, no Airtable write. */
  dryRun?: boolean;
  /** How long one try waits for a database locked by another program (default 5000 ms). */
  busyTimeoutMs?: number;
  /** How many tries before a locked database stops the recovery (default 3). */
  lockAttempts?: number;
}

/** The systems a journal wrote to, opened for resume or rollback. */
export interface OpenSystems {
  contents: JournalContents;
  local?: LocalRecovery;
  airtable?: AirtableUndo;
  lock?: Lock;
  close(): Promise<void>;
}

/** A run's journal, or UnknownRunError (exit 2) when there is none. */
export function runJournal(runId: string, stateDir: string): JournalContents {
  let file: string;
  try {
    file = journalPath(stateDir, runId);
  } catch (error) {
    throw new UnknownRunError(`${(error as Error).message} --status lists the recent runs.`);
  }
  if (!fs.existsSync(file))
    throw new UnknownRunError(
      `There is no run ${runId} in ${stateDir} (no journal); --status lists the recent runs, and the report and the log name each run.`,
    );
  return readJournal(file);
}

/**
 * Opens a run's journal, locks what it wrote to, and connects to those systems: the database and
 * base the configuration names (see `configuredTargets`), never merely the ones the journal names.
 * The local side is a SQLite file or a PostgreSQL table (lib/safety/local-side.ts).
 */
export async function openSystems(runId: string, options: RecoveryOptions, stage: 'resume' | 'rollback' = 'rollback'): Promise<OpenSystems> {
  const contents = runJournal(runId, options.stateDir);
  contents.targets = configuredTargets(contents, stage, options, options.log);
  const env = options.env ?? process.env;
  const localTarget = contents.targets.find((t) => t.system === 'local');
  const airtableTarget = contents.targets.find((t) => t.system === 'airtable');
  // A PostgreSQL journal names the server without its password: the configured URL (LEADS_DB) has it, if any.
  const side = localTarget?.system === 'local' ? localSideOf(options.database ?? localTarget.database, { table: localTarget.table, who: stage }) : undefined;
  const others = airtableTarget?.system === 'airtable' ? [`airtable:${airtableTarget.base_id}`] : [];
  const lockOptions = { runId, breakStale: options.breakStaleLock };
  // A dry run leaves the run state as it is: no lock, even for a moment.
  const lock = options.dryRun ? undefined : side ? await side.lock(options.stateDir, others, lockOptions) : acquireLock(options.stateDir, others, lockOptions);
  let local: LocalRecovery | undefined;
  let client: AirtableTable | undefined;
  try {
    let airtable: AirtableUndo | undefined;
    if (side && localTarget?.system === 'local') {
      local = await side.recovery(localTarget, {
        who: stage,
        dryRun: options.dryRun,
        busyTimeoutMs: options.busyTimeoutMs,
        lockAttempts: options.lockAttempts,
        log: options.log,
      });
    }
    if (airtableTarget?.system === 'airtable') {
      if (!env.AIRTABLE_TOKEN)
        throw new BackupError(`Run ${runId} wrote to Airtable base ${airtableTarget.base_id}: set AIRTABLE_TOKEN in the environment to reach it.`);
      client = new AirtableTable(
        { token: env.AIRTABLE_TOKEN, baseId: airtableTarget.base_id, endpointUrl: env.AIRTABLE_ENDPOINT_URL || undefined, table: airtableTarget.table },
        { log: options.log, stage },
      );
      airtable = new AirtableUndo(client, airtableTarget);
    }
    return {
      contents,
      local,
      airtable,
      lock,
      async close() {
        await local?.close();
        client?.close();
        lock?.release();
      },
    };
  } catch (error) {
    await local?.close();
    client?.close();
    lock?.release();
    throw error;
  }
}

/**
 * Finds out, for every operation whose outcome the journal lacks, whether it was applied; records
 * the answer (in memory only without a journal: a dry run).
 */
export async function settleUnknown(systems: OpenSystems, journal: RunJournal | undefined, log: Logger, only?: SystemName): Promise<number> {
  let settled = 0;
  for (const op of systems.contents.ops) {
    if (op.result || op.undo || (only && op.system !== only)) continue;
    const probe = op.system === 'local' ? await systems.local?.probe(op) : await systems.airtable?.probe(op);
    if (!probe) continue;
    op.result = probe.applied
      ? { status: 'applied', ...(probe.id !== undefined ? { id: probe.id } : {}) }
      : { status: 'skipped', error: 'not applied before the run was interrupted' };
    journal?.settle([op.seq], [op.result]);
    settled++;
  }
  if (settled) log.info('Operations of unknown outcome looked up.', { operations: settled });
  return settled;
}
