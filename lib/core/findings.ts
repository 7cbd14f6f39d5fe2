import type { Stage, StageContext } from './stage.js';

/**
 * What earlier stages tell the report about the run as a whole, beside the items that flow:
 * the backups they made and the integrity checks that failed. A stage records them with
 * `runFindings(ctx)`; the report reads the same object when its input ends (a run shares it
 * through `ctx.shared`, so no stage needs to know whether a report comes last).
 */
export interface RunFindings {
  /** Files a backup stage wrote (and verified). They go into MaintenanceResult.backup_paths. */
  backup_paths: string[];
  /** Backups that could not be made or verified; each one raises a `backup_failed` alert. */
  backup_failures: string[];
  /** Failed integrity checks (a corrupt file, counts that do not add up); each raises an `integrity_failed` alert. */
  integrity_failures: string[];
  /** Anything else a person should read, shown as a warning. */
  warnings: string[];
  /** Why the run failed and in which stage, when it did (set by the runner before the report is written). */
  failure?: RunFailure;
  /** How dedupe scored pairs: the weights it learned and a histogram of the scores it gave. */
  matching?: MatchingFindings;
}

/** What dedupe tells the report about its fuzzy scores. */
export interface MatchingFindings {
  scoring: 'weighted' | 'learned';
  threshold: number;
  /** Compared pairs per score band of equal width from 0 to 1, lowest first. */
  histogram: number[];
  /** The learned model: the prior of a random pair and each field's levels with m, u and weight (log2 m/u). */
  model?: { prior: number; weights: { field: string; level: string; m: number; u: number; weight: number }[] };
  /** The first pairs fuzzy matching joined, by their records' arrival, and the fields that decided each. */
  first_pairs?: { ids: string[]; score: number; decided_by: string[] }[];
}

/** A failed run: the stage that failed (when known) and the error's message. */
export interface RunFailure {
  stage?: string;
  message: string;
}

const KEY = 'report.run-findings';

/** The run's findings, created empty on first use. */
export function runFindings(ctx: { shared: StageContext['shared'] }): RunFindings {
  return ctx.shared<RunFindings>(KEY, () => ({ backup_paths: [], backup_failures: [], integrity_failures: [], warnings: [] }));
}

const failureReporters = new WeakSet<Stage<any>>();

/**
 * Declares a stage that reports the run even when the run fails before reaching it: the runner
 * then creates it, and it writes its report as the run closes.
 */
export function reportsFailedRuns(stage: Stage<any>): void {
  failureReporters.add(stage);
}

/** Whether a stage reports failed runs (see `reportsFailedRuns`). */
export function isFailureReporter(stage: Stage<any>): boolean {
  return failureReporters.has(stage);
}
