import type { Lead } from '../../core/record.js';
import { ClusterThread } from './cluster-thread.js';
import type { ClusteringResult, DedupeSettings, OutputBatch } from './protocol.js';
import { RecordFile } from './record-file.js';

/**
 * The dedupe engine, the one door to lib/match/engine: records go in (`add`, or `addLines` with
 * the lines `parkingLine` makes in a parallel run's workers), every record comes out once,
 * clustered, annotated and resolved (`output`), with memory that stays flat whatever the input's
 * length. Behind it: a clustering thread that parks records in scratch files (parking-row.ts,
 * record-file.ts, buckets.ts), links them (exact-links.ts, fuzzy-links.ts), resolves each cluster
 * (lib/match/resolution.ts) and splices annotations into records' JSON text (splice.ts).
 *
 * How records are compared and resolved lives outside the engine, in lib/match: keys.ts,
 * similarity.ts, names.ts, resolution.ts.
 */
export interface DedupeEngine {
  /** Takes one record (or event); returns a promise when the engine is behind, to wait on before the next. */
  add(record: Lead): void | Promise<void>;
  /**
   * Takes records as `parkingLine`s, each ending with a newline, as text or UTF-8 bytes (bytes are
   * handed over, not copied, and must not be used afterwards); returns a promise when the engine
   * is behind.
   */
  addLines(data: string | Uint8Array): void | Promise<void>;
  /**
   * Ends the input; yields the output a batch at a time: first the events that came in, then every
   * cluster's records once, in the order of its first member's arrival, then (`emit_groups`) the
   * duplicate groups.
   */
  output(): AsyncGenerator<OutputBatch>;
  /** What the engine counted, once the output has been read to its end. */
  readonly result: ClusteringResult;
  /** Stops the engine (its scratch files are under the path it was opened with, which the caller owns). */
  close(): Promise<void>;
}

/**
 * Opens a dedupe engine whose scratch files start with `file`'s path. `onParked` hears how many
 * records each `addLines` block held, once they are parked (events not counted).
 */
export function openDedupeEngine(file: string, settings: DedupeSettings, onParked?: (records: number) => void): DedupeEngine {
  return new Engine(file, settings, new ClusterThread(file, settings, onParked));
}

export { parkingLine } from './parking-line.js';
export type { ClusteringResult, DedupeSettings, OutputBatch } from './protocol.js';
export type { ClusterFindings } from './cluster-settings.js';

class Engine implements DedupeEngine {
  /** The duplicate groups, kept until the records are out (`emit_groups`). */
  private groups: RecordFile | undefined;

  constructor(
    private readonly file: string,
    private readonly settings: DedupeSettings,
    private readonly thread: ClusterThread,
  ) {}

  add(record: Lead): void | Promise<void> {
    return this.thread.add(record);
  }

  addLines(data: string | Uint8Array): void | Promise<void> {
    return this.thread.addLines(data);
  }

  get result(): ClusteringResult {
    return this.thread.result;
  }

  async *output(): AsyncGenerator<OutputBatch> {
    for await (const batch of this.thread.output()) {
      if (this.settings.emit_groups) for (const group of batch.groups) (this.groups ??= new RecordFile(`${this.file}-groups`)).append(group);
      yield batch;
    }
    if (!this.groups) return;
    let text = '';
    for (const [, json] of this.groups.entries()) text += `${json}\n`;
    yield { events: true, data: Buffer.from(text), count: this.groups.size, dropped: 0, groups: [] };
  }

  async close(): Promise<void> {
    this.groups?.close();
    await this.thread.close();
  }
}
