import { LineBytes } from '../../core/jsonl.js';
import { KeptApart } from '../../review/apart.js';
import { resolveCluster } from '../resolution.js';
import { RecordEntryLayout } from './parking-row.js';
import type { DedupeSettings, OutputBatch } from './protocol.js';
import type { RecordFile } from './record-file.js';
import { addAnnotatedSingle, annotatedJson, annotateSingleJson } from './splice.js';
import type { ClusterStore, ParkedCluster } from './store.js';

/**
 * The dedupe output, batch by batch: the events that came in, then each cluster's records, a
 * record without duplicates annotated on its bytes, the records of a cluster of several resolved
 * (`resolveCluster`) and annotated on their text where resolution changed nothing else.
 */
export class ClusterOutput {
  /** Records the resolutions marked as duplicates so far (left out or not). */
  duplicates = 0;
  private apart: KeptApart | undefined;

  constructor(
    private readonly store: ClusterStore,
    private readonly events: RecordFile,
    private readonly settings: DedupeSettings,
    private readonly batchBytes: number,
  ) {}

  /** The batches, each yielded once full (or last); a batch is not touched again once yielded. */
  *batches(): Generator<OutputBatch> {
    const batch = new OutputBytes(this.batchBytes);
    // Events go in batches of their own, which the stage passes on as objects (they may be operations, which the run counts).
    for (const [, json] of this.events.entries()) if (batch.line(json)) yield batch.take(true);
    if (batch.count) yield batch.take(true);
    for (const cluster of this.store.clusters()) {
      const full = 'entry' in cluster ? batch.single(cluster.entry) : this.addCluster(batch, cluster);
      if (full) yield batch.take(false);
    }
    if (batch.count || batch.dropped || batch.groups.length) yield batch.take(false);
  }

  /** Adds a cluster of several records, resolved (or, when a person kept them apart, each lead alone); true when the batch is full. */
  private addCluster(batch: OutputBytes, cluster: ParkedCluster): boolean {
    const parts = this.settings.apart?.length ? (this.apart ??= new KeptApart(this.settings.apart, this.settings.keys.link_field)).split(cluster) : undefined;
    if (!parts) return this.addResolved(batch, cluster);
    let full = false;
    for (const part of parts) full = this.addResolved(batch, part) || full;
    return full;
  }

  private addResolved(batch: OutputBytes, cluster: ParkedCluster): boolean {
    const { records, group, rewritten } = resolveCluster(cluster, this.settings.resolution);
    // Groups are described only when the stage has a use for them (emit_groups, the review file).
    if (group) batch.groups.push(JSON.stringify(group));
    let full = false;
    records.forEach((record, i) => {
      if (record._meta?.survivor === false) {
        this.duplicates++;
        if (this.settings.drop_duplicates) {
          batch.dropped++;
          return;
        }
      }
      // A record only annotated gets its annotations spliced into its text, as one without duplicates.
      const text = cluster.texts?.[i];
      full = batch.line(text !== undefined && !rewritten?.includes(record) ? annotatedJson(text, record) : JSON.stringify(record));
    });
    return full;
  }
}

/**
 * A batch of output lines built as UTF-8 bytes in memory of its own (moved to the stage's thread,
 * not copied): a record without duplicates goes from its parked bytes to the output bytes with
 * its annotations spliced in, never decoded or encoded.
 */
class OutputBytes {
  private readonly lines: LineBytes;
  private readonly entry = new RecordEntryLayout();
  count = 0;
  dropped = 0;
  groups: string[] = [];

  constructor(private readonly full: number) {
    this.lines = new LineBytes(full + 64 * 1024);
  }

  /** Adds a line of text; true when the batch is full. */
  line(text: string): boolean {
    this.lines.add(text);
    this.count++;
    return this.lines.size >= this.full;
  }

  /** Adds a record without duplicates from its records entry (see SingleEntry), annotated; true when the batch is full. */
  single(bytes: Buffer): boolean {
    const entry = this.entry.read(bytes);
    if (!entry.spliceable) {
      return this.line(annotateSingleJson(bytes.toString('utf8', entry.jsonStart), bytes.toString('utf8', entry.identityStart, entry.identityEnd), false));
    }
    // The cluster id of a record without duplicates is its identity.
    addAnnotatedSingle(this.lines, bytes, entry.jsonStart, bytes.length, entry.identityStart, entry.identityEnd);
    this.count++;
    return this.lines.size >= this.full;
  }

  /** The batch so far, its bytes as a view of memory that can be moved to another thread; the next batch starts empty. */
  take(events: boolean): OutputBatch {
    const taken = { events, data: this.lines.detach(), count: this.count, dropped: this.dropped, groups: this.groups };
    this.count = 0;
    this.dropped = 0;
    this.groups = [];
    return taken;
  }
}
