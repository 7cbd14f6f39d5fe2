import os from 'node:os';
import type { RunResources } from '../core/context.js';
import type { LineRules } from '../core/jsonl-read.js';
import type { Lead } from '../core/record.js';
import type { ParallelOptions } from '../core/multi-core.js';
import { capabilitiesOf, markSerializedOutput, type StepOf } from './capabilities.js';

export type { ParallelOptions, SegmentRun } from '../core/multi-core.js';

/**
 * A run that goes on every core (segment.ts): a stage that reads JSON Lines, stages whose records
 * are independent, and a stage that writes JSON Lines; the stage before the writer may instead be
 * one that takes the workers' lines.
 */
export interface ParallelPlan {
  steps: StepOf[];
  workers: number;
  options: ParallelOptions;
  /** Where the first step reads from, and how it reads lines. */
  read: { path: string; rules: LineRules };
  /** Where the last step writes to, and whether without `_meta`. */
  write: { path: string; stripMeta: boolean };
  /** The step that takes the workers' lines, and its line maker; when absent the lines go to the writer. */
  lines?: { step: number; lineOf: (record: Lead) => string };
}

/** The worker count a run uses: as given, else one per core unless the config's `performance.enable_parallel_processing` is false. */
export function parallelWorkers(options: ParallelOptions = {}, config: Record<string, unknown> = {}): number {
  if (options.workers !== undefined) return options.workers;
  const performance = config.performance as { enable_parallel_processing?: unknown } | undefined;
  return performance?.enable_parallel_processing === false ? 1 : os.availableParallelism();
}

/**
 * How a run uses the cores, from what its stages declared (capabilities.ts): a plan when it can go
 * parallel, else undefined (it runs as streams). Whichever, the step before a JSON Lines writer
 * that ends the run is told it may emit serialized records.
 */
export function planRun(steps: StepOf[], run: Pick<RunResources, 'shared' | 'config'>, options: ParallelOptions = {}): ParallelPlan | undefined {
  markSerializedOutput(steps, run.shared);
  const workers = parallelWorkers(options, run.config.values);
  if (workers < 2 || steps.length < 3) return undefined;
  const last = steps.length - 1;
  const capabilities = steps.map((step) => capabilitiesOf(step.stage));
  const read = capabilities[0]?.readsLines?.(steps[0]!.options);
  const write = capabilities[last]?.writesLines?.(steps[last]!.options);
  if (!read || !write) return undefined;
  const takesLines = capabilities[last - 1]?.takesLines;
  const into = takesLines ? last - 1 : last;
  for (let step = 1; step < into; step++) if (capabilities[step]?.independent !== true) return undefined;
  return {
    steps,
    workers,
    options,
    read,
    write,
    lines: takesLines ? { step: into, lineOf: takesLines(steps[into]!.options) } : undefined,
  };
}

/** The module of a step's stage, as it declared it: where a worker thread loads the stage from. */
export function moduleOf(step: StepOf): string | undefined {
  return capabilitiesOf(step.stage)?.module;
}
