import { expect } from 'chai';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startSampleData, type SampleData } from '../../lib/maintenance/sample.js';
import { acquireLock } from '../../lib/safety/lock.js';
import { cli, tempDir, type CliResult } from '../helpers.js';
import { filesBelow } from '../lib/safety/support.js';

/**
 * The recovery commands as a user meets them: `db-maintenance` in a child process on the user's
 * own data (a SQLite file and a base reached through AIRTABLE_TOKEN / AIRTABLE_BASE_ID /
 * AIRTABLE_ENDPOINT_URL, here the emulator this process runs, so its request log shows every
 * request the CLI sent).
 */
interface Own {
  dir: string;
  data: string;
  sample: SampleData;
  env: NodeJS.ProcessEnv;
}

async function ownData(): Promise<Own> {
  const dir = tempDir('recovery-cli-');
  const data = path.join(dir, 'data');
  const sample = await startSampleData(data, { count: 60 });
  return { dir, data, sample, env: { ...sample.env, LEADS_DATA_DIR: '', LEADS_STATE_DIR: '' } };
}

function maintenance(own: Own, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return cli('db-maintenance', [...args, '--data-dir', own.data], { env: { ...own.env, ...env } });
}

async function liveRun(own: Own): Promise<string> {
  const run = await maintenance(own, ['--full-maintenance', '--yes']);
  expect(run.code, run.stderr).to.equal(0);
  return /"run_id":"([^"]+)"/.exec(run.stderr)![1]!;
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/**
 * What must not change: every file of the data directory (the database, the run state: journals,
 * locks, sync state; reports aside) by hash, and the Airtable base.
 */
function snapshot(own: Own): { files: Record<string, string>; base: string } {
  const files: Record<string, string> = {};
  for (const file of filesBelow(own.data)) {
    const relative = path.relative(own.data, file);
    if (relative.startsWith('reports') || relative.startsWith('airtable-base.db')) continue;
    files[relative] = sha256(file);
  }
  return { files, base: JSON.stringify(own.sample.emulator.dump('Leads')) };
}

function writeRequests(own: Own): string[] {
  return own.sample.emulator
    .requestLog()
    .filter((r) => r.method !== 'GET' && !r.path.endsWith('/listRecords') && !r.path.startsWith('/v0/meta/'))
    .map((r) => `${r.method} ${r.path}`);
}

function airtableContent(own: Own): string[] {
  return own.sample.emulator
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
}

function localContent(database: string): string[] {
  const db = new Database(database, { readonly: true });
  try {
    return (db.prepare('SELECT * FROM leads').all() as Array<Record<string, unknown>>)
      .map(({ airtable_id: _a, updated_at: _u, ...rest }) => JSON.stringify(rest))
      .sort();
  } finally {
    db.close();
  }
}

describe('db-maintenance recovery commands (end to end, own data)', function () {
  this.timeout(240_000);
  let own: Own | undefined;
  afterEach(async () => {
    await own?.sample.close();
    own = undefined;
  });

  it('--rollback RUN --dry-run plans the undo and changes nothing: files, run state and base byte-identical, no write request; the live rollback then undoes as planned', async () => {
    own = await ownData();
    const runId = await liveRun(own);
    const before = snapshot(own);
    own.sample.emulator.clearLog();
    const plan = await maintenance(own, ['--rollback', runId, '--dry-run']);
    expect(plan.code, plan.stderr).to.equal(0);
    const planned = new RegExp(
      `Run ${runId} would be rolled back \\(dry run, nothing changed\\): (\\d+) local and (\\d+) Airtable change\\(s\\) would be undone`,
    ).exec(plan.stderr);
    expect(planned, plan.stderr).to.not.equal(null);
    expect(Number(planned![1])).to.be.greaterThan(0);
    expect(Number(planned![2])).to.be.greaterThan(0);
    expect(writeRequests(own)).to.deep.equal([]);
    expect(snapshot(own)).to.deep.equal(before);

    const status = await maintenance(own, ['--status']);
    expect(status.stdout).to.match(new RegExp(`${runId} +\\d+ change\\(s\\) applied +completed`));

    const rollback = await maintenance(own, ['--rollback', runId]);
    expect(rollback.code, rollback.stderr).to.equal(0);
    expect(rollback.stderr).to.contain(`Run ${runId} rolled back: ${planned![1]} local and ${planned![2]} Airtable change(s) undone.`);
  });

  it('--restore BACKUP --dry-run and --resume RUN --dry-run change nothing either', async () => {
    own = await ownData();
    const runId = await liveRun(own);
    // The run cut short: its end line and its last batch's outcome gone, as after a kill -9.
    const journal = path.join(own.data, '.lead-maintenance', 'runs', runId, 'journal.jsonl');
    const lines = fs.readFileSync(journal, 'utf8').trimEnd().split('\n');
    const lastDone = lines.map((l) => JSON.parse(l).t).lastIndexOf('done');
    fs.writeFileSync(journal, lines.filter((l, i) => i !== lastDone && JSON.parse(l).t !== 'end').join('\n') + '\n', { mode: 0o600 });
    const before = snapshot(own);
    own.sample.emulator.clearLog();

    const restore = await maintenance(own, ['--restore', path.join(own.data, 'backups', runId), '--dry-run']);
    expect(restore.code, restore.stderr).to.equal(0);
    const resume = await maintenance(own, ['--resume', runId, '--dry-run']);
    expect(resume.code, resume.stderr).to.equal(0);
    expect(resume.stderr).to.match(
      new RegExp(`Run ${runId} would be resumed \\(dry run, nothing changed\\): [1-9]\\d* operation\\(s\\) of unknown outcome looked up`),
    );
    expect(writeRequests(own)).to.deep.equal([]);
    expect(snapshot(own)).to.deep.equal(before);
  });

  it('an unknown run id is one line and exit code 2', async () => {
    own = await ownData();
    for (const command of ['--rollback', '--resume']) {
      for (const runId of ['20990101T000000-nosuchrun', '../../etc']) {
        const result = await maintenance(own, [command, runId]);
        expect(result.code, `${command} ${runId}: ${result.stderr}`).to.equal(2);
        expect(result.stderr.trim().split('\n'), result.stderr).to.have.length(1);
        expect(result.stderr).to.not.contain('Unexpected failure').and.not.contain('    at ');
      }
    }
  });

  it('--rollback on a copied folder acts on the configured database only: it says the journal names another and needs --yes', async () => {
    own = await ownData();
    const runId = await liveRun(own);
    const copy = path.join(own.dir, 'copy');
    fs.cpSync(own.data, copy, { recursive: true });
    const original = sha256(own.sample.database);
    const copied = path.join(copy, 'leads.db');
    const copiedBefore = sha256(copied);
    const env = { LEADS_DB: copied };

    const refused = await cli('db-maintenance', ['--rollback', runId, '--data-dir', copy], { env: { ...own.env, ...env } });
    expect(refused.code, refused.stderr).to.equal(5);
    expect(refused.stderr).to.contain(`wrote to the database ${own.sample.database}, but the configuration points at ${copied}`).and.contain('--yes');
    expect(sha256(copied)).to.equal(copiedBefore);

    const confirmed = await cli('db-maintenance', ['--rollback', runId, '--yes', '--data-dir', copy], { env: { ...own.env, ...env } });
    expect(confirmed.code, confirmed.stderr).to.equal(0);
    expect(sha256(copied)).to.not.equal(copiedBefore);
    expect(sha256(own.sample.database), 'the file the journal names is left alone').to.equal(original);
  });

  it('--restore writes to the configured database, never to the path an edited manifest names, and says they differ', async () => {
    own = await ownData();
    const localBefore = localContent(own.sample.database);
    const runId = await liveRun(own);
    const other = path.join(own.dir, 'other.db');
    fs.writeFileSync(other, "someone else's file");
    const manifestFile = path.join(own.data, 'backups', runId, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    for (const file of manifest.files) if (file.source?.database) file.source.database = other;
    fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
    const restore = await maintenance(own, ['--restore', path.join(own.data, 'backups', runId), '--yes']);
    expect(restore.code, restore.stderr).to.equal(0);
    expect(restore.stderr).to.contain(`The backup was taken of ${other}; it is restored to the configured database ${own.sample.database}.`);
    expect(fs.readFileSync(other, 'utf8')).to.equal("someone else's file");
    expect(localContent(own.sample.database)).to.deep.equal(localBefore);
  });

  it('--rollback RUN --system airtable warns of the links it leaves dangling and names the command that completes it', async () => {
    own = await ownData();
    const localBefore = localContent(own.sample.database);
    const airtableBefore = airtableContent(own);
    const runId = await liveRun(own);
    const partial = await maintenance(own, ['--rollback', runId, '--system', 'airtable']);
    expect(partial.code, partial.stderr).to.equal(0);
    expect(partial.stderr)
      .to.match(/WARNING: [1-9]\d* link\(s\) between a local lead and an Airtable record are left dangling/)
      .and.contain(`to undo them too: db-maintenance --rollback ${runId}`);
    const rest = await maintenance(own, ['--rollback', runId]);
    expect(rest.code, rest.stderr).to.equal(0);
    expect(airtableContent(own)).to.deep.equal(airtableBefore);
    expect(localContent(own.sample.database)).to.deep.equal(localBefore);
  });

  it('a run that finds another run holding the lock raises the backup_failed alert and exits 4; a stale lock names a command that works', async () => {
    own = await ownData();
    const stateDir = path.join(own.data, '.lead-maintenance');
    const held = acquireLock(stateDir, [own.sample.database], { runId: 'the-other-run' });
    own.sample.emulator.clearLog();
    try {
      const loser = await maintenance(own, ['--full-maintenance', '--yes']);
      expect(loser.stderr).to.contain('ALERT (backup_failed)').and.contain('locked by run the-other-run');
      expect(loser.code, loser.stderr).to.equal(4);
    } finally {
      held.release();
    }
    expect(writeRequests(own)).to.deep.equal([]);

    // A lock left by a run that died: the message's advice is something db-maintenance accepts.
    const stale = acquireLock(stateDir, [own.sample.database], { runId: 'dead-run' });
    const dead = await deadPid();
    fs.writeFileSync(stale.files[0]!, JSON.stringify({ ...JSON.parse(fs.readFileSync(stale.files[0]!, 'utf8')), pid: dead }));
    const refused = await maintenance(own, ['--full-maintenance', '--yes']);
    expect(refused.code).to.equal(4);
    expect(refused.stderr).to.not.contain('--break-stale-lock');
    const rm = /remove the lock: rm '([^']+)'/.exec(refused.stderr);
    expect(rm, refused.stderr).to.not.equal(null);
    fs.rmSync(rm![1]!);
    const after = await maintenance(own, ['--full-maintenance', '--yes']);
    expect(after.code, after.stderr).to.equal(0);
  });
});

/** The pid of a process that has ended. */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '']);
    child.on('error', reject);
    child.on('exit', () => resolve(child.pid!));
  });
}
