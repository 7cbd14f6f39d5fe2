import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_TOKEN, startEmulator, type Emulator } from '../lib/airtable-emulator/index.js';
import { loadPipeline } from '../lib/core/pipeline.js';
import { canonicalPersonName } from '../lib/normalize/person.js';
import { runPipeline } from '../lib/core/runner.js';
import { migrate } from '../lib/sqlite/schema.js';
import { SyncState } from '../lib/sync/state.js';
import { generateLeads } from './generate-leads.js';
import { atMost, isMain, round, ROOT, runAlone, withEnv, type BenchResult } from './harness.js';
// The pipelines name their stages: the catalogue registers them.
import '../stages/index.js';

/**
 * Full vs incremental synchronization (pipelines/sync.yaml) of a lead table held in both systems,
 * linked and in step, after a share of the leads changed (half of the changes local, half in
 * Airtable). Both runs start from the same prepared state: the last successful run an hour ago
 * (its sync state saved), the emulator at the real rate limit of 5 requests per second. The
 * measurement is the emulator's request log: record requests (metadata calls counted apart),
 * per change, against the minimum the changes need: listing the changed Airtable records and
 * fetching the counterparts of the changed local ones (100 per request), writing the Airtable
 * updates (10 per request), and re-reading the touched records by id to validate (100 per request).
 */

const AN_HOUR = 3600_000;

interface Prepared {
  dir: string;
  db: string;
  em: Emulator;
  localChanged: number;
  airtableChanged: number;
}

/** The same people, in both systems, linked; then the changes. Deterministic (seeded generator). */
async function prepare(leads: number, changedShare: number): Promise<Prepared> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sync-'));
  let shift = -2 * AN_HOUR;
  const em = await startEmulator({ clock: () => Date.now() + shift });
  const people: Array<{ name: string; email: string; company: string; title: string }> = [];
  let i = 0;
  for (const { record } of generateLeads(leads, { seed: 11, duplicateRate: 0 })) {
    // Unique, clean identities (names as standardization leaves them): the bench measures
    // synchronization, not deduplication or standardization.
    people.push({
      name: String(canonicalPersonName(`${String(record.name ?? 'Lead')} ${i}`).value),
      email: `lead${i}@firm${i}.io`,
      company: String(record.company || `Firm ${i}`),
      title: String(record.title || 'Engineer'),
    });
    i++;
  }
  const ids = em.seed(
    'Leads',
    people.map((p) => ({ 'Full Name': p.name, Email: p.email, Company: p.company, 'Job Title': p.title, Engagement_Status: 'Auto-Send' })),
  );
  const file = path.join(dir, 'leads.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  migrate(db, { now: () => new Date(Date.now() - 2 * AN_HOUR) });
  const before = new Date(Date.now() - 2 * AN_HOUR).toISOString();
  const insert = db.prepare(
    'INSERT INTO leads (id, name, email, company, title, engagement_status, airtable_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    people.forEach((p, n) => {
      insert.run(`L${n}`, p.name, p.email, p.company, p.title, 'Auto-Send', ids[n], before, before);
    });
  })();
  const lastRun = new Date(Date.now() - AN_HOUR).toISOString();
  const state = new SyncState(path.join(dir, 'sync-state.db'));
  state.save({ started_at: lastRun, checked_at: lastRun, full_scan: true, links: ids.map((id, n) => [`L${n}`, id] as [string, string]) });
  state.close();
  shift = 0;

  // The changes: every 20th lead, alternately edited locally and in Airtable.
  const changed = Math.max(2, Math.round(leads * changedShare));
  const step = Math.floor(leads / changed);
  const now = new Date().toISOString();
  const local = db.prepare('UPDATE leads SET title = ?, updated_at = ? WHERE id = ?');
  const remote: Array<{ id: string; fields: Record<string, unknown> }> = [];
  for (let c = 0; c < changed; c++) {
    const n = c * step;
    if (c % 2 === 0) local.run(`Director ${c}`, now, `L${n}`);
    else remote.push({ id: ids[n]!, fields: { Company: `Renamed ${c}` } });
  }
  db.close();
  for (let b = 0; b < remote.length; b += 10) {
    // A person's edits in Airtable, at the base's pace.
    for (;;) {
      const response = await fetch(`${em.url}/v0/${em.baseId}/Leads`, {
        method: 'PATCH',
        headers: { Authorization: `Bearer ${DEFAULT_TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ records: remote.slice(b, b + 10) }),
      });
      if (response.ok) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    await new Promise((resolve) => setTimeout(resolve, 210));
  }
  // The run starts with a whole second of the base's budget.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  em.clearLog();
  return { dir, db: file, em, localChanged: Math.ceil(changed / 2), airtableChanged: Math.floor(changed / 2) };
}

interface Measurement {
  operations: number;
  requests: number;
  metadata: number;
  wall_ms: number;
  rate_limited: number;
}

async function measure(prepared: Prepared, incremental: boolean): Promise<Measurement> {
  // The Airtable settings go into the process environment for the run, as for a user's run:
  // some stages (backup) read them only from there. All three are set, so none comes from the
  // calling shell, and all are put back afterwards.
  const airtable = { AIRTABLE_TOKEN: DEFAULT_TOKEN, AIRTABLE_BASE_ID: prepared.em.baseId, AIRTABLE_ENDPOINT_URL: prepared.em.url };
  const env = { ...process.env, LEADS_DB: prepared.db, LEADS_DATA_DIR: prepared.dir, ...airtable };
  const saved = withEnv(airtable);
  try {
    // Without its backup step: a backup reads the whole table (a request per 100 records) on every
    // run, incremental or not, and is measured by the safety bench; this one measures what the
    // synchronization itself asks of Airtable.
    const pipeline = loadPipeline(path.join(ROOT, 'pipelines', 'sync.yaml'), { env, skip: ['backup'] });
    for (const step of pipeline.steps) {
      if (['read-airtable', 'write-airtable', 'validate'].includes(step.stage.name))
        Object.assign(step.options, { endpoint_url: prepared.em.url, base_id: prepared.em.baseId });
      if (step.stage.name === 'read-airtable') Object.assign(step.options, { incremental });
      if (step.stage.name === 'report') Object.assign(step.options, { directory: path.join(prepared.dir, 'reports') });
    }
    const started = performance.now();
    const summary = await runPipeline(pipeline);
    const wall = performance.now() - started;
    const log = prepared.em.requestLog();
    const operations = Object.entries(summary.operations)
      .filter(([k]) => k.endsWith('.applied'))
      .reduce((n, [, v]) => n + v, 0);
    return {
      operations,
      requests: log.filter((r) => !r.path.startsWith('/v0/meta/')).length,
      metadata: log.filter((r) => r.path.startsWith('/v0/meta/')).length,
      wall_ms: Math.round(wall),
      rate_limited: log.filter((r) => r.status === 429).length,
    };
  } finally {
    saved();
    await prepared.em.close();
    fs.rmSync(prepared.dir, { recursive: true, force: true });
  }
}

export async function benchSync(options: { leads?: number; changedShare?: number } = {}): Promise<BenchResult> {
  const leads = options.leads ?? Number(process.env.BENCH_SYNC_LEADS ?? 10_000);
  const changedShare = options.changedShare ?? Number(process.env.BENCH_SYNC_CHANGED_SHARE ?? 0.05);
  const incrementalRun = await prepare(leads, changedShare);
  const { localChanged, airtableChanged } = incrementalRun;
  const incremental = await measure(incrementalRun, true);
  const full = await measure(await prepare(leads, changedShare), false);
  const changes = localChanged + airtableChanged;
  // Listing the Airtable changes, fetching the local changes' counterparts, writing the local
  // changes to Airtable, and re-reading every touched record by id to validate.
  const minimum = Math.ceil(airtableChanged / 100) + Math.ceil(localChanged / 100) + Math.ceil(localChanged / 10) + Math.ceil(changes / 100);
  return {
    name: `sync: full vs incremental, ${leads} leads in step, ${changes} changed (${localChanged} local, ${airtableChanged} Airtable), emulator at 5 requests/s`,
    figures: {
      full_operations: full.operations,
      full_requests: full.requests,
      full_requests_per_change: round(full.requests / changes),
      full_wall_ms: full.wall_ms,
      incremental_operations: incremental.operations,
      incremental_requests: incremental.requests,
      incremental_requests_per_change: round(incremental.requests / changes),
      incremental_wall_ms: incremental.wall_ms,
      minimum_requests_for_the_changes: minimum,
      metadata_requests_per_run: incremental.metadata,
      rate_limited_429: full.rate_limited + incremental.rate_limited,
      wall_time_incremental_vs_full: round(incremental.wall_ms / full.wall_ms),
    },
    targets: [
      atMost('incremental requests / minimum for the changes', incremental.requests / minimum, 1.2),
      atMost('incremental operations / changes', incremental.operations / changes, 1),
    ],
  };
}

if (isMain(import.meta.url)) runAlone(() => benchSync());
