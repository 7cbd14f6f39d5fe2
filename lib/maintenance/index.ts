import path from 'node:path';
import type { Logger } from '../core/log.js';
import { defaultStateDir } from '../core/private-files.js';
import { isPostgresUrl } from '../postgres/side.js';
import type { SystemName } from '../safety/recover.js';
import { EXIT, type MaintenanceCommand, type MaintenanceOverrides } from './commands.js';
import { localFileProblem } from './local-file.js';
import { showPostgresLock, usePostgresEnvironment, usesPostgres } from './postgres.js';
import { reportError } from './output.js';
import { recover } from './recovery.js';
import { useSampleData, type SampleData } from './sample.js';
import { runOnSchedule, type Schedule } from './schedule.js';
import { checkedDecisionsFile, showReview } from './review.js';
import { showStatus } from './status.js';
import { findUserConfig, ownDataNeeds, ownDataProblem } from './user-config.js';

/**
 * The maintenance command layer: what `db-maintenance` does once its command line is read.
 *
 * - commands.ts: each command's bundled pipeline, the flags as stage overrides, the exit codes.
 * - run.ts: one run of a command (plan, confirm, apply under the guard); confirm.ts shows the plan
 *   and asks; schedule.ts runs it again `--every` so often.
 * - recovery.ts: `--resume` and `--rollback` of an earlier run; status.ts: `--status`; review.ts:
 *   `--review` and the decisions file of `--apply-decisions`.
 * - sample.ts: `--sample` (a sample database and an emulated base); user-config.ts: the user's
 *   own configuration file and environment; init/: `--init`, a configuration proposed from the
 *   user's database and base; output.ts: summaries and errors as the user sees them.
 *
 * It sets the process environment the pipelines read (LEADS_DB, LEADS_DATA_DIR, BACKUP and, with
 * --sample, the emulator's endpoint), as the command line asks.
 */

/** The commands that run here (`--init` has its own entry, init/). */
export type CommandName = MaintenanceCommand | 'resume' | 'rollback' | 'status' | 'review';

/** A db-maintenance command line, read. */
export interface MaintenanceRequest {
  command: CommandName;
  /** What `--restore BACKUP`, `--resume RUN`, `--rollback RUN` or `--apply-decisions FILE` names. */
  argument?: string;
  /** `--system`: a rollback in one system only. */
  system?: SystemName;
  dryRun: boolean;
  yes: boolean;
  sample: boolean;
  /** `--config FILE` as given. */
  config?: string;
  /** `--data-dir DIR` as given (default ./data). */
  dataDir?: string;
  /** `--database FILE` as given. */
  database?: string;
  every?: Schedule;
  overrides: MaintenanceOverrides;
  /** Sets up Ctrl-C for a run (only a command that runs a pipeline takes it over). */
  interruptSignal: () => AbortSignal;
}

/** Carries out a command; returns its exit code (EXIT). */
export async function runMaintenance(request: MaintenanceRequest, log: Logger): Promise<number> {
  const { command, sample } = request;
  const dataDir = path.resolve(request.dataDir ?? 'data');
  if (command === 'review') return showReview(request.dataDir === undefined && process.env.LEADS_DATA_DIR ? process.env.LEADS_DATA_DIR : dataDir);
  let overrides = request.overrides;
  if (command === 'apply-decisions') {
    // Checked before anything else, sample data included: a bad file changes nothing.
    try {
      overrides = { ...overrides, decisionsFile: checkedDecisionsFile(String(request.argument)) };
    } catch (error) {
      return reportError(error, log);
    }
  }
  // A recovery writes only where it is pointed: --database, else LEADS_DB (never a journal's or manifest's path).
  if (request.database !== undefined) process.env.LEADS_DB = isPostgresUrl(request.database) ? request.database : path.resolve(request.database);
  const localFile = request.overrides.localFile;
  const fileProblem = localFile === undefined ? undefined : localFileProblem(command, request.dryRun);
  if (fileProblem) {
    process.stderr.write(`${fileProblem}\n`);
    return EXIT.config;
  }
  if (!sample) {
    // An export given with --local-file stands in for the database: LEADS_DB is not needed then.
    const needs = ownDataNeeds(command, request.system, process.env).filter((name) => localFile === undefined || name !== 'LEADS_DB');
    const problem = ownDataProblem(process.env, needs);
    if (problem) {
      process.stderr.write(`${problem}\n`);
      return EXIT.config;
    }
  }
  // Sample data is shaped by the bundled field mapping: a file in the working directory is the user's, for their own data.
  const configFile = sample ? (request.config === undefined ? undefined : path.resolve(request.config)) : findUserConfig(request.config);
  let sampleData: SampleData | undefined;
  try {
    // The pipelines find the database and the data directory through these variables.
    if (request.dataDir !== undefined || !process.env.LEADS_DATA_DIR || sample) process.env.LEADS_DATA_DIR = dataDir;
    if (sample) sampleData = await useSampleData(command, dataDir, request.config !== undefined, log);
    // Journals and locks: LEADS_STATE_DIR, else beside the database.
    const stateDir =
      !sample && localFile === undefined && usesPostgres(process.env)
        ? usePostgresEnvironment(process.env, dataDir)
        : process.env.LEADS_STATE_DIR || defaultStateDir(process.env.LEADS_DB || path.resolve(localFile ?? 'data/leads.db'));
    if (command === 'status') {
      const code = showStatus(stateDir);
      if (!sample && usesPostgres(process.env)) await showPostgresLock(process.env, configFile);
      return code;
    }
    const { dryRun, yes } = request;
    if (command === 'resume' || command === 'rollback')
      return await recover(command, String(request.argument), { system: request.system, dryRun, yes, stateDir }, log);
    if (command === 'restore') process.env.BACKUP = path.resolve(String(request.argument));
    // Sample data is the tool's own: no confirmation needed to clean it.
    const settings = { dryRun, yes: yes || (sample && command !== 'restore'), configFile, stateDir, log, signal: request.interruptSignal() };
    return await runOnSchedule(command, overrides, settings, request.every);
  } catch (error) {
    return reportError(error, log);
  } finally {
    await sampleData?.close();
  }
}
