import path from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline as pipeStreams } from 'node:stream/promises';
import { stageStream } from './adapter.js';
import { PIPELINE_CONNECTION, pipelineConnection } from './airtable/options.js';
import { closeRun, newCounters, openRun, stageContext, type RunResources, type RunSettings } from './context.js';
import { runFindings } from './report/findings.js';
import { AbortedError, ConfigError, StageError } from './errors.js';
import { loadPipeline, type Pipeline } from './pipeline.js';
import { recordCount } from './jsonl.js';
import { isOperation, operationKey } from './operation.js';
import { NO_PROGRESS, type Progress } from './progress.js';
import { isParallelSegment, parallelWorkers, runParallelSegment, type ParallelOptions } from './parallel/segment.js';
import type { Lead } from './record.js';
import type { OnErrorPolicy, StageContext, StageCounters, StageInstance } from './stage.js';

export interface RunOptions extends Omit<RunSettings, 'config' | 'rejects'> {
  progress?: Progress;
  /** How a pipeline of JSON Lines through `parallel` stages uses the cores (lib/parallel/segment.ts). */
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
 * Runs a pipeline (a loaded one, or a YAML file's path) to its end on `stream/promises`
 * `pipeline()`. The signal stops it cleanly: the streams are destroyed, cleanups run, and an
 * `AbortedError` carrying the partial counts is thrown.
 */
export async function runPipeline(pipeline: Pipeline | string, options: RunOptions = {}): Promise<RunSummary> {
  const loaded = typeof pipeline === 'string' ? loadPipeline(pipeline) : pipeline;
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
  run.shared.set(PIPELINE_CONNECTION, { value: pipelineConnection(loaded.steps) });
  const progress = options.progress ?? NO_PROGRESS;
  let recordsOut = 0;
  const operations: Record<string, number> = {};
  const summary = (): RunSummary => ({
    runId: run.runId,
    dryRun: run.dryRun,
    stages: counters,
    records_out: recordsOut,
    operations,
    rejected: run.rejects.count,
    rejects_file: run.rejects.count > 0 ? run.rejects.path : undefined,
    journal: run.journal?.file,
    elapsed_ms: Math.round(performance.now() - started),
  });

  let failed = false;
  const contexts: StageContext[] = [];
  const instances: StageInstance[] = [];
  const created = new Set<number>();
  let creating: string | undefined;
  try {
    // JSON Lines through stages whose records are independent run on every core.
    const parallel = isParallelSegment(loaded.steps, parallelWorkers(options.parallel, loaded.config.values));
    const create = async (index: number, ctx: StageContext): Promise<StageInstance> => {
      const step = loaded.steps[index]!;
      creating = step.stage.name;
      try {
        const instance = await step.stage.create(step.options, ctx);
        created.add(index);
        return instance;
      } catch (error) {
        // A configuration problem a stage finds while setting up (an Airtable schema that does not match
        // the field mapping) stays one: exit code 2, every problem listed.
        throw error instanceof StageError || error instanceof ConfigError ? error : new StageError(step.stage.name, (error as Error).message, { cause: error });
      }
    };
    for (const [index, step] of loaded.steps.entries()) {
      const ctx = stageContext(run, step.stage.name, index, counters[index], step.options.on_error as OnErrorPolicy, writesJsonLinesNext(loaded.steps, index));
      contexts.push(ctx);
      // A parallel segment creates its stages itself.
      if (!parallel) instances.push(await create(index, ctx));
    }
    const countOperation = (record: Lead): void => {
      if (!isOperation(record)) return;
      const key = operationKey(record);
      operations[key] = (operations[key] ?? 0) + 1;
    };
    if (parallel) {
      await runParallelSegment({
        steps: loaded.steps,
        create,
        contexts,
        counters,
        signal: controller.signal,
        options: options.parallel ?? {},
        runId: run.runId,
        dryRun: run.dryRun,
        baseDir: run.baseDir,
        config: run.config.values,
        onOutput(records, ops) {
          recordsOut += records;
          for (const [key, count] of Object.entries(ops)) operations[key] = (operations[key] ?? 0) + count;
          progress.tick(recordsOut);
        },
      });
    } else {
      const streams = loaded.steps.map((_step, index) => stageStream(instances[index]!, contexts[index]!, counters[index]!, index === 0));
      const end = new Writable({
        objectMode: true,
        highWaterMark: 16,
        write(record, _encoding, callback) {
          countOperation(record);
          progress.tick((recordsOut += recordCount(record)));
          callback();
        },
      });
      await pipeStreams([...streams, end] as unknown as [Readable, Writable], { signal: controller.signal });
    }
    run.journal?.end('completed', undefined, run.now);
    return summary();
  } catch (error) {
    failed = true;
    const failure: RunError = controller.signal.aborted && outer?.aborted ? new AbortedError() : (error as Error);
    failure.summary = summary();
    run.journal?.end('failed', failure.message, run.now);
    await reportFailure(loaded, run, contexts, counters, created, failure, creating);
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

/** Whether the step after `index` is the last and writes JSON Lines with `_meta` (the stage may emit `SerializedRecords`). */
export function writesJsonLinesNext(steps: Pipeline['steps'], index: number): boolean {
  const next = steps[index + 1];
  return index === steps.length - 2 && next!.stage.name === 'write-jsonl' && next!.options.strip_meta !== true;
}

/**
 * A failed run still gets its report, marked failed with the stage and the reason: the report
 * stage writes it when the run closes. A stage that failed while being set up (a backup that
 * could not be taken) stops the run before the report stage exists, so it is created now.
 */
async function reportFailure(loaded: Pipeline, run: RunResources, contexts: StageContext[], counters: StageCounters[], created: Set<number>, failure: RunError, creating: string | undefined): Promise<void> {
  const stage = failure instanceof StageError ? failure.stage : creating;
  const prefix = stage ? `${stage}: ` : '';
  const message = failure.message.startsWith(prefix) ? failure.message.slice(prefix.length) : failure.message;
  runFindings({ shared: (key, make) => sharedValue(run, key, make) }).failure = { ...(stage ? { stage } : {}), message };
  for (const [index, step] of loaded.steps.entries()) {
    if (step.stage.name !== 'report' || created.has(index)) continue;
    const ctx = contexts[index] ?? stageContext(run, step.stage.name, index, counters[index]!, step.options.on_error as OnErrorPolicy);
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
