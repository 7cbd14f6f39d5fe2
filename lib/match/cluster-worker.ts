import { parentPort, workerData } from 'node:worker_threads';
import type { Lead } from '../record.js';
import { ClusterStore, parseCluster, type ClusterSettings } from './clustering.js';
import { resolveCluster, type ResolutionSettings } from './resolution.js';
import { resolvedLines, type FromWorker, type ToWorker } from './cluster-thread.js';

/**
 * The clustering thread: parks the records the stage sends (JSON lines), links them when the
 * input ends, resolves the clusters and sends them back in batches, never more than the stage
 * has asked for.
 */
const { file, settings, resolution, batchChars } = workerData as { file: string; settings: ClusterSettings; resolution: ResolutionSettings; batchChars: number };
const port = parentPort!;
const store = new ClusterStore(file, settings);
let credits = 0;
let creditWaiter: (() => void) | undefined;

const post = (message: FromWorker): void => port.postMessage(message);

port.on('message', (message: ToWorker) => {
  try {
    if (message.type === 'add') {
      const text = message.text;
      for (let start = 0; start < text.length;) {
        let end = text.indexOf('\n', start);
        if (end === -1) end = text.length;
        const json = text.slice(start, end);
        const record = JSON.parse(json) as Lead;
        store.add(record, record._meta!.keys as Record<string, string>, json);
        start = end + 1;
      }
      post({ type: 'added' });
    } else if (message.type === 'more') {
      credits++;
      creditWaiter?.();
    } else if (message.type === 'end') {
      credits += message.credits;
      void emit().catch(fail);
    } else if (message.type === 'close') {
      store.close();
      port.close();
    }
  } catch (error) {
    fail(error);
  }
});

/**
 * Sends the clusters back. A cluster of several records is resolved here, beside the stage's
 * work, and goes back as its resolved records' JSON; a single record goes back as it came, for
 * the stage to annotate.
 */
async function emit(): Promise<void> {
  let lines: string[] = [];
  let chars = 0;
  const send = async (): Promise<void> => {
    while (credits === 0) await new Promise<void>((resolve) => (creditWaiter = resolve));
    credits--;
    post({ type: 'clusters', text: lines.join('\n') });
    lines = [];
    chars = 0;
  };
  for (const cluster of store.clusters()) {
    if (cluster.members) {
      const { records, group } = resolveCluster(parseCluster(cluster), resolution);
      for (const line of resolvedLines(cluster.id, records.map((record) => JSON.stringify(record)), group)) {
        lines.push(line);
        chars += line.length;
      }
    } else {
      lines.push(cluster.entry!);
      chars += cluster.entry!.length;
    }
    if (chars >= batchChars) await send();
  }
  if (lines.length) await send();
  post({ type: 'done', stats: store.stats });
}

function fail(error: unknown): void {
  const e = error instanceof Error ? error : new Error(String(error));
  post({ type: 'error', message: e.message, stack: e.stack });
}
