import type { Duplex, Readable, Writable } from 'node:stream';
import type { Logger } from './log.js';
import type { Lead } from './record.js';
import type { StreamItem } from './types.js';
import type { RunJournal } from './safety/journal.js';

/**
 * The stage contract. A stage is a function first and a stream second: it declares its options
 * once and `create()` returns plain code (a per-record function, a `{ transform, flush }` pair or
 * an async iterable of records); `lib/adapter.ts` is the only place that turns it into a Node
 * stream and counts what passes.
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
  /**
   * Hands back the records a `parallel` stage holds for batching, without ending it: a parallel run
   * calls it at the end of each block of input, so every record leaves with its own block.
   */
  drain?: () => Lead[];
  /**
   * Takes records as lines (text or UTF-8 bytes; each record as the stage's `lineOf` made it, else
   * its JSON, and each line ending with a newline) in place of `transform`. A stage marked
   * `takesLines` gets its input so when it is the last stage of a parallel run, just before
   * write-jsonl: the worker threads' output comes to it as it is, never parsed on the main thread.
   * The run counts the records received; the stage counts the ones it drops.
   */
  lines?: (data: string | Uint8Array) => void | Promise<void>;
}

/**
 * What `create()` returns:
 * - a `RecordFunction` or `RecordTransform` (transforms, sinks);
 * - an `AsyncIterable<Lead>` (sources; placed after another stage, a source passes the upstream
 *   records through first and then appends its own);
 * - a `Duplex` in object mode, for the rare stage that is a stream by nature.
 */
export type StageInstance = RecordFunction | RecordTransform | AsyncIterable<Lead> | Duplex;

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
}

/** What to do with a record a stage cannot process: stop the run, set it aside, or pass it on tagged. */
export type OnErrorPolicy = 'fail' | 'skip' | 'tag';

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
  /**
   * True when the step after this one is the last and writes JSON Lines with `_meta`: the stage may
   * then emit `SerializedRecords` (lib/jsonl.ts), records it holds as JSON text, in place of records.
   */
  readonly serializedOutput?: boolean;
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
  /** The run's rejects file and how many entries it got so far. */
  rejectsFile(): { path: string; count: number };
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
   * Records are independent: the stage keeps nothing from one record to the next except counts
   * and log lines, holds records back only until `drain`, and emits nothing of its own at flush.
   * A pipeline of JSON Lines in, such stages, and JSON Lines out may then run on every core, each
   * worker thread with its own instance of the stage over its share of the input (lib/parallel).
   */
  parallel?: boolean;
  /** The stage's instance implements `lines` (see RecordTransform), for a parallel run to feed it lines. */
  takesLines?: boolean;
  /**
   * For a stage that `takesLines`: what turns a record into the line its `lines` takes (by default
   * its JSON). It runs where records are serialized, on the worker threads of a parallel run, so
   * the stage's own work per record is spread over the cores too.
   */
  lineOf?(options: O): (record: Lead) => string;
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
