import { failRecord, recordCore, type RecordCore } from '../core/adapter.js';
import { LineBytes, parseLineBlock, type LineRules } from '../core/jsonl.js';
import { logInvalidUtf8, recordOfLine, withoutMeta } from '../core/jsonl-records.js';
import type { LineBlock } from '../core/line-blocks.js';
import { isOperation, operationKey } from '../core/operation.js';
import type { Lead } from '../core/record.js';
import type { BatchTransform, RecordFunction, RecordTransform, StageContext, StageCounters } from '../core/stage.js';

/** Lines parsed, run through the stages and written at a time (see BlockProcessor.process). */
const CHUNK_LINES = 64;

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
  /** The block being processed: its records written so far, and the operations among them. */
  private written = 0;
  private operations: Record<string, number> = {};

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

  /**
   * Processes a block of input lines (numbered from its first line, so messages name the input's
   * real lines). The lines go through the stages a chunk at a time, parsed, standardized and
   * written before the next chunk is parsed: a chunk's records are short-lived, so the garbage
   * collector finds little of a block alive when it runs, not the whole block's records.
   */
  async process(block: LineBlock): Promise<BlockOutput> {
    for (const chunk of chunksOf(block, CHUNK_LINES)) {
      let records: Lead[] = [];
      for (const line of parseLineBlock(chunk, this.read.rules)) {
        if (line.invalidUtf8) this.invalidUtf8++;
        const record = recordOfLine(line, this.read.label, this.read.ctx);
        if (record === undefined) continue;
        this.read.counters.sent++;
        records.push(record);
      }
      for (const core of this.cores) records = await this.apply(core, records, false);
      this.serialize(records);
    }
    // What a batch stage holds leaves with its own block, through the stages after it.
    let records: Lead[] = [];
    for (const core of this.cores) records = await this.apply(core, records, true);
    this.serialize(records);
    return this.take();
  }

  /** Ends every stage (its `flush`), passing what one emits through the stages after it. */
  async finish(): Promise<BlockOutput> {
    logInvalidUtf8(this.read.ctx, this.invalidUtf8);
    let records: Lead[] = [];
    for (const core of this.cores) {
      records = await this.apply(core, records, true);
      const flushed = core.finish();
      if (flushed && Symbol.asyncIterator in flushed) {
        for await (const record of flushed) records.push(record);
      } else await flushed;
    }
    this.serialize(records);
    return this.take();
  }

  /** What the records became through one stage, and, when `release`, what it held for a batch. */
  private async apply(core: RecordCore, records: Lead[], release: boolean): Promise<Lead[]> {
    const out: Lead[] = [];
    for (const record of records) {
      let output = core.take(record);
      if (output instanceof Promise) output = await output;
      if (output === undefined) continue;
      // What JSON Lines in becomes through independent stages is read back as records: whatever it is, it travels as JSON.
      if (Array.isArray(output)) for (const each of output) out.push(each as Lead);
      else out.push(output as Lead);
    }
    if (release) for (const record of core.release()) out.push(record);
    return out;
  }

  /** Adds the records' lines to the block's output. */
  private serialize(records: Lead[]): void {
    const operations = this.operations;
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
    this.written += written;
  }

  /** The block's output so far, handed over; the next block starts empty. */
  private take(): BlockOutput {
    const output = { data: this.lines.take(), records: this.written, operations: this.operations };
    this.written = 0;
    this.operations = {};
    return output;
  }
}

/**
 * A block's lines in chunks of at most `size` lines, each a block of its own: numbered from its
 * first line, with the too-long lines that fall in it (those are empty lines in `data`, ended by
 * their newline). The block's last line may lack its newline; it goes with the last chunk.
 */
export function* chunksOf(block: LineBlock, size: number): Generator<LineBlock> {
  if (block.lines <= size) {
    yield block;
    return;
  }
  const data = block.data;
  let start = 0;
  let firstLine = block.firstLine;
  let next = 0;
  while (start < data.length) {
    let end = start;
    let lines = 0;
    while (lines < size && end < data.length) {
      const newline = data.indexOf(10, end);
      if (newline === -1) end = data.length;
      else {
        end = newline + 1;
        lines++;
      }
    }
    const oversized: LineBlock['oversized'] = [];
    while (next < block.oversized.length && block.oversized[next]!.line < firstLine + lines) oversized.push(block.oversized[next++]!);
    yield { data: data.subarray(start, end), firstLine, oversized, lines };
    firstLine += lines;
    start = end;
  }
}
