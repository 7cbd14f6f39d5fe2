import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type pg from 'pg';
import { startSampleData, type SampleData } from '../../lib/maintenance/sample.js';
import { readJournal } from '../../lib/core/journal-read.js';
import { lockApplicationName, advisoryKey } from '../../lib/postgres/lock.js';
import { cli, tempDir, type CliResult } from '../helpers.js';
import { copyLeads, SAMPLE_LEADS_DDL } from '../lib/postgres/support.js';
import { filesBelow, tableRows } from '../lib/safety/support.js';
import { postgresOrSkip, type TestPostgres } from '../support/postgres.js';

/**
 * db-maintenance as a user meets it with LEADS_DB=postgres://…: the local side a table on a real
 * server (spec/support/postgres.ts), Airtable the emulator of the sample data, every command in a
 * child process. "The table back exactly" is every row as the server prints it, in id order.
 */
const KILL_CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'postgres-kill-child.js');

interface Own {
  data: string;
  sample: SampleData;
  env: NodeJS.ProcessEnv;
}

describe('db-maintenance on a PostgreSQL table (end to end)', function () {
  this.timeout(240_000);
  let db: TestPostgres;
  let client: pg.Client;
  let own: Own | undefined;
  before(async function () {
    db = await postgresOrSkip(this);
    client = await db.client();
  });
  after(async () => client?.end());
  afterEach(async () => {
    await own?.sample.close();
    own = undefined;
  });

  /** A fresh table filled with the sample leads, and the sample's emulated base. */
  async function ownData(): Promise<Own> {
    const data = path.join(tempDir('pg-cli-'), 'data');
    const sample = await startSampleData(data, { count: 60 });
    await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    await client.query(SAMPLE_LEADS_DDL);
    await copyLeads(client, tableRows(sample.database));
    // Times as a server keeps them, to the microsecond (a rollback must put those back too).
    await client.query(`UPDATE leads SET created_at = created_at + interval '123 microseconds', updated_at = updated_at + interval '456 microseconds'`);
    return { data, sample, env: { ...sample.env, LEADS_DB: db.url, LEADS_DATA_DIR: '', LEADS_STATE_DIR: '', LEADS_DATABASE_URL: '' } };
  }
  const maintenance = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> =>
    cli('db-maintenance', [...args, '--data-dir', own!.data], { env: { ...own!.env, ...env } });
  const table = async (): Promise<string[]> => (await client.query<{ row: string }>('SELECT t::text AS row FROM leads t ORDER BY id')).rows.map((r) => r.row);
  const base = (): string => JSON.stringify(own!.sample.emulator.dump('Leads'));
  /** The base's records by their fields (computed ones aside), sorted: a rollback recreates deleted records under new ids. */
  const baseContent = (): string[] =>
    own!.sample.emulator
      .dump('Leads')
      .map((r) => {
        const { 'Created At': _c, 'Last Modified': _m, ...fields } = r.fields;
        return JSON.stringify(
          Object.keys(fields)
            .sort()
            .map((k) => [k, fields[k]]),
        );
      })
      .sort();
  const runIdOf = (result: CliResult): string => /"run_id":"([^"]+)"/.exec(result.stderr)![1]!;

  /** No artefact of the run, nor its output, holds the password. */
  function expectNoSecret(...outputs: CliResult[]): void {
    for (const output of outputs) expect(output.stdout + output.stderr).not.to.contain(db.password);
    for (const file of filesBelow(own!.data))
      if (fs.statSync(file).isFile()) expect(fs.readFileSync(file).includes(Buffer.from(db.password)), file).to.equal(false);
  }

  it('a dry run plans every change and changes neither the table nor the base', async () => {
    own = await ownData();
    const [rows, records] = [await table(), base()];
    const plan = await maintenance(['--full-maintenance', '--dry-run']);
    expect(plan.code, plan.stderr).to.equal(0);
    expect(plan.stderr).to.match(/update +\d+ record\(s\) in the local database/);
    expect(plan.stderr).to.contain('read-postgres');
    expect(await table()).to.deep.equal(rows);
    expect(base()).to.equal(records);
    expectNoSecret(plan);
  });

  it('a full run changes the table, --status lists it, and --rollback puts the table and the base back exactly', async () => {
    own = await ownData();
    const [rows, records] = [await table(), baseContent()];
    const run = await maintenance(['--full-maintenance', '--yes']);
    expect(run.code, run.stderr).to.equal(0);
    const runId = runIdOf(run);
    expect(await table()).not.to.deep.equal(rows);
    const status = await maintenance(['--status']);
    expect(status.stdout).to.match(new RegExp(`${runId} +[1-9]\\d* change\\(s\\) applied +completed`));
    const after = await table();
    const plan = await maintenance(['--rollback', runId, '--dry-run']);
    expect(plan.code, plan.stderr).to.equal(0);
    expect(plan.stderr).to.match(new RegExp(`Run ${runId} would be rolled back \\(dry run, nothing changed\\): [1-9]\\d* local`));
    expect(await table()).to.deep.equal(after);
    const rollback = await maintenance(['--rollback', runId, '--yes']);
    expect(rollback.code, rollback.stderr).to.equal(0);
    expect(rollback.stderr).to.match(new RegExp(`Run ${runId} rolled back: [1-9]\\d* local and [1-9]\\d* Airtable change\\(s\\) undone`));
    expect(await table()).to.deep.equal(rows);
    expect(baseContent()).to.deep.equal(records);
    expectNoSecret(run, status, plan, rollback);
  });

  it('--backup-only, then --restore after the table was damaged, gives the exact table back and keeps the damaged rows aside', async () => {
    own = await ownData();
    const rows = await table();
    const backup = await maintenance(['--backup-only', '--yes']);
    expect(backup.code, backup.stderr).to.equal(0);
    const dir = path.join(own.data, 'backups', runIdOf(backup));
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { verified: boolean; files: Array<{ kind: string }> };
    expect(manifest.verified).to.equal(true);
    expect(manifest.files.map((f) => f.kind)).to.include.members(['postgres-schema', 'postgres-rows']);
    await client.query(`UPDATE leads SET email = NULL, name = 'damaged'; DELETE FROM leads WHERE id IN (SELECT id FROM leads ORDER BY id LIMIT 9)`);
    const restore = await maintenance(['--restore', dir, '--yes']);
    expect(restore.code, restore.stderr).to.equal(0);
    expect(await table()).to.deep.equal(rows);
    const aside = await client.query<{ relname: string }>(`SELECT relname FROM pg_class WHERE relname LIKE 'leads_before_restore_%'`);
    expect(aside.rowCount).to.equal(1);
    expectNoSecret(backup, restore);
  });

  it('refuses a second run while another machine runs on the table, naming that run, and changes nothing', async () => {
    own = await ownData();
    const rows = await table();
    const other = await db.client();
    try {
      // Another machine's run, as the server sees it: a session holding the table's key under its run's name.
      await other.query(`SELECT set_config('application_name', $1, false)`, [lockApplicationName('20260105T020000-0ther0ne', 4242, 'crm-box')]);
      await other.query('SELECT pg_advisory_lock($1::bigint)', [advisoryKey('public.leads').toString()]);
      const second = await maintenance(['--full-maintenance', '--yes']);
      expect(second.code).not.to.equal(0);
      expect(second.stderr).to.contain('PostgreSQL table public.leads');
      expect(second.stderr).to.contain('is locked by run 20260105T020000-0ther0ne (pid 4242 on crm-box');
      expect(await table()).to.deep.equal(rows);
      const status = await maintenance(['--status']);
      expect(status.stdout).to.match(
        /PostgreSQL table public\.leads \(lead_test@127\.0\.0\.1:\d+\/spec_\w+\) is locked by run 20260105T020000-0ther0ne \(pid 4242 on crm-box/,
      );
      expectNoSecret(second, status);
    } finally {
      await other.end();
    }
  });

  it('with a wrong password, says the server refused the credentials and where they come from, exit 2, the password nowhere', async () => {
    own = await ownData();
    const wrong = db.url.replace(`:${db.password}@`, ':not-the-password-4f1e@');
    const run = await maintenance(['--full-maintenance', '--yes'], { LEADS_DB: wrong });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.contain('refused the credentials');
    expect(run.stderr).to.contain('LEADS_DB');
    expect(run.stdout + run.stderr).not.to.contain('not-the-password-4f1e');
    for (const file of filesBelow(own.data))
      if (fs.statSync(file).isFile()) expect(fs.readFileSync(file).includes(Buffer.from('not-the-password-4f1e')), file).to.equal(false);
  });

  it('leaves rows another writer changed during the run as they left it, reports each as a conflict, and the rest of the run stands', async () => {
    own = await ownData();
    // A lead of the sample the run standardizes, keeps, and links to the Airtable record it matches, in one update.
    const target = (await client.query<{ id: string }>(`SELECT id FROM leads WHERE email = ' Marc.gagnon34@umbrellahealth.com '`)).rows[0]!.id;
    const runId = '20260301T000000-concurrent';
    // Another writer, once the run has read the table: edits one lead's email (an update the run
    // planned, which also links the lead to its Airtable record), and every lead's notes (which
    // every delete the run planned checks).
    const sql = `UPDATE leads SET email = 'Other.Writer@Example.com' WHERE id = '${target}'; UPDATE leads SET notes = coalesce(notes, '') || ' (edited)'`;
    const env = { ...process.env, ...own.env, LEADS_DATA_DIR: own.data, PSQL: path.join(db.binDir, 'psql') };
    const child = spawn(process.execPath, [KILL_CHILD, runId, path.join(own.data, '.lead-maintenance'), 'intended', '1', '7', sql], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code, stderr).to.equal(0);
    const row = (await client.query<{ email: string; airtable_id: string | null }>('SELECT email, airtable_id FROM leads WHERE id = $1', [target])).rows[0]!;
    expect(row.email).to.equal('Other.Writer@Example.com');
    const journal = readJournal(path.join(own.data, '.lead-maintenance', 'runs', runId, 'journal.jsonl'));
    const skipped = journal.ops.filter((op) => op.system === 'local' && String(op.result?.error ?? '').startsWith('conflict: '));
    const update = skipped.find((op) => op.action === 'update' && op.id === target);
    expect(update?.fields).to.have.property('airtable_id').that.matches(/^rec/);
    expect(row.airtable_id).to.equal(null);
    const deletesKept = skipped.filter((op) => op.action === 'delete').map((op) => String(op.id));
    expect(deletesKept).not.to.be.empty;
    expect((await client.query('SELECT 1 FROM leads WHERE id = ANY($1)', [deletesKept])).rowCount).to.equal(deletesKept.length);
    // The rest stands: the run's other local changes are in the table, and it ended completed.
    expect(journal.ops.filter((op) => op.system === 'local' && op.result?.status === 'applied')).not.to.be.empty;
    expect(journal.end?.status).to.equal('completed');
    const reports = path.join(own.data, 'reports', 'latest');
    const result = JSON.parse(fs.readFileSync(path.join(reports, 'maintenance-result.json'), 'utf8')) as { success: boolean; detailed_results: unknown };
    expect(result.success).to.equal(true);
    expect(JSON.stringify(result.detailed_results)).to.match(/"concurrent_change":[1-9]/);
    const audit = fs.readFileSync(path.join(reports, 'audit.jsonl'), 'utf8');
    expect(audit).to.match(new RegExp(`"system":"local","action":"update","record_id":"${target}","field":"email",[^\n]*"status":"skipped"`));
  });

  it('stops before its next write when the session holding its lock is terminated, says so, and --resume finishes the run', async () => {
    own = await ownData();
    const runId = '20260301T000000-locklost';
    const sql = `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'lm:${runId}:%'`;
    const env = { ...process.env, ...own.env, LEADS_DATA_DIR: own.data, PSQL: path.join(db.binDir, 'psql') };
    // The lock's session ends as the run journals its first batch (to Airtable), which still goes.
    const child = spawn(process.execPath, [KILL_CHILD, runId, path.join(own.data, '.lead-maintenance'), 'intended', '1', '7', sql], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).not.to.equal(0);
    expect(stderr).to.contain('The run lost its lock on PostgreSQL table public.leads').and.contain(`db-maintenance --resume ${runId}`);
    const journal = readJournal(path.join(own.data, '.lead-maintenance', 'runs', runId, 'journal.jsonl'));
    // The batch journaled as the lock went was sent; no batch after it was.
    expect(journal.ops.filter((op) => op.result?.status === 'applied').length).to.equal(7);
    expect(journal.ops.filter((op) => op.system === 'local' && op.result?.status === 'applied')).to.be.empty;
    // Nothing was rejected for it, the journal is left to resume, and the resume finishes the run.
    expect(fs.existsSync(path.join(own.data, 'rejects.jsonl'))).to.equal(false);
    expect(journal.end?.status).to.equal('failed');
    const resume = await maintenance(['--resume', runId, '--yes']);
    expect(resume.code, resume.stderr).to.equal(0);
    expect(resume.stderr).to.contain(`Run ${runId} resumed and finished`);
  });

  describe('a run killed with -9', () => {
    /** Kills a full run at the count-th journal event (write-airtable's batches come first, then write-postgres's). */
    function killedRun(event: string, count: number): Promise<string> {
      const runId = `20260301T000000-kill${event.slice(0, 3)}${count}`;
      const env = { ...process.env, ...own!.env, LEADS_DATA_DIR: own!.data };
      const child = spawn(process.execPath, [KILL_CHILD, runId, path.join(own!.data, '.lead-maintenance'), event, String(count), '7'], {
        env,
        stdio: 'ignore',
      });
      return new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal === 'SIGKILL' ? runId : `not killed: ${_code}`)));
    }
    const points: Array<[string, number]> = [
      ['settled', 3],
      ['intended', 12],
      ['settling', 14],
    ];
    for (const [event, count] of points) {
      it(`at ${event} #${count}: --rollback puts the table back exactly`, async () => {
        own = await ownData();
        const rows = await table();
        const runId = await killedRun(event, count);
        expect(runId).not.to.match(/^not killed/);
        const rollback = await maintenance(['--rollback', runId, '--yes']);
        expect(rollback.code, rollback.stderr).to.equal(0);
        expect(await table()).to.deep.equal(rows);
      });

      it(`at ${event} #${count}: --resume finishes the run, after which nothing is left to change`, async () => {
        own = await ownData();
        const runId = await killedRun(event, count);
        expect(runId).not.to.match(/^not killed/);
        const resume = await maintenance(['--resume', runId, '--yes']);
        expect(resume.code, resume.stderr).to.equal(0);
        expect(resume.stderr).to.contain(`Run ${runId} resumed and finished`);
        const again = await maintenance(['--full-maintenance', '--dry-run']);
        expect(again.code, again.stderr).to.equal(0);
        expect(again.stderr).not.to.contain('This run would change');
      });
    }
  });
});
