import { parentPort, workerData } from 'node:worker_threads';
import type { Lead } from '../../core/record.js';
import { isEvent } from '../../core/types.js';
import { ClusterOutput } from './output.js';
import { LINE_BODY, lineKindAt, matchKeys } from './parking-line.js';
import type { ClusterReply, ClusterRequest, DedupeSettings } from './protocol.js';
import { RecordFile } from './record-file.js';
import { ClusterStore } from './store.js';

/**
 * The clustering thread: parks the records the stage sends (parking lines), links them when the
 * input ends, resolves and annotates the clusters and sends the output back as JSON lines, in
 * batches, never more than the stage has asked for.
 */
const { file, settings, outputBytes } = workerData as { file: string; settings: DedupeSettings; outputBytes: number };
const port = parentPort!;
const store = new ClusterStore(file, settings.cluster);
/** Events (duplicate groups, operations) that came in: they pass through, ahead of the records. */
const events = new RecordFile(`${file}-events`);
let unkeyed = 0;
let credits = 0;
let creditWaiter: (() => void) | undefined;

const post = (message: ClusterReply): void => port.postMessage(message);

port.on('message', (message: ClusterRequest) => {
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
 * Parks every record of parking lines given as UTF-8 bytes; returns how many (events not
 * counted). Rows and events are copied into the files as bytes; only a record sent as JSON is
 * decoded.
 */
function parkLines(bytes: Buffer): number {
  let parked = 0;
  for (let start = 0; start < bytes.length; ) {
    let end = bytes.indexOf(10, start);
    if (end === -1) end = bytes.length;
    if (end > start) parked += park(bytes, start, end);
    start = end + 1;
  }
  return parked;
}

/** Parks the line `bytes[start, end)`; returns 1 for a record, 0 for an event. */
function park(bytes: Buffer, start: number, end: number): number {
  const kind = lineKindAt(bytes, start);
  const body = start + LINE_BODY;
  if (kind === 'event') {
    events.appendBytes(bytes, body, end);
    return 0;
  }
  if (kind === 'json') {
    const json = bytes.toString('utf8', body, end);
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
  if (kind === 'unkeyed') unkeyed++;
  store.addParked(bytes, body, end);
  return 1;
}

/** Sends the output back a batch at a time, each when the stage has a credit for it, then the counts. */
async function emit(): Promise<void> {
  const output = new ClusterOutput(store, events, settings, outputBytes);
  for (const batch of output.batches()) {
    while (credits === 0) await new Promise<void>((resolve) => (creditWaiter = resolve));
    credits--;
    port.postMessage({ type: 'output', ...batch } satisfies ClusterReply, [batch.data.buffer as ArrayBuffer]);
  }
  post({ type: 'done', stats: store.stats, findings: store.findings, unkeyed, duplicates: output.duplicates });
}

function fail(error: unknown): void {
  const e = error instanceof Error ? error : new Error(String(error));
  post({ type: 'error', message: e.message, stack: e.stack });
}
