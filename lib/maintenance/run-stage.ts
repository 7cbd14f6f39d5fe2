import path from 'node:path';
import { loadConfig, type LoadedConfig } from '../core/config.js';
import { definePipeline } from '../core/embed.js';
import type { Logger } from '../core/log.js';
import { defaultConfig } from '../core/pipeline.js';
import { stages } from '../../stages/index.js';
import { runPipeline } from '../core/runner.js';
import { makeProgress, printSummary, reportError } from './output.js';

/** How `run-stage STAGE` runs, beside the stage's own options. */
export interface OneStageSettings {
  /** `--config FILE` as given: the configuration defaults come from (else the bundled one). */
  config?: string;
  dryRun: boolean;
  /** `--rejects FILE` as given. */
  rejects?: string;
  /** Sets up Ctrl-C for the run. */
  interruptSignal: () => AbortSignal;
}

/**
 * `run-stage STAGE`: one stage over JSON Lines, stdin to stdout (a source reads its own input;
 * read-jsonl and write-jsonl are not added twice, nor write-jsonl after write-csv); returns the exit code. The counts are shown
 * when records were rejected or the log is at info or below.
 */
export async function runOneStage(name: string, options: Record<string, unknown>, settings: OneStageSettings, log: Logger): Promise<number> {
  try {
    const config: LoadedConfig = typeof settings.config === 'string' ? loadConfig(path.resolve(settings.config), settings.config) : defaultConfig();
    const steps: Array<[string, Record<string, unknown>]> = [];
    if (stages[name].kind !== 'source') steps.push(['read-jsonl', {}]);
    steps.push([name, options]);
    // A file writer's output is its text, on stdout or in its file: JSON Lines after it would mix
    // into that text, or pour the records onto the terminal beside the file.
    const writesItsOwnOutput = name === 'write-jsonl' || name === 'write-csv';
    if (!writesItsOwnOutput) steps.push(['write-jsonl', {}]);
    const pipeline = definePipeline(steps, { config, rejects: settings.rejects ?? 'rejects.jsonl' });
    const summary = await runPipeline(pipeline, {
      dryRun: settings.dryRun,
      log,
      signal: settings.interruptSignal(),
      progress: makeProgress(log, config),
    });
    if (summary.rejected > 0 || log.level === 'info' || log.level === 'debug') printSummary(summary, log);
    return 0;
  } catch (error) {
    return reportError(error, log);
  }
}
