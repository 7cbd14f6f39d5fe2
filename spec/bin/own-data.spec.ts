import { expect } from 'chai';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../lib/airtable-emulator/index.js';
import { createSampleDatabase } from '../../lib/sqlite/sample.js';
import { cli, tempDir, type CliResult } from '../helpers.js';

/**
 * `db-maintenance` as a user meets it on their own data, in a child process: sample data only
 * with --sample, configuration from the working directory, reports of failed runs, private files.
 */

/** Nothing configured: the parent's variables must not leak in. */
const NOTHING = {
  AIRTABLE_TOKEN: '',
  AIRTABLE_BASE_ID: '',
  AIRTABLE_ENDPOINT_URL: '',
  LEADS_DB: '',
  LEADS_DATA_DIR: '',
  LEADS_STATE_DIR: '',
  AIRTABLE_KEY: '',
  AIRTABLE_API_KEY: '',
};

function maintenance(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return cli('db-maintenance', args, { cwd, env: { ...NOTHING, ...env } });
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function count(file: string, table: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** A team's own setup: a `contacts` table and a base whose table is `Prospects`, with their own names for every field. */
const TEAM_CONFIG = `maintenance_config:
  synchronization: { airtable: { table: Prospects } }
field_mapping:
  database_to_airtable: { name: Contact, email: Work Email, company: Organisation, phone: Phone, engagement_status: Stage }
  airtable_to_database: { Contact: name, Work Email: email, Organisation: company, Phone: phone, Stage: engagement_status }
  local:
    table: contacts
    id_column: Contact ID
    modified_column: Last Touched
    created_column: null
    columns: { Name: name, E-mail: email, Company Name: company, Phone Number: phone, Stage: engagement_status }
`;

async function teamSetup(dir: string): Promise<{ db: string; emulator: Emulator; env: NodeJS.ProcessEnv }> {
  const db = path.join(dir, 'contacts.db');
  const sql = new Database(db);
  sql.exec(
    'CREATE TABLE contacts ("Contact ID" TEXT PRIMARY KEY, "Name" TEXT, "E-mail" TEXT, "Company Name" TEXT, "Phone Number" TEXT, "Last Touched" TEXT, "Stage" TEXT, airtable_id TEXT)',
  );
  const insert = sql.prepare('INSERT INTO contacts VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)');
  insert.run('c1', 'Ann Lee', 'ANN@Acme.com ', 'ACME INC', '(514) 555-0101', '2025-01-02T00:00:00Z');
  insert.run('c2', 'Bob Roy', 'bob@globex.com', 'Globex', null, '2025-01-03T00:00:00Z');
  insert.run('c3', 'Ann Lee', 'ann@acme.com', 'Acme Inc.', null, '2025-01-04T00:00:00Z');
  sql.close();
  const choices = ['Auto-Send', 'Sent', 'Skipped', 'Needs Review', 'Error'].map((name) => ({ name }));
  const emulator = await startEmulator({
    port: 0,
    schema: {
      tables: [
        {
          name: 'Prospects',
          fields: [
            { name: 'Contact', type: 'singleLineText' },
            { name: 'Work Email', type: 'email' },
            { name: 'Organisation', type: 'singleLineText' },
            { name: 'Phone', type: 'phoneNumber' },
            { name: 'Stage', type: 'singleSelect', options: { choices } },
          ],
        },
      ],
    } as never,
  });
  emulator.seed('Prospects', [{ Contact: 'Cy Dion', 'Work Email': 'cy@initech.com', Organisation: 'Initech' }]);
  const env = {
    LEADS_DB: db,
    AIRTABLE_TOKEN: 'emulator-token',
    AIRTABLE_BASE_ID: emulator.baseId,
    AIRTABLE_ENDPOINT_URL: emulator.url,
    LEADS_DATA_DIR: path.join(dir, 'data'),
  };
  return { db, emulator, env };
}

describe("db-maintenance on the user's own data (end to end)", function () {
  this.timeout(180_000);

  describe('sample data only when asked', () => {
    it('with nothing configured, says how to start (--sample, --init, the three variables), exits 2 and creates nothing', async () => {
      const dir = tempDir('own-');
      const run = await maintenance(dir, ['--full-maintenance', '--yes']);
      expect(run.code, run.stderr).to.equal(2);
      expect(run.stderr).to.contain('--sample').and.contain('--init').and.contain('AIRTABLE_TOKEN').and.contain('AIRTABLE_BASE_ID').and.contain('LEADS_DB');
      expect(fs.readdirSync(dir)).to.deep.equal([]);
    });

    it('with LEADS_DB set and no Airtable variables, names what is missing, exits 2 and leaves the database byte-identical', async () => {
      const dir = tempDir('own-');
      const real = path.join(dir, 'real.db');
      createSampleDatabase(real, { count: 20, seed: 7 });
      const before = sha256(real);
      const run = await maintenance(dir, ['--full-maintenance', '--yes'], { LEADS_DB: real, AIRTABLE_API_KEY: 'keyFromAnotherTool' });
      expect(run.code, run.stderr).to.equal(2);
      expect(run.stderr).to.contain('AIRTABLE_TOKEN and AIRTABLE_BASE_ID are not set');
      expect(run.stderr).to.contain('AIRTABLE_API_KEY is set: other Airtable tools use that name').and.not.contain('keyFromAnotherTool');
      expect(sha256(real)).to.equal(before);
      expect(fs.readdirSync(dir)).to.deep.equal(['real.db']);
      expect(count(real, 'leads')).to.equal(20);
    });

    it('--sample leaves the database and the base the environment names alone', async () => {
      const dir = tempDir('own-');
      const real = path.join(dir, 'real.db');
      createSampleDatabase(real, { count: 20, seed: 7 });
      const before = sha256(real);
      // Nothing listens on port 9: a request to "their" Airtable would fail the run.
      const run = await maintenance(dir, ['--full-maintenance', '--sample', '--data-dir', path.join(dir, 'sample')], {
        LEADS_DB: real,
        AIRTABLE_TOKEN: 'patTheirs',
        AIRTABLE_BASE_ID: 'appTheirsTheirs12',
        AIRTABLE_ENDPOINT_URL: 'http://127.0.0.1:9',
      });
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stderr).to.contain('running on SAMPLE data');
      expect(sha256(real)).to.equal(before);
      expect(fs.readdirSync(dir).sort()).to.deep.equal(['real.db', 'sample']);
      expect(count(path.join(dir, 'sample', 'leads.db'), 'leads')).to.be.greaterThan(0);
    });
  });

  describe('configuration beside the user', () => {
    it('./lead-maintenance.yaml names the table and maps every field: dry run, live run (backup of Prospects included), then zero changes', async () => {
      const dir = tempDir('own-');
      const { db, emulator, env } = await teamSetup(dir);
      try {
        fs.writeFileSync(path.join(dir, 'lead-maintenance.yaml'), TEAM_CONFIG);
        const before = sha256(db);
        const plan = await maintenance(dir, ['--full-maintenance', '--dry-run'], env);
        expect(plan.code, plan.stderr).to.equal(0);
        expect(sha256(db)).to.equal(before);
        const live = await maintenance(dir, ['--full-maintenance', '--yes'], env);
        expect(live.code, live.stderr).to.equal(0);
        const [backup] = fs.readdirSync(path.join(dir, 'data', 'backups'));
        expect(fs.readdirSync(path.join(dir, 'data', 'backups', backup!))).to.include.members(['airtable-Prospects.jsonl.gz', 'contacts.db']);
        // Both systems hold the same three people (Ann's two rows merged), under the team's own names.
        expect(count(db, 'contacts')).to.equal(3);
        const records = emulator.dump('Prospects');
        expect(records.map((r) => r.fields['Work Email']).sort()).to.deep.equal(['ann@acme.com', 'bob@globex.com', 'cy@initech.com']);
        const again = await maintenance(dir, ['--full-maintenance', '--yes'], env);
        expect(again.code, again.stderr).to.equal(0);
        expect(again.stderr).to.contain('Zero changes');
      } finally {
        await emulator.close();
      }
    });

    it('--config FILE wins over ./lead-maintenance.yaml, and a problem in the file is exit 2 at its file:line:col', async () => {
      const dir = tempDir('own-');
      const { emulator, env } = await teamSetup(dir);
      try {
        fs.writeFileSync(path.join(dir, 'lead-maintenance.yaml'), TEAM_CONFIG.replace('table: Prospects', 'tabel: Prospects'));
        const bad = await maintenance(dir, ['--full-maintenance', '--dry-run'], env);
        expect(bad.code, bad.stderr).to.equal(2);
        expect(bad.stderr).to.contain('lead-maintenance.yaml:2:34 maintenance_config.synchronization.airtable.tabel: unknown key (did you mean "table"?)');
        fs.mkdirSync(path.join(dir, 'conf'));
        fs.writeFileSync(path.join(dir, 'conf', 'team.yaml'), TEAM_CONFIG);
        const good = await maintenance(dir, ['--full-maintenance', '--dry-run', '--config', 'conf/team.yaml'], env);
        expect(good.code, good.stderr).to.equal(0);
        expect(good.stderr).to.match(/airtable\.create\.dry_run=\d+/);
      } finally {
        await emulator.close();
      }
    });
  });

  it('a run that fails still writes its report, marked failed with the stage and reason, and reports/latest points at it', async () => {
    const dir = tempDir('own-');
    const data = path.join(dir, 'data');
    const plan = await maintenance(dir, ['--full-maintenance', '--sample', '--dry-run', '--data-dir', data]);
    expect(plan.code, plan.stderr).to.equal(0);
    // A file where the backups should go: the live run fails at its backup, before any write.
    fs.writeFileSync(path.join(data, 'backups'), 'not a directory');
    const before = sha256(path.join(data, 'leads.db'));
    const failed = await maintenance(dir, ['--full-maintenance', '--sample', '--data-dir', data]);
    expect(failed.code, failed.stderr).to.not.equal(0);
    expect(sha256(path.join(data, 'leads.db'))).to.equal(before);
    const runId = /"run_id":"([^"]+)"/.exec(failed.stderr)?.[1] ?? '';
    const result = JSON.parse(fs.readFileSync(path.join(data, 'reports', 'latest', 'maintenance-result.json'), 'utf8'));
    expect(result.operation_id).to.equal(runId);
    expect(result.success).to.equal(false);
    expect(result.errors[0]).to.match(/^The run failed in stage backup: /);
    expect(result.detailed_results).to.include({ failed_stage: 'backup', complete: false });
    expect(fs.readFileSync(path.join(data, 'reports', 'latest', 'report.md'), 'utf8'))
      .to.contain('**FAILED**')
      .and.contain('in stage backup');
    const status = await maintenance(dir, ['--status', '--sample', '--data-dir', data]);
    expect(status.stdout).to.contain(`Latest report: run ${runId}, FAILED`);
  });

  it('keeps every file that holds lead data private: 0600 in 0700 directories, sample data and sync state included', async () => {
    const dir = tempDir('own-');
    const data = path.join(dir, 'data');
    const run = await maintenance(dir, ['--full-maintenance', '--sample', '--data-dir', data]);
    expect(run.code, run.stderr).to.equal(0);
    const loose: string[] = [];
    const walk = (at: string): void => {
      const stat = fs.lstatSync(at);
      if (stat.isSymbolicLink()) return;
      const want = stat.isDirectory() ? 0o700 : 0o600;
      if ((stat.mode & 0o777) !== want) loose.push(`${path.relative(dir, at)} ${(stat.mode & 0o777).toString(8)}`);
      if (stat.isDirectory()) for (const entry of fs.readdirSync(at)) walk(path.join(at, entry));
    };
    walk(data);
    expect(loose).to.deep.equal([]);
    expect(fs.readdirSync(data)).to.include.members(['leads.db', 'airtable-base.db', 'sync-state.db']);
  });

  it('two first --sample runs at once seed the sample once: both systems end with the same leads', async () => {
    const dir = tempDir('own-');
    const data = path.join(dir, 'data');
    const runs = await Promise.all([1, 2].map(() => maintenance(dir, ['--full-maintenance', '--sample', '--data-dir', data])));
    expect(
      runs.map((r) => r.code),
      runs.map((r) => r.stderr).join('\n---\n'),
    ).to.include(0);
    // The other finds the sample in use and says so in one line.
    for (const lost of runs.filter((r) => r.code !== 0)) expect(lost.stderr).to.contain('one maintenance run at a time').and.not.contain('Unexpected failure');
    const emulator = await startEmulator({ port: 0, dataFile: path.join(data, 'airtable-base.db') });
    try {
      expect(emulator.dump('Leads').length).to.equal(count(path.join(data, 'leads.db'), 'leads'));
    } finally {
      await emulator.close();
    }
  });
});
