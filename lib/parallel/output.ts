import { StageError } from '../core/errors.js';
import { recordCount, SerializedRecords, type JsonlWriter } from '../core/jsonl.js';
import { withoutMeta } from '../core/jsonl-records.js';
import { isOperation, operationKey } from '../core/operation.js';
import type { Lead } from '../core/record.js';
import type { LineConsumer } from './capabilities.js';
import type { ParallelPlan, SegmentRun } from './plan.js';

/** A block's output lines: the bytes (or text), how many records, and the operations among them. */
export interface OutputBlock {
  data: string | Uint8Array;
  records: number;
  operations: Record<string, number>;
}

/**
 * Where a parallel run's output blocks go, in input order whichever thread finished them first:
 * to the stage that takes lines, else to the writer. A stopped run writes nothing more, so what it
 * reports as written is what the output holds.
 */
export class OrderedOutput {
  /** Blocks written (or handed to the stage that takes lines) so far. */
  written = 0;
  /** Why writing stopped, if it did. */
  failure: unknown;
  private readonly done = new Map<number, OutputBlock>();
  private writing = false;
  private readonly last: number;

  constructor(
    private readonly plan: ParallelPlan,
    private readonly run: SegmentRun,
    private readonly lineStage: LineConsumer | undefined,
    private readonly writer: JsonlWriter,
    /** Throws what stopped the run, if anything did. */
    private readonly check: () => void,
    /** Called whenever a block was written or writing failed. */
    private readonly changed: () => void,
  ) {
    this.last = plan.steps.length - 1;
  }

  /** Takes the output of block `seq`; writes what can be written in order now. */
  async add(seq: number, block: OutputBlock): Promise<void> {
    this.done.set(seq, block);
    if (this.writing) return;
    this.writing = true;
    try {
      for (let next = this.done.get(this.written); next && !this.run.signal.aborted; next = this.done.get(this.written)) {
        this.done.delete(this.written);
        await this.consume(next);
        this.written++;
      }
    } catch (error) {
      this.failure ??= this.consumeError(error);
    } finally {
      this.writing = false;
      this.changed();
    }
  }

  /** Writes what the stages emitted as they ended, after every block. */
  async consumeEnds(blocks: OutputBlock[]): Promise<void> {
    try {
      for (const block of blocks) await this.consume(block);
    } catch (error) {
      this.check();
      throw this.consumeError(error);
    }
  }

  /** Writes what the stage that takes lines emits as it ends: serialized records as they are, anything else as the writer would. */
  async writeFlushed(): Promise<void> {
    if (!this.lineStage) return;
    const flushed = this.lineStage.flush?.();
    if (!flushed || typeof flushed !== 'object' || !(Symbol.asyncIterator in flushed || Symbol.iterator in flushed)) {
      await flushed;
      return;
    }
    const own = this.run.counters[this.plan.lines!.step]!;
    const write = this.run.counters[this.last]!;
    for await (const item of flushed as AsyncIterable<Lead | SerializedRecords>) {
      this.check();
      const count = recordCount(item);
      own.sent += count;
      write.received += count;
      write.sent += count;
      const operations: Record<string, number> = {};
      try {
        if (item instanceof SerializedRecords) await this.writer.writeLines(item.data, count);
        else {
          if (isOperation(item)) operations[operationKey(item)] = 1;
          await this.writer.write(this.plan.write.stripMeta && item._meta !== undefined ? withoutMeta(item) : item);
        }
      } catch (error) {
        throw this.writeError(error);
      }
      this.run.onOutput(count, operations);
    }
  }

  private async consume(block: OutputBlock): Promise<void> {
    if (this.lineStage) {
      await this.lineStage.lines(block.data);
      return;
    }
    await this.writer.writeLines(block.data, block.records);
    this.run.onOutput(block.records, block.operations);
  }

  /** A failure to write is the writer's; the stage that takes lines names its own failures. */
  private consumeError(error: unknown): Error {
    if (error instanceof StageError) return error;
    if (this.lineStage) return new StageError(this.plan.steps[this.plan.lines!.step]!.stage.name, (error as Error).message, { cause: error });
    return this.writeError(error);
  }

  private writeError(error: unknown): StageError {
    return new StageError(this.plan.steps[this.last]!.stage.name, `cannot write ${this.plan.write.path}: ${(error as Error).message}`, { cause: error });
  }
}
