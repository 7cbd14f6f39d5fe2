import { pathToFileURL } from 'node:url';
import { startEmulator, DEFAULT_TOKEN, type Emulator } from '../lib/airtable-emulator/index.js';

/** The real API allows 5 requests per second per base. */
const REAL_LIMIT = 5;
/** The emulator must never be what slows our own benchmarks down. */
const TARGET_RATIO = 20;

export interface BenchResult {
  name: string;
  metrics: Record<string, number>;
  targets: Record<string, { min: number }>;
  pass: boolean;
}

async function timed(requests: number, concurrency: number, one: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) await one(next++);
    }),
  );
  return requests / ((performance.now() - t0) / 1000);
}

async function call(em: Emulator, method: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(em.url + path, {
    method,
    headers: { authorization: `Bearer ${DEFAULT_TOKEN}`, 'content-type': 'application/json', 'accept-encoding': 'gzip' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${method} ${path} answered ${res.status}.`);
}

/**
 * Requests per second the emulator sustains with the rate limit off, on loopback, for full
 * pages of 100 records and for 10-record batch updates: a bounded number of each.
 */
export async function benchEmulator(options: { requests?: number; records?: number; concurrency?: number } = {}): Promise<BenchResult> {
  const requests = options.requests ?? 400;
  const concurrency = options.concurrency ?? 4;
  const em = await startEmulator({ rateLimit: { enabled: false } });
  try {
    const ids = em.seed(
      'Leads',
      Array.from({ length: options.records ?? 2000 }, (_, i) => ({
        'Full Name': `Lead ${i}`,
        Email: `lead${i}@example.com`,
        Company: `Company ${i % 97}`,
        Engagement_Status: 'Needs Review',
      })),
    );
    const path = `/v0/${em.baseId}/Leads`;
    await call(em, 'GET', path);
    const list = await timed(requests, concurrency, () => call(em, 'GET', `${path}?pageSize=100`));
    const update = await timed(requests, concurrency, (i) =>
      call(em, 'PATCH', path, {
        records: Array.from({ length: 10 }, (_, k) => ({ id: ids[(i * 10 + k) % ids.length], fields: { 'Job Title': `Title ${i}` } })),
      }),
    );
    const ratio = Math.min(list, update) / REAL_LIMIT;
    return {
      name: 'airtable-emulator',
      metrics: {
        list_requests_per_second: Math.round(list),
        batch_update_requests_per_second: Math.round(update),
        ratio_to_real_limit: Math.round(ratio * 10) / 10,
      },
      targets: { ratio_to_real_limit: { min: TARGET_RATIO } },
      pass: ratio >= TARGET_RATIO,
    };
  } finally {
    await em.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchEmulator().then(
    (r) => {
      process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      if (!r.pass) process.exitCode = 1;
    },
    (e: unknown) => {
      process.stderr.write(`${(e as Error).stack ?? e}\n`);
      process.exitCode = 1;
    },
  );
}
