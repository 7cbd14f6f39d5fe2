// The catalogue: pipelines name their stages, so every stage must be registered.
import '../../stages/index.js';
import path from 'node:path';
import type { Logger } from '../core/log.js';
import { displayPath } from '../core/paths.js';
import { loadPipeline } from '../core/pipeline.js';
import { runPipeline } from '../core/runner.js';
import { makeProgress, printSummary, reportError } from './output.js';

/** What `run-pipeline FILE` was asked to do with the file. */
export interface PipelineFileSettings {
  /** `--set STAGE.OPTION=VALUE`, read. */
  overrides: Record<string, Record<string, unknown>>;
  /** `--check`: load and check it, run nothing. */
  check: boolean;
  dryRun: boolean;
  /** `--rejects FILE` as given. */
  rejects?: string;
  /** Sets up Ctrl-C for the run. */
  interruptSignal: () => AbortSignal;
}

/** `run-pipeline FILE`: checks or runs a pipeline file; returns the exit code. */
export async function runPipelineFile(file: string, settings: PipelineFileSettings, log: Logger): Promise<number> {
  try {
    const displayName = displayPath(file);
    const pipeline = loadPipeline(file, { displayName, overrides: settings.overrides });
    if (settings.check) {
      process.stdout.write(`${displayName}: ok, ${pipeline.steps.length} step(s): ${pipeline.steps.map((s) => s.stage.name).join(' → ')}\n`);
      return 0;
    }
    const signal = settings.interruptSignal();
    log.info('Run started.', {
      pipeline: displayName,
      steps: pipeline.steps.map((s) => s.stage.name).join(' → '),
      ...(settings.dryRun ? { dry_run: true } : {}),
    });
    const summary = await runPipeline(pipeline, {
      dryRun: settings.dryRun,
      log,
      signal,
      progress: makeProgress(log, pipeline.config),
      rejects: settings.rejects ? path.resolve(settings.rejects) : undefined,
    });
    printSummary(summary, log);
    return 0;
  } catch (error) {
    return reportError(error, log);
  }
}
