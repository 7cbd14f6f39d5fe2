import type { LineRules } from '../core/jsonl-read.js';
import type { Lead } from '../core/record.js';
import type { RecordTransform, Stage, StageContext } from '../core/stage.js';

/**
 * What a stage declares so that a JSON Lines run through it can use every core (see segment.ts).
 * The stage contract (lib/stage.ts) knows nothing of this: a stage that declares nothing runs on
 * the stream path, as every stage can. A stage opts in at the bottom of its file:
 *
 *     declareParallel(normalize, { module: import.meta.url, independent: true });
 */
export interface ParallelCapabilities<O = Record<string, unknown>> {
  /** The stage's module (its `import.meta.url`, default export the stage): worker threads load it from there. */
  module: string;
  /**
   * Records are independent: the stage keeps nothing from one record to the next except counts and
   * log lines, and emits nothing of its own at flush. Each worker thread gets an instance of its
   * own for its share of the input.
   */
  independent?: boolean;
  /** The stage reads JSON Lines: from where, and how it reads lines. Such a stage may start a parallel run. */
  readsLines?(options: O): { path: string; rules: LineRules };
  /** The stage writes JSON Lines: to where, and whether without `_meta`. Such a stage may end a parallel run. */
  writesLines?(options: O): { path: string; stripMeta: boolean };
  /**
   * The stage can take the workers' output as lines, as the last stage before the writer: its
   * instance is a `LineConsumer`, and this returns the line maker, which runs on the worker threads
   * (so the stage's own work per record is spread over the cores too).
   */
  takesLines?(options: O): (record: Lead) => string;
}

/**
 * The instance of a stage that `takesLines`: it takes records as lines (text or UTF-8 bytes; each
 * record as the line maker made it, and each line ending with a newline) in place of `transform`.
 * The run counts the records received; the stage counts the ones it drops.
 */
export interface LineConsumer extends RecordTransform {
  lines(data: string | Uint8Array): void | Promise<void>;
}

const declared = new WeakMap<Stage<any>, ParallelCapabilities<any>>();

/** Declares what a stage can do in a parallel run (see ParallelCapabilities). */
export function declareParallel<O>(stage: Stage<O>, capabilities: ParallelCapabilities<O>): void {
  declared.set(stage, capabilities);
}

/** What a stage declared, or undefined. */
export function capabilitiesOf(stage: Stage<any>): ParallelCapabilities<any> | undefined {
  return declared.get(stage);
}

/** A step of a run as lib/parallel sees it: its stage and its options. */
export interface StepOf {
  stage: Stage<any>;
  options: Record<string, unknown>;
}

/** The run-wide values (`ctx.shared`) naming the step that may emit serialized records, with `_meta` and without. */
const SERIALIZED_OUTPUT = 'parallel:serialized-output';
const PLAIN_SERIALIZED_OUTPUT = 'parallel:plain-serialized-output';

/**
 * Whether a stage may emit `SerializedRecords` (lib/jsonl.ts), records it holds as JSON text, in
 * place of records: the step after it is the last, and writes JSON Lines with `_meta` (see
 * `markSerializedOutput`).
 */
export function serializedOutput(ctx: StageContext): boolean {
  return ctx.shared<number>(SERIALIZED_OUTPUT, () => -1) === ctx.step;
}

/**
 * Whether a stage may emit `SerializedRecords` marked `withoutMeta`, records as JSON text without
 * their `_meta`: the step after it is the last, and writes JSON Lines without `_meta`.
 */
export function plainSerializedOutput(ctx: StageContext): boolean {
  return ctx.shared<number>(PLAIN_SERIALIZED_OUTPUT, () => -1) === ctx.step;
}

/** Records, for `serializedOutput` and `plainSerializedOutput`, which step of the run may hand serialized records to the writer after it. */
export function markSerializedOutput(steps: readonly StepOf[], shared: Map<string, { value: unknown }>): void {
  const last = steps.length - 1;
  const writes = last > 0 ? capabilitiesOf(steps[last]!.stage)?.writesLines?.(steps[last]!.options) : undefined;
  shared.set(SERIALIZED_OUTPUT, { value: writes && !writes.stripMeta ? last - 1 : -1 });
  shared.set(PLAIN_SERIALIZED_OUTPUT, { value: writes?.stripMeta ? last - 1 : -1 });
}
