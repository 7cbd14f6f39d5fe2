// The catalogue: pipelines name their stages, so every stage must be registered.
import '../../stages/index.js';
import path from 'node:path';
import type { Logger } from '../core/log.js';
import { runPipeline, type RunSummary } from '../core/runner.js';
import { runGuarded, type RolledBackError } from '../safety/guard.js';
import { EXIT, maintenanceOptions, maintenancePipeline, type Invocation, type MaintenanceCommand, type MaintenanceOverrides } from './commands.js';
import { confirm, printPlan } from './confirm.js';
import { makeProgress, printSummary, reportError } from './output.js';
import { printRecreated } from './recovery.js';

/** How one run of a command goes: where its state lives, whether it only plans, whether it asks first. */
export interface RunSettings {
  stateDir: string;
  dryRun: boolean;
  yes: boolean;
  configFile?: string;
  log: Logger;
  signal: AbortSignal;
}

/** One run of a command: plans first when a person must confirm, then applies. */
export async function runOnce(command: MaintenanceCommand, overrides: MaintenanceOverrides, settings: RunSettings): Promise<number> {
  const { log } = settings;
  try {
    const run = (dryRun: boolean): Promise<RunSummary> => runCommandPipeline(command, overrides, settings, dryRun);
    if (settings.dryRun) {
      const summary = await run(true);
      printSummary(summary, log);
      printPlan(summary, 'would change');
      return EXIT.ok;
    }
    if (!settings.yes) {
      if (!process.stdin.isTTY) {
        process.stderr.write(
          `db-maintenance --${command} changes your data and asks first, but this is not a terminal.\nRun it with --yes to apply without asking (e.g. from cron), or with --dry-run to see what it would do.\n`,
        );
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
      process.stderr.write(
        `The run was rolled back: ${failure.rollback.undone.local} local and ${failure.rollback.undone.airtable} Airtable change(s) undone.\n`,
      );
      printRecreated(failure.rollback);
      return EXIT.rolledBack;
    }
    return failure.alert ? EXIT.alert : code;
  }
}

/** Loads the command's pipeline and runs it once: planning only, or live under the guard. */
async function runCommandPipeline(command: MaintenanceCommand, overrides: MaintenanceOverrides, settings: RunSettings, dryRun: boolean): Promise<RunSummary> {
  const { log, signal } = settings;
  // Loaded fresh for every run: configuration changes apply without a restart (seed R5.4).
  const pipeline = maintenancePipeline(command, { ...overrides, env: process.env, configFile: settings.configFile });
  log.info(dryRun ? 'Planning (dry run): nothing will be changed.' : 'Run started.', { command, steps: pipeline.steps.map((s) => s.stage.name).join(' → ') });
  // Recorded in the journal, so --resume rebuilds the same pipeline: flags and --config included.
  const invocation: Invocation = {
    command,
    overrides,
    config_file: settings.configFile && path.resolve(settings.configFile),
    ...(command === 'restore' ? {} : { options: maintenanceOptions(command, { ...overrides, dryRun }) }),
  };
  const options = {
    dryRun,
    log,
    signal,
    progress: makeProgress(log, pipeline.config),
    stateDir: settings.stateDir,
    pipelineFile: pipeline.file,
    invocation: { ...invocation },
  };
  // A live run is guarded: too many failures, a damaged database or a crash roll it back.
  return dryRun ? runPipeline(pipeline, options) : runGuarded(pipeline, options);
}
