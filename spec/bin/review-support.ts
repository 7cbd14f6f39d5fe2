import Database from 'better-sqlite3';
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startSampleData, type SampleData } from '../../lib/maintenance/sample.js';
import { cli, tempDir, type CliResult } from '../helpers.js';
import { filesBelow } from '../lib/safety/support.js';

/**
 * Manual review as a user meets it: `db-maintenance` in a child process on a SQLite file and a
 * base reached through AIRTABLE_* (the project's emulator, run by this process), with a
 * configuration that leaves duplicates and conflicts to a person. The reviewed state is made once
 * (a run, a conflict made in both systems, a second run) and copied for each spec.
 */

export interface Own {
  data: string;
  config: string;
  sample: SampleData;
  env: NodeJS.ProcessEnv;
}

const MANUAL = 'maintenance_config:\n  duplicate_detection:\n    resolution_strategy: manual\n  synchronization:\n    conflict_resolution: manual\n';

export async function openOwn(data: string): Promise<Own> {
  const sample = await startSampleData(data, { count: 60 });
  const config = path.join(path.dirname(data), 'manual.yaml');
  fs.writeFileSync(config, MANUAL);
  return { data, config, sample, env: { ...sample.env, LEADS_DATA_DIR: '', LEADS_STATE_DIR: '' } };
}

export function maintenance(own: Own, args: string[]): Promise<CliResult> {
  return cli('db-maintenance', [...args, '--data-dir', own.data, '--config', own.config], { env: own.env });
}

export async function succeeds(own: Own, args: string[]): Promise<CliResult> {
  const run = await maintenance(own, args);
  expect(run.code, run.stderr.slice(-3000)).to.equal(0);
  return run;
}

export function runIdOf(run: CliResult): string {
  return /"run_id":"([^"]+)"/.exec(run.stderr)![1]!;
}

export interface Line {
  records: Array<Record<string, unknown> & { _meta: { source: string; id: string } }>;
  versions: Record<string, string>;
  record_id: string;
  field_name: string;
  local_value: unknown;
  airtable_value: unknown;
}

/** The lines of a review file (`duplicates` or `conflicts`). */
export function reviewLines(own: Own, file: 'duplicates' | 'conflicts'): Line[] {
  const text = fs.readFileSync(path.join(own.data, 'review', `${file}.jsonl`), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Line);
}

export function localRows(own: Own): Array<Record<string, unknown>> {
  const db = new Database(path.join(own.data, 'leads.db'), { readonly: true });
  try {
    return db.prepare('SELECT * FROM leads ORDER BY id').all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

export function localRow(own: Own, id: string): Record<string, unknown> | undefined {
  return localRows(own).find((row) => row.id === id);
}

export function editLocal(own: Own, id: string, fields: Record<string, unknown>): void {
  const db = new Database(path.join(own.data, 'leads.db'));
  try {
    const sets = Object.keys(fields).map((f) => `${f} = @${f}`);
    db.prepare(`UPDATE leads SET ${sets.join(', ')} WHERE id = @id`).run({ ...fields, id });
  } finally {
    db.close();
  }
}

export function airtableRecord(own: Own, id: string): Record<string, unknown> | undefined {
  return own.sample.emulator.dump('Leads').find((r) => r.id === id)?.fields;
}

/** Changes up to 10 Airtable records in one request, as a person in Airtable would (one request stays within the base's rate limit). */
async function editAirtableRecords(own: Own, records: Array<{ id: string; fields: Record<string, unknown> }>): Promise<void> {
  const url = `${own.env.AIRTABLE_ENDPOINT_URL}/v0/${own.env.AIRTABLE_BASE_ID}/Leads`;
  for (let tries = 0; tries < 30; tries++) {
    const response = await fetch(url, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${own.env.AIRTABLE_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ records }),
    });
    if (response.ok) return;
    if (response.status !== 429) throw new Error(`PATCH ${records.map((r) => r.id).join(', ')}: ${response.status} ${await response.text()}`);
    // Past the limit, the base answers 429 for 30 seconds.
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  throw new Error(`PATCH ${records.map((r) => r.id).join(', ')}: rate limited`);
}

/** Both systems' contents: every local row, every Airtable record's fields but the ones Airtable stamps. */
export function contents(own: Own): { local: string; airtable: string } {
  const airtable = own.sample.emulator
    .dump('Leads')
    .map((r) => {
      const { 'Last Modified': _m, 'Created At': _c, ...fields } = r.fields;
      return JSON.stringify([r.id, Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : 1))]);
    })
    .sort();
  return { local: JSON.stringify(localRows(own)), airtable: JSON.stringify(airtable) };
}

/** Every file of the data directory by hash (reports aside, and the base, compared by its records), and the base. */
export function snapshot(own: Own): { files: Record<string, string>; base: string } {
  const files: Record<string, string> = {};
  for (const file of filesBelow(own.data)) {
    const relative = path.relative(own.data, file);
    if (relative.startsWith('reports') || relative.startsWith('airtable-base.db')) continue;
    files[relative] = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  }
  return { files, base: JSON.stringify(own.sample.emulator.dump('Leads')) };
}

export function writeDecisions(own: Own, decisions: unknown[]): string {
  const file = path.join(path.dirname(own.data), 'decisions.json');
  fs.writeFileSync(file, JSON.stringify({ format: 'lead-maintenance-decisions', version: 1, decisions }, null, 2));
  return file;
}

/** The audit log of the latest run, as JSON Lines entries. */
export function latestAudit(own: Own): Array<Record<string, unknown>> {
  const reports = path.join(own.data, 'reports');
  const latest = fs
    .readdirSync(reports)
    .filter((name) => /^\d/.test(name))
    .sort()
    .pop()!;
  return fs
    .readFileSync(path.join(reports, latest, 'audit.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

/**
 * The reviewed state: a run under the manual strategies, then a title changed in both systems of
 * `conflicts` linked leads no group holds, then a second run (the conflicts go to review). Made
 * once per number of conflicts.
 */
const reviewed = new Map<number, string>();
export async function reviewedCopy(conflicts = 1): Promise<Own> {
  if (!reviewed.has(conflicts)) {
    const own = await openOwn(path.join(tempDir('review-base-'), 'data'));
    await succeeds(own, ['--full-maintenance', '--yes']);
    const grouped = new Set(reviewLines(own, 'duplicates').flatMap((g) => Object.keys(g.versions)));
    const leads = localRows(own)
      .filter((row) => row.airtable_id && !grouped.has(`local:${row.id}`) && !grouped.has(`airtable:${row.airtable_id}`))
      .slice(0, conflicts);
    expect(leads.length, 'linked leads outside every group').to.equal(conflicts);
    try {
      const suffix = (i: number): string => (i === 0 ? '' : ` ${i + 1}`);
      for (const [i, lead] of leads.entries()) editLocal(own, String(lead.id), { title: `Chief Revenue Officer${suffix(i)}` });
      await editAirtableRecords(
        own,
        leads.map((lead, i) => ({ id: String(lead.airtable_id), fields: { 'Job Title': `VP Revenue${suffix(i)}` } })),
      );
      await succeeds(own, ['--full-maintenance', '--yes']);
    } finally {
      await own.sample.close();
    }
    reviewed.set(conflicts, own.data);
  }
  const data = path.join(tempDir('review-'), 'data');
  fs.cpSync(reviewed.get(conflicts)!, data, { recursive: true });
  return openOwn(data);
}
