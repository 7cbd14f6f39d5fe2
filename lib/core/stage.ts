import type { Duplex, Readable, Writable } from 'node:stream';
import type { Logger } from './log.js';
import type { Lead } from './record.js';
import type { StreamItem } from './types.js';
import type { RunJournal } from './journal.js';

/**
 * The stage contract. A stage is a function first and a stream second: it declares its options
 * once and `create()` returns plain code (a per-record function, a `{ transform, flush }` pair, a
 * batch function or an async iterable of records); `lib/adapter.ts` is the only place that turns
 * it into a Node stream and counts what passes.
 */

/** The value types an option can take. `path` is a string resolved from the pipeline file's directory. */
export type OptionType = 'string' | 'integer' | 'number' | 'boolean' | 'path' | 'string[]' | 'object';

/** The declaration of one option: drives validation, `--describe`, the README table and the docs test. */
export interface OptionSpec {
  type: OptionType;
  /** One sentence for users. Every option has one. */
  description: string;
  /** Used when neither the step nor the config file gives a value. */
  default?: unknown;
  /** An example value for the docs. */
  example?: unknown;
  /** The allowed values, for an enumeration. */
  values?: readonly string[];
  /** Inclusive bounds for numbers. */
  min?: number;
  max?: number;
  /** The step must give a value (no default makes sense). */
  required?: boolean;
  /**
   * Where the default comes from in the `config:` file, as a dotted path below
   * `maintenance_config` (e.g. `synchronization.batch_size`). The config value wins over `default`.
   */
  config?: string;
}

/** A stage's options, declared once. */
export type OptionSpecs<O> = { [K in keyof O]-?: OptionSpec };

/** Source stages produce records; transforms change them; sinks write them somewhere (and pass them on). */
export type StageKind = 'source' | 'transform' | 'sink';

/** What one record turns into: a record, several, or nothing (dropped; say why with `ctx.drop`). */
export type RecordOutput = StreamItem | StreamItem[] | undefined;

/** The per-record core of a transform or sink. May be async: the stream waits for it (backpressure). */
export type RecordFunction = (record: Lead) => RecordOutput | Promise<RecordOutput>;

/** A transform that also needs the end of its input (a dedupe emits its clusters when input ends). */
export interface RecordTransform {
  /** Gets every item, events included; a stage that passes events on unread may declare `Lead`. */
  transform(record: StreamItem): RecordOutput | Promise<RecordOutput>;
  /** Called once after the last record; may emit records (an iterable, consumed lazily). */
  flush?: () => AsyncIterable<StreamItem> | Iterable<StreamItem> | Promise<void> | void;
}

/**
 * A transform whose work is faster a batch at a time (each rule's code and data stay hot across
 * it). Records stay independent: the adapter gathers up to `size` of them, in order, and may hand
 * over a smaller batch whenever it likes (the end of the input, the end of a block of lines).
 */
export interface BatchTransform {
  size: number;
  /**
   * What the records of a batch became, in order. A record the stage cannot process goes to
   * `fail`, which applies the step's `on_error` and returns what to keep in its place, if anything.
   */
  batch(records: Lead[], fail: (record: Lead, error: unknown) => Lead | undefined): Lead[];
  /** Called once after the last batch; may log what the stage saw (it emits nothing). */
  flush?: () => void;
}

/**
 * What `create()` returns:
 * - a `RecordFunction`, `RecordTransform` or `BatchTransform` (transforms, sinks);
 * - an `AsyncIterable<Lead>` (sources; placed after another stage, a source passes the upstream
 *   records through first and then appends its own);
 * - a `Duplex` in object mode, for the rare stage that is a stream by nature.
 */
export type StageInstance = RecordFunction | RecordTransform | BatchTransform | AsyncIterable<Lead> | Duplex;

/** A record or raw line that could not be processed: it goes to the rejects file, never lost. */
export interface RejectEntry {
  /** Short code, e.g. `malformed_json`, `invalid_record`. */
  reason: string;
  /** A sentence: what is wrong and how to fix it. */
  message: string;
  /** The record, when there is one. */
  record?: StreamItem;
  /** The raw input text, when the record could not even be parsed. */
  raw?: string;
  /** Where it came from: file and 1-based line. */
  file?: string;
  line?: number;
  /** Or, in a file holding one JSON array, the element's 0-based index. */
  index?: number;
}

/** What to do with a record a stage cannot process: stop the run, set it aside, or pass it on tagged. */
export const ON_ERROR_POLICIES = ['fail', 'skip', 'tag'] as const;
export type OnErrorPolicy = (typeof ON_ERROR_POLICIES)[number];

/** Everything a stage may use from the run. One per stage instance. */
export interface StageContext {
  /** The stage's name and its position in the pipeline (0-based). */
  readonly stage: string;
  readonly step: number;
  readonly runId: string;
  /** Dry run: writers count and report what they would do and apply nothing. */
  readonly dryRun: boolean;
  /** Aborted on Ctrl-C or when another stage fails; long waits should listen to it. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** The clock; injectable so tests get stable timestamps. */
  now(): Date;
  /** Directory that relative paths resolve from (the pipeline file's, or the working directory). */
  readonly baseDir: string;
  /** The loaded `config:` file (`maintenance_config`), or `{}` when the pipeline names none. */
  readonly config: Record<string, unknown>;
  /** The policy for records this stage cannot process (the step's `on_error`). */
  readonly onError: OnErrorPolicy;
  /** Standard streams, for `-` paths (tests replace them). */
  readonly stdin: Readable;
  readonly stdout: Writable;
  /** Counts a dropped record under `reason`; returns `undefined` so a stage can `return ctx.drop('…')`. */
  drop(reason: string): undefined;
  /** Sends an entry to the run's rejects file and counts it. Does not apply the policy: see `fail`. */
  reject(entry: RejectEntry): void;
  /**
   * Resources shared by every stage of a run (one Airtable rate limiter per base, one scratch
   * database), created on first use and closed when the run ends.
   */
  shared<T>(key: string, create: () => T, close?: (value: T) => void | Promise<void>): T;
  /** A private scratch directory for this run, deleted when the run ends. */
  scratchDir(): string;
  /** Registers cleanup to run when the run ends, whether it succeeded or not. */
  onClose(fn: () => void | Promise<void>): void;
  /** Every stage's counters so far, in pipeline order (a report stage reads them when its input ends). */
  runCounters(): readonly StageCounters[];
  /** The run's rejects file, how many entries it got so far, and the attempt its entries carry. */
  rejectsFile(): { path: string; count: number; attempt?: string };
  /**
   * The run journal (lib/safety/journal.ts), opened on first use in the run's state directory
   * (`.lead-maintenance` beside `near`, the file being written, unless configured). Writers
   * journal each batch before applying it and mark it after. Undefined on a dry run or when the
   * run has no journal.
   */
  journal(near: string): RunJournal | undefined;
}

/** A stage: its declaration and its factory. */
export interface Stage<O = Record<string, unknown>> {
  /** Kebab-case; the file name in `stages/`. */
  name: string;
  kind: StageKind;
  /** One sentence: what it does. */
  summary: string;
  options: OptionSpecs<O>;
  /**
   * Optional checks beyond each option's type (a default not among the valid values, an unknown
   * country code), run before any data moves. `path` is dotted from the option name
   * (`field_standardization.phone.default_country`); the loader turns it into `file:line:col`.
   */
  check?(options: O): OptionProblem[];
  create(options: O, ctx: StageContext): StageInstance | Promise<StageInstance>;
}

/** A problem `Stage.check` found in the options. */
export interface OptionProblem {
  path: string;
  message: string;
}

/** Declares a stage with its options typed. */
export function defineStage<O>(stage: Stage<O>): Stage<O> {
  return stage;
}

/** Per-stage counters, printed at the end of a run and returned by `runPipeline`. */
export interface StageCounters {
  stage: string;
  received: number;
  sent: number;
  dropped: Record<string, number>;
  rejected: number;
  errored: number;
  elapsed_ms: number;
}
