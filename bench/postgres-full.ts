import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { DEFAULT_TOKEN, startEmulator, type Emulator } from '../lib/airtable-emulator/index.js';
import { canonicalPersonName } from '../lib/normalize/person.js';
import { testPostgres } from '../spec/support/postgres.js';
import { atMost, isMain, measure, ROOT, round, runAlone, type BenchResult } from './harness.js';

/**
 * A full maintenance run (`db-maintenance --full-maintenance`) with the local side a PostgreSQL
 * table, over a base that holds the same leads, linked and clean: a run that finds nothing to
 * change, as most scheduled runs do. It still backs both systems up, reads both whole, matches
 * every lead and validates both whole, so its time and memory are those of the run itself at
 * that size. Measured at `leads` and at a tenth of it, each in a child process of its own (peak
 * RSS from GNU time); the emulator keeps its base in a file and answers without a rate limit.
 */

const LOCAL_DDL = (table: string): string => `
  CREATE TABLE ${table} (
    id text PRIMARY KEY, name text, email text, company text, title text, linkedin_url text, company_website text,
    phone text, location text, industry text, company_size text, source text, status text DEFAULT 'new',
    engagement_status text, lead_score integer, enriched integer NOT NULL DEFAULT 0, notes text,
    airtable_id text UNIQUE, airtable_synced text, sync_status text DEFAULT 'pending',
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`;

interface Lead {
  name: string;
  email: string;
  company: string;
  title: string;
}

/** The n-th lead: unique, and already as standardization leaves it, so the run changes nothing. */
function lead(n: number): Lead {
  return {
    name: String(canonicalPersonName(`Lead ${FIRST[n % FIRST.length]} ${LAST[Math.floor(n / FIRST.length) % LAST.length]}${n}`).value),
    email: `lead${n}@firm${n}.io`,
    company: `Firm${n} Labs`,
    title: 'Engineer',
  };
}
const FIRST = ['Ada', 'Brook', 'Cyril', 'Dana', 'Edda', 'Farid', 'Gwen', 'Hugo', 'Ines', 'Jonas', 'Kai', 'Lena', 'Milo'];
const LAST = ['Abbott', 'Barros', 'Castell', 'Dorsey', 'Eriksen', 'Fontaine', 'Garrido', 'Hale', 'Ibarra', 'Jansen', 'Kowal'];

/** Seeds the base and the table with the same `count` leads, linked, in chunks (COPY-like multi-row inserts). */
async function seedBoth(em: Emulator, client: pg.Client, table: string, count: number): Promise<void> {
  await client.query(`DROP TABLE IF EXISTS ${table}`);
  await client.query(LOCAL_DDL(table));
  const before = new Date(Date.now() - 3600_000).toISOString();
  const chunk = 20_000;
  for (let start = 0; start < count; start += chunk) {
    const leads = Array.from({ length: Math.min(chunk, count - start) }, (_, i) => lead(start + i));
    const ids = em.seed(
      'Leads',
      leads.map((l) => ({ 'Full Name': l.name, Email: l.email, Company: l.company, 'Job Title': l.title, Engagement_Status: 'Auto-Send' })),
    );
    await client.query(
      `INSERT INTO ${table} (id, name, email, company, title, engagement_status, airtable_id, created_at, updated_at)
       SELECT u.id, u.name, u.email, u.company, u.title, 'Auto-Send', u.airtable_id, $6::timestamptz, $6::timestamptz
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $7::text[]) AS u(id, name, email, company, title, airtable_id)`,
      [
        leads.map((_, i) => `L${String(start + i).padStart(8, '0')}`),
        leads.map((l) => l.name),
        leads.map((l) => l.email),
        leads.map((l) => l.company),
        leads.map((l) => l.title),
        before,
        ids,
      ],
    );
  }
  await client.query(`VACUUM ANALYZE ${table}`);
}

interface FullRun {
  leads: number;
  ms: number;
  rssMb: number;
  /** Records the run changed (0 when the two systems were in step, as seeded). */
  changed: number;
  /** Record requests to the emulated base (backup, read and validate listings). */
  requests: number;
}

/** One full maintenance run over `count` leads in both systems, in a child process. */
async function fullRun(url: string, count: number): Promise<FullRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pg-full-'));
  const em = await startEmulator({
    dataFile: path.join(dir, 'base.db'),
    rateLimit: { perBasePerSecond: 1e9, perTokenPerSecond: 1e9 },
    requestLogMaxEntries: 1_000_000,
    requestLogMaxBytes: 512 * 1024 * 1024,
  });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await seedBoth(em, client, 'leads', count);
    em.clearLog();
    const data = path.join(dir, 'data');
    const run = await measure(process.execPath, [path.join(ROOT, 'dist', 'bin', 'db-maintenance.js'), '--full-maintenance', '--yes', '--data-dir', data], {
      env: {
        LEADS_DB: url,
        AIRTABLE_TOKEN: DEFAULT_TOKEN,
        AIRTABLE_BASE_ID: em.baseId,
        AIRTABLE_ENDPOINT_URL: em.url,
        LEADS_DATA_DIR: '',
        LEADS_STATE_DIR: '',
        LEADS_DATABASE_URL: '',
        LEADS_LOG_LEVEL: 'warn',
      },
    });
    const result = JSON.parse(fs.readFileSync(path.join(data, 'reports', 'latest', 'maintenance-result.json'), 'utf8')) as {
      success: boolean;
      duplicates_removed: number;
      records_standardized: number;
      records_synchronized: number;
    };
    if (!result.success) throw new Error(`The full run over ${count} leads did not succeed: ${JSON.stringify(result).slice(0, 2000)}`);
    const changed = result.duplicates_removed + result.records_standardized + result.records_synchronized;
    const requests = em.requestLog().filter((r) => !r.path.startsWith('/v0/meta/')).length;
    return { leads: count, ms: run.ms, rssMb: run.rssMb, changed, requests };
  } finally {
    await client.query('DROP TABLE IF EXISTS leads').catch(() => undefined);
    await client.end();
    await em.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The full run at `leads` and at a tenth of it: time, peak RSS and their ratio. */
export async function benchPostgresFull(options: { leads?: number; baseline?: number; url?: string } = {}): Promise<BenchResult> {
  const leads = options.leads ?? Number(process.env.BENCH_PG_FULL_LEADS ?? 1_000_000);
  // The baseline size (a tenth by default); 0 measures `leads` alone, to compare with an earlier run's figure.
  const tenth = options.baseline ?? Number(process.env.BENCH_PG_FULL_BASELINE ?? Math.max(1, Math.floor(leads / 10)));
  const url = options.url ?? process.env.LEADS_BENCH_DATABASE_URL ?? (await testPostgres()).url;
  const large = await fullRun(url, leads);
  if (tenth === 0) {
    const figures = { [`full_run_seconds_at_${leads}`]: round(large.ms / 1000, 1), [`full_run_peak_rss_mb_at_${leads}`]: round(large.rssMb, 1) };
    return {
      name: 'postgres-full',
      figures: { ...figures, [`full_run_airtable_requests_at_${leads}`]: large.requests, full_run_records_changed: large.changed },
      targets: [],
    };
  }
  const small = await fullRun(url, tenth);
  return {
    name: 'postgres-full',
    figures: {
      [`full_run_seconds_at_${tenth}`]: round(small.ms / 1000, 1),
      [`full_run_seconds_at_${leads}`]: round(large.ms / 1000, 1),
      [`full_run_peak_rss_mb_at_${tenth}`]: round(small.rssMb, 1),
      [`full_run_peak_rss_mb_at_${leads}`]: round(large.rssMb, 1),
      [`full_run_airtable_requests_at_${tenth}`]: small.requests,
      [`full_run_airtable_requests_at_${leads}`]: large.requests,
      full_run_records_changed: small.changed + large.changed,
    },
    targets: [atMost(`full maintenance run (no Airtable changes) peak RSS at ${leads} local leads ÷ at ${tenth}`, large.rssMb / small.rssMb, 1.2)],
  };
}

if (isMain(import.meta.url)) runAlone(() => benchPostgresFull());
