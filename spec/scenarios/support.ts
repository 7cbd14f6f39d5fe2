import Database from 'better-sqlite3';
import path from 'node:path';
import { DEFAULT_TOKEN, type Emulator, type EmulatorOptions } from '../../lib/airtable-emulator/index.js';
import { loadPipeline } from '../../lib/core/pipeline.js';
import { runPipeline, type RunSummary } from '../../lib/core/runner.js';
import { SyncState } from '../../lib/sync/state.js';
import { ROOT, tempDir } from '../helpers.js';
import { emulator, recordRequests } from '../lib/airtable/setup.js';
import { defaultDatabase } from '../lib/sqlite/support.js';

/**
 * A synchronization scenario: a real SQLite lead database and the Airtable emulator, run through
 * the bundled pipelines (pipelines/sync.yaml, pipelines/full.yaml) as a user runs them, with the
 * data directory, the database and the base pointed at this scenario's own.
 *
 * The emulator's clock starts two hours back while the base is seeded, so what a scenario
 * prepares is older than any run, as it would be in real use; edits made later are "now".
 */
export interface Scenario {
  dir: string;
  db: string;
  em: Emulator;
  /** Milliseconds added to the emulator's clock. */
  shift: number;
}

export const AIRTABLE_NAMES: Record<string, string> = {
  name: 'Full Name',
  email: 'Email',
  company: 'Company',
  title: 'Job Title',
  engagement_status: 'Engagement_Status',
};
const PREPARED_AT = '2026-01-01T00:00:00.000Z';

export interface Person {
  name: string;
  email: string;
  company?: string;
  title?: string;
}

export function person(i: number, more: Partial<Person> = {}): Person {
  return { name: `Person ${i}`, email: `person${i}@firm${i}.io`, company: `Firm ${i}`, title: 'Engineer', ...more };
}

function airtableFields(p: Partial<Person>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(p)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [AIRTABLE_NAMES[k] ?? k, v]),
  );
}

/**
 * Starts a scenario: `linked` people in both systems, in step and linked (local id `L<i>`);
 * `localOnly` and `airtableOnly` people on one side only.
 */
export async function scenario(
  setup: { linked?: Person[]; localOnly?: Person[]; airtableOnly?: Person[]; schema?: EmulatorOptions['schema'] } = {},
): Promise<Scenario> {
  const dir = tempDir('sync-scenario-');
  const s: Scenario = { dir, db: '', em: undefined as unknown as Emulator, shift: -2 * 3600_000 };
  s.em = await emulator({ clock: () => Date.now() + s.shift, ...(setup.schema ? { schema: setup.schema } : {}) });
  const linked = setup.linked ?? [];
  const ids = s.em.seed(
    'Leads',
    [...linked, ...(setup.airtableOnly ?? [])].map((p) => ({ ...airtableFields(p), Engagement_Status: 'Auto-Send' })),
  );
  const rows = [
    ...linked.map((p, i) => ({ id: `L${i}`, ...p, engagement_status: 'Auto-Send', airtable_id: ids[i], updated_at: PREPARED_AT, created_at: PREPARED_AT })),
    ...(setup.localOnly ?? []).map((p, i) => ({ id: `N${i}`, ...p, engagement_status: 'Auto-Send', updated_at: PREPARED_AT, created_at: PREPARED_AT })),
  ];
  s.db = await defaultDatabase(dir, rows);
  s.shift = 0;
  return s;
}

export interface SyncRun {
  summary: RunSummary;
  /** Airtable record requests of the run (metadata requests left out), by method. */
  requests: { total: number; reads: number; writes: number };
  /** Operations by `system.action.status`. */
  operations: Record<string, number>;
}

/**
 * Runs a bundled pipeline on the scenario. `diff`, `readAirtable` override those steps' options
 * as `--set` would.
 */
export async function sync(
  s: Scenario,
  settings: {
    pipeline?: 'sync' | 'full';
    diff?: Record<string, unknown>;
    readAirtable?: Record<string, unknown>;
    airtable?: Record<string, unknown>;
    dryRun?: boolean;
  } = {},
): Promise<SyncRun> {
  const env = { ...process.env, LEADS_DB: s.db, LEADS_DATA_DIR: s.dir };
  // The backup step is the safety specs' subject; here it would only slow every scenario down.
  const pipeline = loadPipeline(path.join(ROOT, 'pipelines', `${settings.pipeline ?? 'sync'}.yaml`), { env, skip: ['backup'] });
  for (const step of pipeline.steps) {
    if (step.stage.name === 'diff') Object.assign(step.options, settings.diff);
    if (step.stage.name === 'read-airtable')
      Object.assign(
        step.options,
        { endpoint_url: s.em.url, base_id: s.em.baseId, retry_delay_seconds: 0.05, rate_limit_penalty_seconds: 0.3 },
        settings.readAirtable,
      );
    if (step.stage.name === 'write-airtable' || step.stage.name === 'validate')
      Object.assign(step.options, { endpoint_url: s.em.url, base_id: s.em.baseId, retry_delay_seconds: 0.05, rate_limit_penalty_seconds: 0.3 });
    // Options every Airtable stage shares (as the config file's synchronization.airtable gives them).
    if (['read-airtable', 'write-airtable', 'validate'].includes(step.stage.name)) Object.assign(step.options, settings.airtable);
  }
  s.em.clearLog();
  const summary = await runPipeline(pipeline, { dryRun: settings.dryRun });
  const log = recordRequests(s.em);
  const writes = log.filter((r) => r.method !== 'GET' && !r.path.endsWith('/listRecords')).length;
  return { summary, requests: { total: log.length, reads: log.length - writes, writes }, operations: summary.operations };
}

/** Total operations applied, whatever their kind. */
export function applied(run: SyncRun): number {
  return Object.entries(run.operations)
    .filter(([k]) => k.endsWith('.applied'))
    .reduce((n, [, v]) => n + v, 0);
}

export type Row = Record<string, unknown>;

export function localRows(s: Scenario): Row[] {
  const db = new Database(s.db, { readonly: true });
  try {
    return db.prepare('SELECT * FROM leads ORDER BY email').all() as Row[];
  } finally {
    db.close();
  }
}

export function localByEmail(s: Scenario, email: string): Row | undefined {
  return localRows(s).find((r) => r.email === email);
}

/** The Airtable records as canonical fields, with `id`. */
export function airtableRows(s: Scenario): Row[] {
  const names = Object.fromEntries(Object.entries(AIRTABLE_NAMES).map(([k, v]) => [v, k]));
  return s.em.dump('Leads').map((r) => ({
    id: r.id,
    ...Object.fromEntries(
      Object.entries(r.fields)
        .filter(([k]) => k in names)
        .map(([k, v]) => [names[k], v]),
    ),
  }));
}

export function airtableByEmail(s: Scenario, email: string): Row | undefined {
  return airtableRows(s).find((r) => r.email === email);
}

/** Edits a local lead as another program would: the values and its modified time. */
export function editLocal(s: Scenario, id: string, fields: Row, at = new Date().toISOString()): void {
  const db = new Database(s.db);
  try {
    const sets = Object.keys(fields)
      .map((k) => `"${k}" = ?`)
      .join(', ');
    db.prepare(`UPDATE leads SET ${sets}, updated_at = ? WHERE id = ?`).run(...Object.values(fields), at, id);
  } finally {
    db.close();
  }
}

export function deleteLocal(s: Scenario, id: string): void {
  const db = new Database(s.db);
  try {
    db.prepare('DELETE FROM leads WHERE id = ?').run(id);
  } finally {
    db.close();
  }
}

/** Edits or deletes an Airtable record as a person in Airtable would (through the API, before the log is cleared). */
export async function airtable(s: Scenario, method: 'PATCH' | 'DELETE', id: string, fields: Row = {}): Promise<void> {
  const url = `${s.em.url}/v0/${s.em.baseId}/Leads${method === 'DELETE' ? `/${id}` : ''}`;
  const send = (): Promise<Response> =>
    fetch(url, {
      method,
      headers: { Authorization: `Bearer ${DEFAULT_TOKEN}`, 'Content-Type': 'application/json' },
      ...(method === 'PATCH' ? { body: JSON.stringify({ records: [{ id, fields: airtableFields(fields as Partial<Person>) }] }) } : {}),
    });
  let response = await send();
  // Right after a run the base's 5 requests per second may be used up: wait out the penalty, as a person would.
  for (let tries = 0; response.status === 429 && tries < 20; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 350));
    response = await send();
  }
  if (!response.ok) throw new Error(`${method} ${id}: ${response.status} ${await response.text()}`);
}

export function state(s: Scenario): SyncState {
  return new SyncState(path.join(s.dir, 'sync-state.db'));
}
