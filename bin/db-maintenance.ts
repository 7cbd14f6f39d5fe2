#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { askOnTerminal, init } from '../lib/init/index.js';
import { startEmbeddedDefault, type EmbeddedDefault } from '../lib/embedded.js';
import { findUserConfig, OWN_DATA_VARIABLES, ownDataProblem, USER_CONFIG_FILE } from '../lib/user-config.js';
import type { Logger } from '../lib/log.js';
import type { MaintenanceOptions } from '../lib/types.js';
import { COMMAND_PIPELINES, CONFLICT_STRATEGIES, EXIT, maintenanceOptions, maintenancePipeline, parseDuration, plannedWrites, type MaintenanceCommand, type MaintenanceOverrides } from '../lib/maintenance.js';
import { runPipeline, type RunSummary } from '../lib/runner.js';
import { defaultStateDir, readJournal, resumeRun, rollbackRun, runGuarded, LockError, TargetMismatchError, UnknownRunError, type RollbackResult, type RolledBackError, type SystemName } from '../lib/safety/index.js';
import { redactText } from '../lib/redact.js';
import { finish, interruptSignal, makeLogger, makeProgress, printSummary, reportError, usage } from './cli.js';

const HELP = `Usage: db-maintenance COMMAND [options]

Keeps the lead database (SQLite) and the Airtable base clean and in step.

Commands (one):
  --full-maintenance     backup, standardize, remove duplicates, synchronize both ways, report
  --remove-duplicates    backup, then merge duplicate leads within each system
  --standardize-fields   backup, then standardize field values in both systems
  --sync-data            backup, then make both systems hold the same leads
  --backup-only          back up the database and the Airtable base, verified
  --restore BACKUP       put a backup (its directory or manifest.json) back into both systems
  --resume RUN           finish an interrupted run from its journal
  --rollback RUN         undo a run from its journal (with --system, in one system only)
  --status               recent runs, their outcome, locks held, and the latest report
  --init                 look at LEADS_DB and the Airtable base and write ./lead-maintenance.yaml
                         (or the --config FILE): a proposed mapping of your columns and fields;
                         never overwrites a file

Options:
  --sample               work on sample data: data/leads.db and an emulated Airtable base in
                         data/, created with messy sample leads the first time (no account
                         needed; your own database and base are never touched)
  --dry-run              plan everything and report it; change nothing anywhere
  --yes                  apply without asking (needed off a terminal, e.g. cron)
  --config FILE          the configuration (default: ./${USER_CONFIG_FILE} when there is one,
                         else the bundled defaults); one file holds maintenance_config and the
                         field mapping (field_mapping, or field_mapping_file)
  --no-backup            skip the backup step (not recommended)
  --engagement-status V  engagement status written into empty ones (e.g. Auto-Send)
  --matching-fields F,G  fields whose equal values make two leads one (e.g. email,linkedin_url)
  --conflict-strategy S  ${CONFLICT_STRATEGIES.join(', ')}
  --batch-size N         records per database transaction / Airtable request (at most 10 there)
  --incremental          read from Airtable only what changed since the last successful run
                         (a full scan still runs every synchronization.full_scan_every_hours)
  --full-scan            read everything, even when synchronization.incremental is on
  --every DURATION       run again every DURATION (30m, 6h, 1d), re-reading the configuration
                         before each run; needs --yes unless --dry-run
  --system SYSTEM        with --rollback: local or airtable only
  --table NAME           with --init: the local table holding the leads
  --airtable-table NAME  with --init: the Airtable table holding the leads
  --database FILE        with --restore, --resume, --rollback: the database to write (default LEADS_DB)
  --data-dir DIR         where the sample data, reports, backups and journals live (default ./data)
  --log-level LEVEL      error, warn, info (default) or debug
  --log-format FORMAT    text (default) or json
  -h, --help             this text

Your own data: set AIRTABLE_TOKEN (a personal access token), AIRTABLE_BASE_ID and LEADS_DB (the
SQLite file); with part of them missing it stops and says what is missing. Sample data is used
only with --sample.

Exit codes: ${EXIT.ok} done, ${EXIT.failed} failed, ${EXIT.config} configuration or usage problem, ${EXIT.rolledBack} rolled back,
${EXIT.alert} alert raised (error rate, backup, integrity, incomplete rollback), ${EXIT.needsConfirmation} confirmation needed (use --yes), ${EXIT.interrupted} interrupted.
`;

const COMMANDS = (Object.keys(COMMAND_PIPELINES) as MaintenanceCommand[]).filter((c) => c !== 'restore');
/** Commands that work on earlier runs and backups, or set up a configuration, rather than run a maintenance pipeline. */
const RECOVERY = ['restore', 'resume', 'rollback', 'status', 'init'] as const;

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        ...Object.fromEntries(COMMANDS.map((c) => [c, { type: 'boolean' as const }])),
        'dry-run': { type: 'boolean' }, yes: { type: 'boolean', short: 'y' }, config: { type: 'string' },
        'no-backup': { type: 'boolean' }, 'engagement-status': { type: 'string' }, 'matching-fields': { type: 'string' },
        'conflict-strategy': { type: 'string' }, incremental: { type: 'boolean' }, 'full-scan': { type: 'boolean' }, 'batch-size': { type: 'string' }, every: { type: 'string' },
        'data-dir': { type: 'string' }, restore: { type: 'string' }, resume: { type: 'string' }, rollback: { type: 'string' },
        status: { type: 'boolean' }, system: { type: 'string' }, database: { type: 'string' }, 'log-level': { type: 'string' }, 'log-format': { type: 'string' },
        sample: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
        init: { type: 'boolean' }, table: { type: 'string' }, 'airtable-table': { type: 'string' },
      },
    });
  } catch (error) {
    usage((error as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  const chosen = [...COMMANDS, ...RECOVERY].filter((c) => values[c] !== undefined && values[c] !== false);
  if (chosen.length !== 1) usage(chosen.length ? `choose one command, not ${chosen.map((c) => `--${c}`).join(' and ')}` : `choose a command: ${[...COMMANDS, ...RECOVERY].map((c) => `--${c}`).join(', ')}`);
  const command = chosen[0];
  if (values.system !== undefined && (command !== 'rollback' || !['local', 'airtable'].includes(String(values.system)))) usage('--system goes with --rollback and is local or airtable');
  if ((values.table ?? values['airtable-table']) !== undefined && command !== 'init') usage('--table and --airtable-table go with --init');
  if (command === 'init') {
    const options = { table: values.table as string | undefined, airtableTable: values['airtable-table'] as string | undefined, out: values.config as string | undefined };
    return init({ ...options, env: process.env, cwd: process.cwd(), ask: process.stdin.isTTY ? askOnTerminal : undefined, print: (text) => process.stderr.write(text), dryRun: Boolean(values['dry-run']), show: (text) => process.stdout.write(text) })
      .then(() => EXIT.ok, (error) => reportError(error, makeLogger(values['log-level'] as string | undefined, values['log-format'] as string | undefined)));
  }
  if (values.database !== undefined && !['restore', 'resume', 'rollback'].includes(command)) usage('--database goes with --restore, --resume or --rollback (elsewhere set LEADS_DB)');
  const dryRun = Boolean(values['dry-run']);
  let every: number | undefined;
  try {
    every = values.every === undefined ? undefined : parseDuration(String(values.every));
  } catch (error) {
    usage((error as Error).message);
  }
  if (every !== undefined && !dryRun && !values.yes) usage('--every runs unattended: add --yes (or --dry-run)');
  const overrides = parseOverrides(values);
  const log = makeLogger(values['log-level'] as string | undefined, values['log-format'] as string | undefined);
  const dataDir = path.resolve(String(values['data-dir'] ?? 'data'));

  const sample = Boolean(values.sample);
  // A recovery writes only where it is pointed: --database, else LEADS_DB (never a journal's or manifest's path).
  if (typeof values.database === 'string') process.env.LEADS_DB = path.resolve(values.database);
  if (!sample) {
    const problem = ownDataProblem(process.env, neededFor(command, values.system as SystemName | undefined));
    if (problem) {
      process.stderr.write(`${problem}\n`);
      return EXIT.config;
    }
  }
  // Sample data is shaped by the bundled field mapping: a file in the working directory is the user's, for their own data.
  const configFile = sample ? (values.config === undefined ? undefined : path.resolve(String(values.config))) : findUserConfig(values.config as string | undefined);

  let embedded: EmbeddedDefault | undefined;
  try {
    // The pipelines find the database and the data directory through these variables.
    if (values['data-dir'] !== undefined || !process.env.LEADS_DATA_DIR || sample) process.env.LEADS_DATA_DIR = dataDir;
    if (sample) {
      // Whatever the environment names (the user's database, base, state) is left alone.
      delete process.env.LEADS_STATE_DIR;
      if (command === 'status') process.env.LEADS_DB = path.join(dataDir, 'leads.db');
      else {
        embedded = await startEmbeddedDefault(dataDir);
        Object.assign(process.env, embedded.env);
        log.info(`--sample: running on SAMPLE data (${shown(embedded.database)} and an emulated Airtable base in ${shown(embedded.baseFile)}${embedded.createdDatabase || embedded.seededBase ? ', just created' : ''}). To use your own, set AIRTABLE_TOKEN, AIRTABLE_BASE_ID and LEADS_DB.`);
        if (values.config === undefined && findUserConfig(undefined)) log.info(`--sample uses the bundled configuration; ./${USER_CONFIG_FILE} is for your own data (give --config to use it here).`);
      }
    }
    // Journals and locks: LEADS_STATE_DIR, else beside the database.
    const stateDir = process.env.LEADS_STATE_DIR || defaultStateDir(process.env.LEADS_DB!);
    if (command === 'status') return status(stateDir);
    if (command === 'resume' || command === 'rollback') return await recover(command, String(values[command]), { system: values.system as SystemName | undefined, dryRun, yes: Boolean(values.yes), stateDir }, log);
    const signal = interruptSignal(log);
    for (;;) {
      if (command === 'restore') process.env.BACKUP = path.resolve(String(values.restore));
      // Sample data is the tool's own: no confirmation needed to clean it.
      const code = await runOnce(command, overrides, { dryRun, yes: Boolean(values.yes) || (sample && command !== 'restore'), configFile, stateDir, log, signal });
      if (every === undefined || code !== EXIT.ok || signal.aborted) return code;
      log.info(`Next run in ${values.every}.`);
      if (!(await sleep(every, signal))) return EXIT.interrupted;
    }
  } catch (error) {
    return reportError(error, log);
  } finally {
    await embedded?.close();
  }
}

interface RunSettings {
  stateDir: string;
  dryRun: boolean;
  yes: boolean;
  configFile?: string;
  log: Logger;
  signal: AbortSignal;
}

/** One run of a command: plans first when a person must confirm, then applies. */
async function runOnce(command: MaintenanceCommand | 'restore', overrides: MaintenanceOverrides, settings: RunSettings): Promise<number> {
  const { log, signal } = settings;
  try {
    // Loaded fresh for every run: configuration changes apply without a restart (seed R5.4).
    const load = () => maintenancePipeline(command, { ...overrides, env: process.env, configFile: settings.configFile });
    const run = async (dryRun: boolean): Promise<RunSummary> => {
      const pipeline = load();
      log.info(dryRun ? 'Planning (dry run): nothing will be changed.' : 'Run started.', { command, steps: pipeline.steps.map((s) => s.stage.name).join(' → ') });
      // Recorded in the journal, so --resume rebuilds the same pipeline: flags and --config included.
      const invocation: Invocation = {
        command, overrides, config_file: settings.configFile && path.resolve(settings.configFile),
        ...(command === 'restore' ? {} : { options: maintenanceOptions(command, { ...overrides, dryRun }) }),
      };
      const options = { dryRun, log, signal, progress: makeProgress(log), stateDir: settings.stateDir, pipelineFile: pipeline.file, invocation: { ...invocation } };
      // A live run is guarded: too many failures, a damaged database or a crash roll it back.
      return dryRun ? runPipeline(pipeline, options) : runGuarded(pipeline, options);
    };

    if (settings.dryRun) {
      const summary = await run(true);
      printSummary(summary, log);
      printPlan(summary, 'would change');
      return EXIT.ok;
    }
    if (!settings.yes) {
      if (!process.stdin.isTTY) {
        process.stderr.write(`db-maintenance --${command} changes your data and asks first, but this is not a terminal.\nRun it with --yes to apply without asking (e.g. from cron), or with --dry-run to see what it would do.\n`);
        return EXIT.needsConfirmation;
      }
      const plan = await run(true);
      const { total } = printPlan(plan, 'will change');
      if (total === 0) {
        process.stderr.write('Nothing to change.\n');
        return EXIT.ok;
      }
      if (!(await confirm(`Apply these ${total} change(s)? [y/N] `))) {
        process.stderr.write('Nothing was changed.\n');
        return EXIT.ok;
      }
    }
    const summary = await run(false);
    printSummary(summary, log);
    const { total } = printPlan(summary, 'changed', ['applied']);
    if (total === 0) process.stderr.write('Zero changes: both systems were already clean and in step.\n');
    return EXIT.ok;
  } catch (error) {
    const failure = error as RolledBackError;
    const code = reportError(error, log);
    if (failure.rollback) {
      process.stderr.write(`The run was rolled back: ${failure.rollback.undone.local} local and ${failure.rollback.undone.airtable} Airtable change(s) undone.\n`);
      printRecreated(failure.rollback);
      return EXIT.rolledBack;
    }
    return failure.alert ? EXIT.alert : code;
  }
}

/** How db-maintenance started a run, as its journal records it. */
interface Invocation {
  command: MaintenanceCommand | 'restore';
  overrides: MaintenanceOverrides;
  config_file?: string;
  /** The same in the seed's terms, for people reading the journal. */
  options?: MaintenanceOptions;
}

/** The pipeline of a run started by db-maintenance, built again from its journal's record (else the journal's pipeline file is used). */
function rebuild(recorded: Record<string, unknown> | undefined) {
  const invocation = recorded as Invocation | undefined;
  if (!invocation?.command || invocation.command === 'restore' || !(invocation.command in COMMAND_PIPELINES)) return undefined;
  return maintenancePipeline(invocation.command, { ...invocation.overrides, env: process.env, configFile: invocation.config_file });
}

/** How --resume / --rollback was asked for. */
interface RecoverSettings {
  system?: SystemName;
  dryRun: boolean;
  yes: boolean;
  stateDir: string;
}

/**
 * --resume RUN / --rollback RUN: finish or undo a run from its journal, on the database and base
 * the configuration names (LEADS_DB or --database, AIRTABLE_BASE_ID). With --dry-run it plans only.
 */
async function recover(what: 'resume' | 'rollback', runId: string, settings: RecoverSettings, log: Logger): Promise<number> {
  const { system, dryRun, stateDir } = settings;
  const targets = { stateDir, env: process.env, log, dryRun, database: process.env.LEADS_DB, baseId: process.env.AIRTABLE_BASE_ID || undefined, confirmed: settings.yes };
  try {
    if (what === 'resume') {
      const result = await resumeRun(runId, { ...targets, run: { log, stateDir }, pipeline: (journal) => rebuild(journal.invocation) });
      if (result.summary) printSummary(result.summary, log);
      if (dryRun && result.summary) printPlan(result.summary, 'would change');
      process.stderr.write(result.already_complete ? `Run ${runId} had completed; nothing to resume.\n`
        : dryRun ? `Run ${runId} would be resumed (dry run, nothing changed): ${result.settled} operation(s) of unknown outcome looked up, ${result.linked} link(s) to set.\n`
          : `Run ${runId} resumed and finished (${result.settled} operation(s) of unknown outcome looked up, ${result.linked} link(s) set).\n`);
      return EXIT.ok;
    }
    const result = await rollbackRun(runId, { ...targets, systems: system ? [system] : undefined });
    const where = system ? ` in ${system === 'local' ? 'the local database' : 'Airtable'}` : '';
    process.stderr.write(dryRun
      ? `Run ${runId} would be rolled back${where} (dry run, nothing changed): ${result.undone.local} local and ${result.undone.airtable} Airtable change(s) would be undone.\n`
      : `Run ${runId} rolled back${where}: ${result.undone.local} local and ${result.undone.airtable} Airtable change(s) undone.\n`);
    if (result.conflicts.length) process.stderr.write(`${result.conflicts.length} record(s) changed since the run ${dryRun ? 'would be' : 'were'} left alone:\n  ${result.conflicts.slice(0, 20).join('\n  ')}\n`);
    if (system) {
      const other = system === 'local' ? 'Airtable' : 'the local database';
      if (result.dangling_links) process.stderr.write(`WARNING: ${result.dangling_links} link(s) between a local lead and an Airtable record ${dryRun ? 'would be' : 'are'} left dangling (one side undone, the other not).\n`);
      process.stderr.write(`The run's changes in ${other} are ${dryRun ? 'not part of this plan' : 'still applied'}; to undo them too: db-maintenance --rollback ${runId}\n`);
    }
    if (!dryRun) printRecreated(result);
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

/** Says which records a rollback brought back under new ids, and where the old → new list is. */
function printRecreated(result: RollbackResult): void {
  if (!result.recreated.length) return;
  const shownIds = result.recreated.slice(0, 5).map((r) => `${r.old_id} → ${r.new_id}`).join(', ');
  process.stderr.write(`${result.recreated.length} record(s) the run deleted were recreated with NEW ids (Airtable never reuses an id; links to the old ids from elsewhere must be updated): ${shownIds}${result.recreated.length > 5 ? ', …' : ''}.\n`
    + (result.report ? `Every old → new id is listed in ${result.report}.\n` : ''));
}

/** --status: the recent runs from their journals, the locks held, and the latest report. */
function status(stateDir: string): number {
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
  if (fs.existsSync(latest)) {
    const result = JSON.parse(fs.readFileSync(latest, 'utf8')) as { operation_id: string; success: boolean; end_time: string; duplicates_removed: number; records_standardized: number; records_synchronized: number };
    process.stdout.write(`Latest report: run ${result.operation_id}, ${result.success ? 'succeeded' : 'FAILED'} at ${result.end_time}: ${result.duplicates_removed} duplicate(s) removed, ${result.records_standardized} record(s) standardized, ${result.records_synchronized} synchronized (${path.dirname(latest)}/report.html)\n`);
  }
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

/** The environment a command needs on the user's own data: status reads run state only; a local rollback needs no Airtable. */
function neededFor(command: string, system: SystemName | undefined): readonly string[] {
  if (command === 'status') return process.env.LEADS_STATE_DIR ? [] : ['LEADS_DB'];
  if (command === 'rollback' && system === 'local') return ['LEADS_DB'];
  return OWN_DATA_VARIABLES;
}

/** A path as the user would type it: relative when below the working directory. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative;
}

/** Prints the operations of a run by system and action; returns how many there were. */
function printPlan(summary: RunSummary, verb: string, statuses?: string[]): { total: number } {
  const { total, lines } = plannedWrites(summary.operations, statuses);
  if (total > 0) process.stderr.write(`This run ${verb}:\n${lines.join('\n')}\n`);
  return { total };
}

async function confirm(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

function parseOverrides(values: Record<string, string | boolean | undefined>): MaintenanceOverrides {
  const overrides: MaintenanceOverrides = { noBackup: Boolean(values['no-backup']) };
  if (values.incremental && values['full-scan']) usage('choose --incremental or --full-scan, not both');
  if (values.incremental) overrides.incremental = true;
  if (values['full-scan']) overrides.incremental = false;
  if (typeof values['engagement-status'] === 'string') overrides.engagementStatus = values['engagement-status'];
  if (typeof values['matching-fields'] === 'string') {
    overrides.matchingFields = values['matching-fields'].split(',').map((f) => f.trim()).filter(Boolean);
    if (!overrides.matchingFields.length) usage('--matching-fields needs at least one field, e.g. email,linkedin_url');
  }
  if (typeof values['conflict-strategy'] === 'string') {
    if (!CONFLICT_STRATEGIES.includes(values['conflict-strategy'])) usage(`--conflict-strategy must be one of ${CONFLICT_STRATEGIES.join(', ')}`);
    overrides.conflictStrategy = values['conflict-strategy'];
  }
  if (typeof values['batch-size'] === 'string') {
    const n = Number(values['batch-size']);
    if (!Number.isInteger(n) || n < 1) usage('--batch-size must be a whole number of at least 1');
    overrides.batchSize = n;
  }
  return overrides;
}

/** Waits, unless interrupted; true when the wait ran out. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(true); }, ms);
    const onAbort = (): void => { clearTimeout(timer); resolve(false); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

finish(await main());
