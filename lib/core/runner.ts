import path from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline as pipeStreams } from 'node:stream/promises';
import { stageStream } from './adapter.js';
import { closeRun, newCounters, openRun, PIPELINE_STEPS, stageContext, type RunResources, type RunSettings } from './context.js';
import { isFailureReporter, runFindings } from './findings.js';
import { AbortedError, ConfigError, StageError } from './errors.js';
import { loadPipeline, type Pipeline } from './pipeline.js';
import { findPipelineFile } from './pipeline-file.js';
import { recordCount } from './jsonl.js';
import { isOperation, operationKey } from './operation.js';
import { NO_PROGRESS, type Progress } from './progress.js';
import { multiCore, type MultiCore, type ParallelOptions } from './multi-core.js';
import type { Lead } from './record.js';
import type { OnErrorPolicy, StageContext, StageCounters, StageInstance } from './stage.js';

export interface RunOptions extends Omit<RunSettings, 'config' | 'rejects'> {
  progress?: Progress;
  /** How a run whose stages can go on every core uses them (lib/parallel). */
  parallel?: ParallelOptions;
  /** Overrides the pipeline's rejects file. */
  rejects?: string;
}

/** What a run did, stage by stage. */
export interface RunSummary {
  runId: string;
  dryRun: boolean;
  /** One entry per step, in order. */
  stages: StageCounters[];
  /** Records that came out of the last stage. */
  records_out: number;
  /**
   * Operations that came out of the last stage, by `system.action.status` (`local.update.applied`,
   * `airtable.create.dry_run`, `local.delete.planned` when no writer handled it).
   */
  operations: Record<string, number>;
  rejected: number;
  rejects_file?: string;
  /** The run journal, when the run wrote anything (for `--resume` and `--rollback`). */
  journal?: string;
  elapsed_ms: number;
}

/** An error from a run, with what the run had done when it stopped. */
export type RunError = Error & { summary?: RunSummary };

/**
 * Runs a pipeline (a loaded one, or a YAML file's path or bundled pipeline's name, found as
 * `run-pipeline` finds it) to its end on `stream/promises`
 * `pipeline()`. The signal stops it cleanly: the streams are destroyed, cleanups run, and an
 * `AbortedError` carrying the partial counts is thrown.
 */
export async function runPipeline(pipeline: Pipeline | string, options: RunOptions = {}): Promise<RunSummary> {
  const loaded = typeof pipeline === 'string' ? loadPipeline(findPipelineFile(pipeline)) : pipeline;
  const started = performance.now();
  const controller = new AbortController();
  const outer = options.signal;
  const onOuterAbort = (): void => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  if (outer?.aborted) controller.abort(outer.reason);

  const run = openRun({
    ...options,
    signal: controller.signal,
    config: loaded.config,
    rejects: options.rejects ?? loaded.rejects,
    baseDir: options.baseDir ?? (loaded.file ? path.dirname(loaded.file) : process.cwd()),
    pipelineFile: options.pipelineFile ?? loaded.file,
  });
  const counters = loaded.steps.map((step) => newCounters(step.stage.name));
  run.counters = counters;
  // Stages that reach Airtable without its connection options (backup) use what the pipeline gives those that have them.
  run.shared.set(PIPELINE_STEPS, { value: loaded.steps });
  const progress = options.progress ?? NO_PROGRESS;
  // The furthest any stage has got: it moves while a stage holds its output back (dedupe).
  progress.watch?.(() => Math.max(0, ...counters.map((c) => c.sent)));
  const output: RunOutput = { records: 0, operations: {} };
  const summary = (): RunSummary => ({
    runId: run.runId,
    dryRun: run.dryRun,
    stages: counters,
    records_out: output.records,
    operations: output.operations,
    rejected: run.rejects.count,
    rejects_file: run.rejects.count > 0 ? run.rejects.path : undefined,
    journal: run.journal?.file,
    elapsed_ms: Math.round(performance.now() - started),
  });

  let failed = false;
  const stages = new StageSetup(loaded.steps, run, counters);
  try {
    // A run whose stages declared they can (JSON Lines through stages whose records are independent) goes on every core.
    const parallel = multiCore();
    const plan = parallel?.plan(loaded.steps, run, options.parallel);
    if (parallel && plan !== undefined) await runParallel(parallel, plan, stages, run, output, progress, controller.signal);
    else await runStreams(stages, output, progress, controller.signal);
    run.journal?.end('completed', undefined, run.now);
    return summary();
  } catch (error) {
    failed = true;
    const failure: RunError = controller.signal.aborted && outer?.aborted ? new AbortedError() : (error as Error);
    failure.summary = summary();
    run.journal?.end('failed', failure.message, run.now);
    await reportFailure(loaded, run, stages, failure);
    throw failure;
  } finally {
    progress.stop();
    outer?.removeEventListener('abort', onOuterAbort);
    // A cleanup that fails after the run failed must not hide why the run failed.
    await closeRun(run).catch((cleanupError: Error) => {
      if (!failed) throw cleanupError;
      run.log.warn('Cleanup after the failed run failed too.', { error: String((cleanupError as AggregateError).errors ?? cleanupError.message) });
    });
  }
}

/** What came out of the last stage: how many records, and the operations among them by `system.action.status`. */
interface RunOutput {
  records: number;
  operations: Record<string, number>;
}

/** The stages of a run: each step's context, and its instance once created (which ones were, for the report of a failed run). */
class StageSetup {
  readonly contexts: StageContext[];
  readonly created = new Set<number>();
  /** The stage being created, when creating one failed. */
  creating: string | undefined;

  constructor(
    readonly steps: Pipeline['steps'],
    run: RunResources,
    readonly counters: StageCounters[],
  ) {
    this.contexts = steps.map((step, index) => stageContext(run, step.stage.name, index, counters[index]!, step.options.on_error as OnErrorPolicy));
  }

  async create(index: number, ctx: StageContext = this.contexts[index]!): Promise<StageInstance> {
    const step = this.steps[index]!;
    this.creating = step.stage.name;
    try {
      const instance = await step.stage.create(step.options, ctx);
      this.created.add(index);
      return instance;
    } catch (error) {
      // A configuration problem a stage finds while setting up (an Airtable schema that does not match
      // the field mapping) stays one: exit code 2, every problem listed.
      throw error instanceof StageError || error instanceof ConfigError ? error : new StageError(step.stage.name, (error as Error).message, { cause: error });
    }
  }
}

/** Runs the plan on every core (lib/parallel), counting what the writer wrote. */
async function runParallel(
  parallel: MultiCore,
  plan: unknown,
  stages: StageSetup,
  run: RunResources,
  output: RunOutput,
  progress: Progress,
  signal: AbortSignal,
): Promise<void> {
  await parallel.run(plan, {
    create: (index, ctx) => stages.create(index, ctx),
    contexts: stages.contexts,
    counters: stages.counters,
    signal,
    runId: run.runId,
    dryRun: run.dryRun,
    baseDir: run.baseDir,
    config: run.config.values,
    onOutput(records, operations) {
      output.records += records;
      for (const [key, count] of Object.entries(operations)) output.operations[key] = (output.operations[key] ?? 0) + count;
      progress.tick(output.records);
    },
  });
}

/** Runs every stage as a Node stream, one after the other, counting what comes out of the last. */
async function runStreams(stages: StageSetup, output: RunOutput, progress: Progress, signal: AbortSignal): Promise<void> {
  const instances: StageInstance[] = [];
  for (const index of stages.steps.keys()) instances.push(await stages.create(index));
  const streams = instances.map((instance, index) => stageStream(instance, stages.contexts[index]!, stages.counters[index]!, index === 0));
  const end = new Writable({
    objectMode: true,
    highWaterMark: 16,
    write(record: Lead, _encoding, callback) {
      if (isOperation(record)) {
        const key = operationKey(record);
        output.operations[key] = (output.operations[key] ?? 0) + 1;
      }
      progress.tick((output.records += recordCount(record)));
      callback();
    },
  });
  await pipeStreams([...streams, end] as unknown as [Readable, Writable], { signal });
}

/**
 * A failed run still gets its report, marked failed with the stage and the reason: the report
 * stage writes it when the run closes. A stage that failed while being set up (a backup that
 * could not be taken) stops the run before the report stage exists, so it is created now.
 */
async function reportFailure(loaded: Pipeline, run: RunResources, stages: StageSetup, failure: RunError): Promise<void> {
  const stage = failure instanceof StageError ? failure.stage : stages.creating;
  const prefix = stage ? `${stage}: ` : '';
  const message = failure.message.startsWith(prefix) ? failure.message.slice(prefix.length) : failure.message;
  runFindings({ shared: (key, make) => sharedValue(run, key, make) }).failure = { ...(stage ? { stage } : {}), message };
  for (const [index, step] of loaded.steps.entries()) {
    if (!isFailureReporter(step.stage) || stages.created.has(index)) continue;
    const ctx = stages.contexts[index]!;
    try {
      await step.stage.create(step.options, ctx);
    } catch (error) {
      run.log.warn('Could not write the report of the failed run.', { error: (error as Error).message });
    }
  }
}

function sharedValue<T>(run: RunResources, key: string, make: () => T): T {
  const existing = run.shared.get(key);
  if (existing) return existing.value as T;
  const value = make();
  run.shared.set(key, { value });
  return value;
}
