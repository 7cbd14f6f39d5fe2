import path from 'node:path';
import { finished } from 'node:stream/promises';
import type { Duplex } from 'node:stream';
import { stageStream } from './adapter.js';
import { NO_CONFIG, type LoadedConfig } from './config.js';
import { closeRun, newCounters, openRun, stageContext, type RunSettings } from './context.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { didYouMean } from './options.js';
import { firstStepIssue, resolveOptions, type Pipeline, type PipelineStep } from './pipeline.js';
import { stages } from './registry.js';
import type { OnErrorPolicy, Stage, StageCounters } from './stage.js';

/** A step given in code: the stage's name and its options. */
export type StepDefinition = { [stage: string]: Record<string, unknown> | null } | [string, Record<string, unknown>?];

/**
 * Builds a pipeline from steps written in code, checked exactly as a YAML file is (relative paths
 * resolve from `baseDir`, defaulting to the working directory). Throws a ConfigError listing
 * every problem.
 */
export function definePipeline(
  steps: StepDefinition[],
  settings: { config?: LoadedConfig; rejects?: string; baseDir?: string; description?: string } = {},
): Pipeline {
  const config = settings.config ?? NO_CONFIG;
  const baseDir = settings.baseDir ?? process.cwd();
  const issues: ConfigIssue[] = [];
  const resolved: PipelineStep[] = [];
  steps.forEach((step, index) => {
    const [name, given] = Array.isArray(step) ? step : (Object.entries(step)[0] ?? ['', {}]);
    const stage = lookupStage(name, `steps[${index}]`, issues);
    if (!stage) return;
    const options = resolveOptions(stage, given ?? {}, { label: name, baseDir, locate: () => undefined }, config, issues);
    resolved.push({ stage, options });
  });
  const firstIssue = resolved.length === steps.length ? firstStepIssue(resolved) : undefined;
  if (firstIssue) issues.push(firstIssue);
  if (issues.length) throw new ConfigError(issues);
  return { description: settings.description, config, rejects: path.resolve(baseDir, settings.rejects ?? 'rejects.jsonl'), steps: resolved };
}

function lookupStage(name: string, where: string, issues: ConfigIssue[]): Stage<any> | undefined {
  const stage = Object.hasOwn(stages, name) ? stages[name] : undefined;
  if (!stage) issues.push({ path: where, message: `unknown stage "${name}"${didYouMean(name, Object.keys(stages))}` });
  return stage;
}

/**
 * One stage as a Node object stream, for use in another script's own `pipeline()`. Its options
 * are checked as in a pipeline file (ConfigError on any problem). The stream's `counters` show
 * what passed; run-wide resources (rejects file, scratch space) are released when it ends.
 */
export async function createStage(
  name: string,
  options: Record<string, unknown> = {},
  settings: RunSettings & { config?: LoadedConfig; first?: boolean } = {},
): Promise<Duplex & { counters: StageCounters }> {
  const issues: ConfigIssue[] = [];
  const stage = lookupStage(name, name, issues);
  const config = settings.config ?? NO_CONFIG;
  const resolved = stage
    ? resolveOptions(stage, options, { label: name, baseDir: settings.baseDir ?? process.cwd(), locate: () => undefined }, config, issues)
    : {};
  if (!stage || issues.length) throw new ConfigError(issues);
  const run = openRun({ ...settings, config });
  const counters = newCounters(name);
  run.counters = [counters];
  const ctx = stageContext(run, name, 0, counters, resolved.on_error as OnErrorPolicy);
  const instance = await stage.create(resolved, ctx);
  const stream = stageStream(instance, ctx, counters, settings.first ?? stage.kind === 'source');
  finished(stream)
    .catch(() => undefined)
    .finally(() => closeRun(run).catch(() => undefined));
  return Object.assign(stream as Duplex, { counters });
}
