import { failRecord, recordCore, type RecordCore } from '../core/adapter.js';
import { LineBytes, parseLineBlock, type LineRules } from '../core/jsonl.js';
import { logInvalidUtf8, recordOfLine, withoutMeta } from '../core/jsonl-records.js';
import type { LineBlock } from '../core/line-blocks.js';
import { isOperation, operationKey } from '../core/operation.js';
import type { Lead } from '../core/record.js';
import type { BatchTransform, RecordFunction, RecordTransform, StageContext, StageCounters } from '../core/stage.js';

/** One step of a parallel segment as a block processor runs it. */
export interface SegmentStep {
  instance: RecordFunction | RecordTransform | BatchTransform;
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
 * Runs the reader → the segment's stages → the writer over one block of JSON Lines at a time, as
 * those stages would over those lines: each stage through the stage adapter's own per-record core
 * (counting, drops, `on_error`). Each worker thread of a parallel run has one; the main thread has
 * one too, for the blocks it handles itself.
 */
export class BlockProcessor {
  /** Where a block's output lines are built (one buffer, grown to the largest block and reused). */
  private readonly lines = new LineBytes(1 << 20);
  /** Lines read with bytes that are not UTF-8, said once as the run ends (merged across threads). */
  private invalidUtf8 = 0;
  private readonly cores: RecordCore[];

  constructor(
    private readonly read: { label: string; rules: LineRules; ctx: StageContext; counters: StageCounters },
    steps: SegmentStep[],
    /**
     * Where the output lines go: the writer (which passes the records on), or a stage that takes
     * lines (which only receives them here), made by its `lineOf` when it has one.
     */
    private readonly write: { stripMeta: boolean; ctx: StageContext; counters: StageCounters; passesOn: boolean; lineOf?: (record: Lead) => string },
  ) {
    this.cores = steps.map((step) => recordCore(step.instance, step.ctx, step.counters));
  }

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
    // What a batch stage holds leaves with its own block.
    for (const core of this.cores) records = await this.apply(core, records);
    return this.serialize(records);
  }

  /** Ends every stage (its `flush`), passing what one emits through the stages after it. */
  async finish(): Promise<BlockOutput> {
    logInvalidUtf8(this.read.ctx, this.invalidUtf8);
    let records: Lead[] = [];
    for (const core of this.cores) {
      records = await this.apply(core, records);
      const flushed = core.finish();
      if (flushed && Symbol.asyncIterator in flushed) {
        for await (const record of flushed) records.push(record);
      } else await flushed;
    }
    return this.serialize(records);
  }

  /** What the records became through one stage, and what it held for a batch. */
  private async apply(core: RecordCore, records: Lead[]): Promise<Lead[]> {
    const out: Lead[] = [];
    for (const record of records) {
      let output = core.take(record);
      if (output instanceof Promise) output = await output;
      if (output === undefined) continue;
      // What JSON Lines in becomes through independent stages is read back as records: whatever it is, it travels as JSON.
      if (Array.isArray(output)) for (const each of output) out.push(each as Lead);
      else out.push(output as Lead);
    }
    for (const record of core.release()) out.push(record);
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
        // As a JSON Lines writer does on one thread: the record is rejected (and under `tag` passed on, to nothing).
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
