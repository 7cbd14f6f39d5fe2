import type { RunResources } from './context.js';
import type { PipelineStep } from './pipeline.js';
import type { StageContext, StageCounters, StageInstance } from './stage.js';

/**
 * Running a pipeline on every core is speed work, kept behind this interface: the runtime knows
 * only that a pipeline may have a plan for it. lib/parallel implements it from what the stages
 * declared they can do, and the stage catalogue (stages/index.ts) installs it. Without it every
 * pipeline runs as streams, with the same output.
 */
export interface MultiCore<Plan = unknown> {
  /** A plan to run these steps on more than one core, or undefined when they cannot (or need not). */
  plan(steps: PipelineStep[], run: Pick<RunResources, 'shared' | 'config'>, options?: ParallelOptions): Plan | undefined;
  run(plan: Plan, run: SegmentRun): Promise<void>;
}

let installed: MultiCore | undefined;

/** Installs the way runs use more than one core (the stage catalogue installs lib/parallel's). */
export function installMultiCore(multiCore: MultiCore<any>): void {
  installed = multiCore;
}

/** The installed multi-core runner, if any. */
export function multiCore(): MultiCore | undefined {
  return installed;
}

export interface ParallelOptions {
  /** Worker threads; fewer than 2 runs every pipeline the ordinary way. Default: the cores available. */
  workers?: number;
  /** Input bytes read before workers start. */
  thresholdBytes?: number;
  /** About how many input bytes go to a worker at a time (cut at a line end). */
  blockBytes?: number;
  /** Whether the main thread processes blocks itself while no worker is ready (default true; tests turn it off to send every block to a worker). */
  inline?: boolean;
}

/** What a multi-core run needs from the runner. */
export interface SegmentRun {
  /** Creates the instance of a step between the first and the last, for the blocks the main thread processes itself. */
  create(step: number, ctx: StageContext): Promise<StageInstance>;
  contexts: StageContext[];
  counters: StageCounters[];
  signal: AbortSignal;
  runId: string;
  dryRun: boolean;
  baseDir: string;
  config: Record<string, unknown>;
  /** Called as output is written: records written and the operations among them. */
  onOutput(records: number, operations: Record<string, number>): void;
}
