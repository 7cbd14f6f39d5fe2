import { failRecord } from '../adapter.js';
import { DROPS } from '../counters.js';
import { LineBytes, parseLineBlock, type LineRules } from '../jsonl.js';
import type { LineBlock } from '../line-blocks.js';
import { isOperation, operationKey } from '../operation.js';
import type { Lead } from '../record.js';
import type { RecordFunction, RecordTransform, StageContext, StageCounters } from '../stage.js';
import { logInvalidUtf8, recordOfLine } from '../../stages/read-jsonl.js';
import { withoutMeta } from '../../stages/write-jsonl.js';

/** One step of a parallel segment as a block processor runs it. */
export interface SegmentStep {
  instance: RecordFunction | RecordTransform;
  ctx: StageContext;
  counters: StageCounters;
}

/** What a block of input became: its output lines (UTF-8 bytes), how many, and the operations among them by `system.action.status`. */
export interface BlockOutput {
  data: Uint8Array;
  records: number;
  operations: Record<string, number>;
}

/**
 * Runs read-jsonl → the segment's stages → write-jsonl over one block of JSON Lines at a time, as
 * the three stages would over those lines, with the same counting and `on_error` policy as the
 * stage adapter. Each worker thread of a parallel run has one; the main thread has one too, for the
 * blocks it handles itself.
 */
export class BlockProcessor {
  /** Where a block's output lines are built (one buffer, grown to the largest block and reused). */
  private readonly lines = new LineBytes(1 << 20);
  /** Lines read with bytes that are not UTF-8, said once as the run ends (merged across threads). */
  private invalidUtf8 = 0;

  constructor(
    private readonly read: { label: string; rules: LineRules; ctx: StageContext; counters: StageCounters },
    private readonly steps: SegmentStep[],
    /**
     * Where the output lines go: write-jsonl (which passes the records on), or a stage that takes
     * lines (which only receives them here), made by its `lineOf` when it has one.
     */
    private readonly write: { stripMeta: boolean; ctx: StageContext; counters: StageCounters; passesOn: boolean; lineOf?: (record: Lead) => string },
  ) {}

  /** Processes a block of input lines (numbered from its first line, so messages name the input's real lines). */
  async process(block: LineBlock): Promise<BlockOutput> {
    let records: Lead[] = [];
    for (const line of parseLineBlock(block, this.read.rules)) {
      if (line.invalidUtf8) this.invalidUtf8++;
      const record = recordOfLine(line, this.read.label, this.read.ctx);
      if (record === undefined) continue;
      this.read.counters.sent++;
      records.push(record);
    }
    for (const step of this.steps) records = await this.apply(step, records, true);
    return this.serialize(records);
  }

  /** Ends every stage (its `flush`), passing what one emits through the stages after it. */
  async finish(): Promise<BlockOutput> {
    logInvalidUtf8(this.read.ctx, this.invalidUtf8);
    let records: Lead[] = [];
    for (const step of this.steps) {
      records = await this.apply(step, records, false);
      const instance = step.instance;
      const flushed = typeof instance === 'function' ? undefined : await instance.flush?.();
      if (flushed && typeof flushed === 'object') {
        for await (const record of flushed as AsyncIterable<Lead> | Iterable<Lead>) {
          step.counters.sent++;
          records.push(record);
        }
      }
    }
    return this.serialize(records);
  }

  private async apply(step: SegmentStep, records: Lead[], drain: boolean): Promise<Lead[]> {
    const { instance, ctx, counters } = step;
    const transform = typeof instance === 'function' ? instance : instance.transform;
    const drops = counters as unknown as Record<typeof DROPS, number>;
    const out: Lead[] = [];
    const emit = (output: Lead | Lead[] | undefined, dropsBefore: number): void => {
      if (output === undefined || output === null) {
        if (drops[DROPS] === dropsBefore) ctx.drop('filtered');
      } else if (Array.isArray(output)) {
        counters.sent += output.length;
        for (const record of output) out.push(record);
      } else {
        counters.sent++;
        out.push(output);
      }
    };
    for (const record of records) {
      counters.received++;
      const dropsBefore = drops[DROPS];
      try {
        const output = transform(record);
        emit((output instanceof Promise ? await output : output) as Lead | Lead[] | undefined, dropsBefore);
      } catch (error) {
        const kept = failRecord(record, error, ctx, counters);
        if (kept !== undefined) {
          counters.sent++;
          out.push(kept);
        }
      }
    }
    if (drain && typeof instance !== 'function' && instance.drain) {
      const held = instance.drain();
      counters.sent += held.length;
      for (const record of held) out.push(record);
    }
    return out;
  }

  private serialize(records: Lead[]): BlockOutput {
    const operations: Record<string, number> = {};
    const lines = this.lines;
    const { lineOf, stripMeta, ctx, counters } = this.write;
    let written = 0;
    for (const record of records) {
      let line: string;
      try {
        line = lineOf ? lineOf(record) : JSON.stringify(stripMeta && record._meta !== undefined ? withoutMeta(record) : record);
      } catch (error) {
        // As write-jsonl does on one thread: the record is rejected (and under `tag` passed on, to nothing).
        counters.received++;
        if (failRecord(record, error, ctx, counters) !== undefined && this.write.passesOn) counters.sent++;
        continue;
      }
      lines.add(line);
      written++;
      if (isOperation(record)) {
        const key = operationKey(record);
        operations[key] = (operations[key] ?? 0) + 1;
      }
    }
    counters.received += written;
    if (this.write.passesOn) counters.sent += written;
    return { data: lines.take(), records: written, operations };
  }
}
