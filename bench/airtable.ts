import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator, DEFAULT_TOKEN } from '../lib/airtable-emulator/index.js';
import { definePipeline } from '../lib/core/embed.js';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../lib/core/config.js';
import { runPipeline } from '../lib/core/runner.js';
import { generateLeads } from './generate-leads.js';
import { atLeast, atMost, isMain, measure, round, runAlone, type BenchResult } from './harness.js';
// The pipelines name their stages: the catalogue registers them.
import '../stages/index.js';

/**
 * A sync of changed records against the emulator with the real rate limit (5 requests per second
 * per base, 30 s penalty): read-airtable → normalize → diff → write-airtable, every seeded record
 * messy enough that normalize changes it, so every one is written back. The pipeline runs in a
 * child process (its peak RSS is its own); the emulator runs here and its request log is the
 * measurement: requests made against the minimum (⌈n/100⌉ pages, ⌈changes/10⌉ writes, plus the
 * two schema calls), the request rate achieved, and the 429s.
 */

const here = fileURLToPath(import.meta.url);

/** Airtable rows from the shared generator, each with something normalize will fix. */
function messyRows(count: number): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  let i = 0;
  for (const { record } of generateLeads(count, { seed: 7, duplicateRate: 0 })) {
    const email = typeof record.email === 'string' && record.email ? record.email : `lead${i}@acme-${i % 50}.io`;
    rows.push({
      'Full Name': `  ${String(record.name ?? `Lead ${i}`)}  `,
      Email: email.toUpperCase(),
      ...(typeof record.company === 'string' && record.company ? { Company: record.company } : {}),
      ...(typeof record.title === 'string' && record.title ? { 'Job Title': record.title } : {}),
    });
    i++;
  }
  return rows;
}

/** The child: runs the pipeline on the base named by the environment and prints its summary. */
async function child(): Promise<void> {
  const config = loadConfig(DEFAULT_CONFIG_FILE);
  const pipeline = definePipeline(
    [
      { 'read-airtable': {} },
      { normalize: {} },
      {
        diff: { direction: 'to_airtable', create_missing: false, delete_duplicates: false, review_file: path.join(os.tmpdir(), 'bench-airtable-review.jsonl') },
      },
      { 'write-airtable': {} },
    ],
    { config, rejects: path.join(os.tmpdir(), 'bench-airtable-rejects.jsonl') },
  );
  const summary = await runPipeline(pipeline);
  process.stdout.write(JSON.stringify({ operations: summary.operations, rejected: summary.rejected }) + '\n');
}

export async function benchAirtable(options: { records?: number } = {}): Promise<BenchResult> {
  const records = options.records ?? Number(process.env.BENCH_AIRTABLE_RECORDS ?? 5_000);
  const emulator = await startEmulator({ rateLimit: { perBasePerSecond: 5, penaltyMs: 30_000 } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-airtable-'));
  try {
    emulator.seed('Leads', messyRows(records));
    const out = path.join(dir, 'summary.json');
    const run = await measure(process.execPath, [here, '--child'], {
      stdout: out,
      env: { AIRTABLE_TOKEN: DEFAULT_TOKEN, AIRTABLE_BASE_ID: emulator.baseId, AIRTABLE_ENDPOINT_URL: emulator.url },
    });
    const summary = JSON.parse(fs.readFileSync(out, 'utf8')) as { operations: Record<string, number>; rejected: number };
    const log = emulator.requestLog();
    const updates = summary.operations['airtable.update.applied'] ?? 0;
    const minimum = 2 + Math.ceil(records / 100) + Math.ceil(updates / 10);
    const seconds = (log.at(-1)!.time - log[0]!.time) / 1000;
    const rate = (log.length - 1) / seconds;
    const limited = log.filter((r) => r.status === 429).length;
    return {
      name: 'airtable-sync',
      figures: {
        records: records,
        updates_applied: updates,
        rejected: summary.rejected,
        requests: log.length,
        minimum_requests: minimum,
        requests_per_second: round(rate, 2),
        responses_429: limited,
        elapsed_s: round(run.ms / 1000, 1),
        peak_rss_mb: round(run.rssMb, 1),
      },
      targets: [
        atLeast('updates_applied', updates, records),
        atMost('extra_requests', log.length - minimum, 0),
        atLeast('requests_per_second', rate, 4.5),
        atMost('responses_429', limited, 0),
      ],
    };
  } finally {
    await emulator.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  if (process.argv[2] === '--child') {
    child().catch((error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? error}\n`);
      process.exitCode = 1;
    });
  } else {
    runAlone(() => benchAirtable());
  }
}
