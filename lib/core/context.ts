import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { LoadedConfig } from './config.js';
import { silentLogger, type Logger } from './log.js';
import { redact } from './redact.js';
import { defaultStateDir } from './private-files.js';
import { journalPath, RunJournal, type JournalObserver } from './journal.js';
import { DROPS } from './counters.js';
import { makeScratchDir } from './scratch.js';

export { newCounters } from './counters.js';
import type { OnErrorPolicy, RejectEntry, StageContext, StageCounters } from './stage.js';

/** What a run shares between its stages. */
export interface RunResources {
  runId: string;
  dryRun: boolean;
  signal: AbortSignal;
  log: Logger;
  now: () => Date;
  baseDir: string;
  config: LoadedConfig;
  stdin: Readable;
  stdout: Writable;
  rejects: Rejects;
  shared: Map<string, { value: unknown; close?: (value: any) => void | Promise<void> }>;
  /** Every stage's counters, in pipeline order (filled in by the runner). */
  counters: StageCounters[];
  cleanups: Array<() => void | Promise<void>>;
  scratch?: string;
  /** Run state (journal, locks): a directory, or `false` for none; undefined = beside the data. */
  stateDir?: string | false;
  journalObserver?: JournalObserver;
  pipelineFile?: string;
  invocation?: Record<string, unknown>;
  /** The run journal, opened by the first stage that writes. */
  journal?: RunJournal;
}

export interface RunSettings {
  runId?: string;
  dryRun?: boolean;
  signal?: AbortSignal;
  log?: Logger;
  now?: () => Date;
  baseDir?: string;
  config?: LoadedConfig;
  stdin?: Readable;
  stdout?: Writable;
  /** The rejects file (JSONL, appended); created only when something is rejected. */
  rejects?: string;
  /**
   * Where run state lives (journals, locks): by default `backup.state_directory` of the config,
   * else `.lead-maintenance` beside the database the run writes. `false`: no journal.
   */
  stateDir?: string | false;
  /** Observes journal writes (tests stop a run at a chosen point with it). */
  journalObserver?: JournalObserver;
  /** The pipeline file, recorded in the journal so a run can be resumed. */
  pipelineFile?: string;
  /**
   * How the run was started beyond its pipeline file (a command and its options), recorded in the
   * journal so resuming starts it again the same way. JSON; never secrets.
   */
  invocation?: Record<string, unknown>;
}

/**
 * A run whose pipeline names no `config:` file (as lib/config.ts's NO_CONFIG): written here so that
 * the contexts of a parallel run's worker threads do not load the config loader (YAML, JSON schema).
 */
const NO_CONFIG_FILE: LoadedConfig = { values: {}, locate: () => undefined };

/** Creates the resources of one run. Call `closeRun` when it ends, whatever the outcome. */
export function openRun(settings: RunSettings = {}): RunResources {
  const now = settings.now ?? (() => new Date());
  const runId = settings.runId ?? `${now().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomUUID().slice(0, 8)}`;
  return {
    runId,
    dryRun: settings.dryRun ?? false,
    signal: settings.signal ?? new AbortController().signal,
    log: settings.log ?? silentLogger(),
    now,
    baseDir: settings.baseDir ?? process.cwd(),
    config: settings.config ?? NO_CONFIG_FILE,
    stdin: settings.stdin ?? process.stdin,
    stdout: settings.stdout ?? process.stdout,
    rejects: new RejectsFile(settings.rejects ?? path.resolve('rejects.jsonl'), runId, now),
    shared: new Map(),
    counters: [],
    cleanups: [],
    stateDir: settings.stateDir,
    journalObserver: settings.journalObserver,
    pipelineFile: settings.pipelineFile,
    invocation: settings.invocation,
  };
}

/** The run's state directory: the setting, the config's `backup.state_directory`, or beside `near`. */
export function runStateDir(run: RunResources, near: string): string | undefined {
  if (run.stateDir === false) return undefined;
  const configured = (run.config.values.backup as { state_directory?: unknown } | undefined)?.state_directory;
  if (run.stateDir) return path.resolve(run.baseDir, run.stateDir);
  if (typeof configured === 'string' && configured) return path.resolve(run.baseDir, configured);
  return defaultStateDir(near);
}

/**
 * The run-wide key (`ctx.shared`) under which the runner shares the pipeline's steps, for a stage
 * that borrows settings from the others (a backup takes the Airtable base the pipeline's Airtable
 * steps were given).
 */
export const PIPELINE_STEPS = 'run.pipeline-steps';

/** Runs every cleanup (latest first), closes shared resources and deletes the scratch directory. */
export async function closeRun(run: RunResources): Promise<void> {
  const errors: unknown[] = [];
  for (const cleanup of run.cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      errors.push(error);
    }
  }
  for (const { value, close } of [...run.shared.values()].reverse()) {
    try {
      await close?.(value);
    } catch (error) {
      errors.push(error);
    }
  }
  run.shared.clear();
  run.rejects.close();
  run.journal?.close();
  if (run.scratch) fs.rmSync(run.scratch, { recursive: true, force: true });
  if (errors.length) throw new AggregateError(errors, 'Cleanup after the run failed.');
}

/** The context one stage sees. */
export function stageContext(run: RunResources, stage: string, step: number, counters: StageCounters, onError: OnErrorPolicy): StageContext {
  return {
    stage,
    step,
    runId: run.runId,
    dryRun: run.dryRun,
    signal: run.signal,
    log: run.log.child({ stage }),
    now: run.now,
    baseDir: run.baseDir,
    config: run.config.values,
    onError,
    stdin: run.stdin,
    stdout: run.stdout,
    drop(reason) {
      counters.dropped[reason] = (counters.dropped[reason] ?? 0) + 1;
      (counters as unknown as Record<typeof DROPS, number>)[DROPS]++;
      return undefined;
    },
    reject(entry) {
      counters.rejected++;
      run.rejects.write(stage, entry);
    },
    shared<T>(key: string, create: () => T, close?: (value: T) => void | Promise<void>): T {
      const existing = run.shared.get(key);
      if (existing) return existing.value as T;
      const value = create();
      run.shared.set(key, { value, close });
      return value;
    },
    scratchDir() {
      run.scratch ??= makeScratchDir(run.runId);
      return run.scratch;
    },
    onClose(fn) {
      run.cleanups.push(fn);
    },
    runCounters() {
      return run.counters;
    },
    rejectsFile() {
      return { path: run.rejects.path, count: run.rejects.count, attempt: run.rejects.attempt };
    },
    journal(near) {
      if (run.dryRun) return undefined;
      if (!run.journal) {
        const dir = runStateDir(run, near);
        if (dir === undefined) return undefined;
        run.journal = new RunJournal(
          journalPath(dir, run.runId),
          run.runId,
          { pipeline: run.pipelineFile, invocation: run.invocation, now: run.now },
          run.journalObserver,
        );
      }
      return run.journal;
    },
  };
}

/** Where a run's rejected records and lines go: its rejects file (a worker thread of a parallel run hands them to the main thread's). */
export interface Rejects {
  readonly path: string;
  readonly count: number;
  /** Which attempt of the run wrote an entry: a resumed run has the run id of the one it finishes. */
  readonly attempt?: string;
  write(stage: string, entry: RejectEntry): void;
  close(): void;
}

/** The run's rejects file: one JSON object per rejected record or line, appended, opened lazily. */
export class RejectsFile implements Rejects {
  private fd: number | undefined;
  count = 0;
  private ownAttempt: string | undefined;

  constructor(
    readonly path: string,
    private readonly runId: string,
    private readonly now: () => Date,
  ) {}

  /** Made when first needed, so a run that rejects nothing and makes no report draws no randomness for it. */
  get attempt(): string {
    this.ownAttempt ??= randomUUID().slice(0, 8);
    return this.ownAttempt;
  }

  write(stage: string, entry: RejectEntry): void {
    this.fd ??= fs.openSync(this.path, 'a', 0o600);
    fs.writeSync(this.fd, rejectLine({ run_id: this.runId, attempt: this.attempt, time: this.now().toISOString(), stage, ...entry }));
    // Counted once it is in the file, so the count said at the end is what the file holds.
    this.count++;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * One line of the rejects file. A record that cannot be written as JSON (a stage made it too deep
 * or circular) is left out, with why, rather than losing the whole entry: the entry still says
 * what was rejected, where and why.
 */
export function rejectLine(entry: Record<string, unknown>): string {
  try {
    return JSON.stringify(redact(entry)) + '\n';
  } catch (error) {
    const { record, ...rest } = entry as Record<string, unknown> & { record?: { _meta?: { line?: unknown } } };
    const line = typeof rest.line === 'number' ? rest.line : typeof record?._meta?.line === 'number' ? record._meta.line : undefined;
    return JSON.stringify(redact({ ...rest, line, record_omitted: `the record cannot be written as JSON (${(error as Error).message})` })) + '\n';
  }
}
