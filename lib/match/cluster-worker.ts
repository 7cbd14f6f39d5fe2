import { parentPort, workerData } from 'node:worker_threads';
import type { Lead } from '../record.js';
import { LineBytes } from '../jsonl.js';
import { isEvent } from '../types.js';
import { matchKeys, type FromWorker, type ThreadSettings, type ToWorker } from './cluster-thread.js';
import { ClusterStore } from './clustering.js';
import { RecordFile } from './record-file.js';
import { annotatedJson, annotateSingleJson, resolveCluster, SINGLE_HEAD, SINGLE_TAIL } from './resolution.js';

/**
 * The clustering thread: parks the records the stage sends (JSON text), links them when the
 * input ends, resolves and annotates the clusters and sends the output back as JSON lines, in
 * batches, never more than the stage has asked for.
 */
const { file, settings, batchChars } = workerData as { file: string; settings: ThreadSettings; batchChars: number };
const port = parentPort!;
const store = new ClusterStore(file, settings.cluster);
/** Events (duplicate groups, operations) that came in: they pass through, ahead of the records. */
const events = new RecordFile(`${file}-events`);
let unkeyed = 0;
let duplicates = 0;
let credits = 0;
let creditWaiter: (() => void) | undefined;

const post = (message: FromWorker): void => port.postMessage(message);

port.on('message', (message: ToWorker) => {
  try {
    if (message.type === 'add') {
      parkLines(Buffer.from(message.text));
      post({ type: 'added' });
    } else if (message.type === 'lines') {
      const { data } = message;
      post({ type: 'added', parked: parkLines(typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength)) });
    } else if (message.type === 'more') {
      credits++;
      creditWaiter?.();
    } else if (message.type === 'end') {
      credits += message.credits;
      void emit().catch(fail);
    } else if (message.type === 'close') {
      store.close();
      events.close();
      port.close();
    }
  } catch (error) {
    fail(error);
  }
});

/**
 * Parks every record of parking lines given as UTF-8 bytes (see `parkingLine`); returns how many
 * (events not counted). Rows and events are copied into the files as bytes; only a record sent
 * as JSON (`j`) is decoded.
 */
function parkLines(bytes: Buffer): number {
  let parked = 0;
  for (let start = 0; start < bytes.length;) {
    let end = bytes.indexOf(10, start);
    if (end === -1) end = bytes.length;
    if (end > start) parked += park(bytes, start, end);
    start = end + 1;
  }
  return parked;
}

/** Parks the line `bytes[start, end)`; returns 1 for a record, 0 for an event. */
function park(bytes: Buffer, start: number, end: number): number {
  const kind = bytes[start];
  if (kind === 101) { // e
    events.appendBytes(bytes, start + 2, end);
    return 0;
  }
  if (kind === 106) { // j
    const json = bytes.toString('utf8', start + 2, end);
    const record = JSON.parse(json) as Lead;
    if (isEvent(record)) {
      events.append(json);
      return 0;
    }
    const { keys, fingerprinted } = matchKeys(record, settings.keys);
    if (fingerprinted) unkeyed++;
    // A record fingerprinted here has changed: its JSON is made again.
    store.add(record, keys, fingerprinted ? undefined : json);
    return 1;
  }
  if (kind === 117) unkeyed++; // u
  store.addParked(bytes, start + 2, end);
  return 1;
}

/**
 * Sends the output back: the events that came in, then each cluster's records, a record without
 * duplicates annotated on its text (`annotateSingleJson`), the records of a cluster of several
 * resolved (`resolveCluster`), beside the stage's work.
 */
async function emit(): Promise<void> {
  const batch = new OutputBytes(batchChars);
  const send = async (events = false): Promise<void> => {
    while (credits === 0) await new Promise<void>((resolve) => (creditWaiter = resolve));
    credits--;
    const { data, count, dropped, groups } = batch.take();
    port.postMessage({ type: 'output', data, count, dropped, groups, events } satisfies FromWorker, [data.buffer as ArrayBuffer]);
  };
  // Events go in batches of their own, which the stage passes on as objects (they may be operations, which the run counts).
  for (const [, json] of events.entries()) if (batch.line(json)) await send(true);
  if (batch.count) await send(true);
  for (const cluster of store.clusters()) {
    if ('entry' in cluster) {
      if (batch.single(cluster.entry)) await send();
      continue;
    }
    const { records, group, rewritten } = resolveCluster(cluster, settings.resolution);
    // Groups are described only when the stage has a use for them (emit_groups, the review file).
    if (group) batch.groups.push(JSON.stringify(group));
    let full = false;
    records.forEach((record, i) => {
      if (record._meta?.survivor === false) {
        duplicates++;
        if (settings.drop_duplicates) {
          batch.dropped++;
          return;
        }
      }
      // A record only annotated gets its annotations spliced into its text, as one without duplicates.
      const text = cluster.texts?.[i];
      full = batch.line(text !== undefined && !rewritten?.includes(record) ? annotatedJson(text, record) : JSON.stringify(record));
    });
    if (full) await send();
  }
  if (batch.count || batch.dropped || batch.groups.length) await send();
  post({ type: 'done', stats: store.stats, unkeyed, duplicates });
}

const HEAD = Buffer.from(SINGLE_HEAD);
const TAIL = Buffer.from(`${SINGLE_TAIL}\n`);

/**
 * A batch of output lines built as UTF-8 bytes in memory of its own (moved to the stage's thread,
 * not copied): a record without duplicates goes from its parked bytes to the output bytes with
 * its annotations spliced in, never decoded or encoded.
 */
class OutputBytes {
  private readonly lines: LineBytes;
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

  /** Adds a record without duplicates from its parked entry (see SingleEntry), annotated; true when the batch is full. */
  single(entry: Buffer): boolean {
    const spliceable = entry[0] !== 0x21; // '!'
    const tab = entry.indexOf(9);
    if (!spliceable) return this.line(annotateSingleJson(entry.toString('utf8', tab + 1), entry.toString('utf8', 1, tab), false));
    // The record's JSON without its two closing braces, the cluster id (its identity), the rest.
    this.lines.addBytes(entry, tab + 1, entry.length - 2);
    this.lines.addBytes(HEAD, 0, HEAD.length);
    this.lines.addBytes(entry, 0, tab);
    this.lines.addBytes(TAIL, 0, TAIL.length);
    this.count++;
    return this.lines.size >= this.full;
  }

  /** The batch so far, its bytes as a view of memory that can be moved to another thread; the next batch starts empty. */
  take(): { data: Uint8Array; count: number; dropped: number; groups: string[] } {
    const taken = { data: this.lines.detach(), count: this.count, dropped: this.dropped, groups: this.groups };
    this.count = 0;
    this.dropped = 0;
    this.groups = [];
    return taken;
  }
}

function fail(error: unknown): void {
  const e = error instanceof Error ? error : new Error(String(error));
  post({ type: 'error', message: e.message, stack: e.stack });
}
