import { expect } from 'chai';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_TOKEN, startEmulator, type Emulator } from '../../lib/airtable-emulator/index.js';
import { cli, tempDir, type CliResult } from '../helpers.js';
import { PROSPECTS, TEAM_COLUMNS } from './team.js';

/**
 * A team's own data, end to end through the real CLI: a SQLite table and an Airtable base that
 * share none of the bundled names, taken from `--init` to a clean, reversible run. The spec the
 * "On your own data" section of the README walks through.
 */

const COLUMNS: readonly string[] = TEAM_COLUMNS;
type Row = Record<string, string | null>;

/** The team's contacts: two rows of one person (the older holds the only phone and notes), NULLs, numbers as text. */
const CONTACTS: Row[] = [
  {
    'Contact ID': 'C-001',
    Name: 'Ana Silva',
    'E-mail': 'ana.silva@northwind.io',
    'Company Name': 'Northwind Traders',
    LinkedIn: 'https://www.linkedin.com/in/ana-silva-nw',
    'Phone Number': '+1 514 555 0101',
    'Last Touched': '2026-03-01T10:00:00Z',
    'Lead Score': '72',
    Notes: 'Met at the Montreal expo',
  },
  {
    'Contact ID': 'C-002',
    Name: 'Ana Silva',
    'E-mail': 'ANA.SILVA@NORTHWIND.IO',
    'Company Name': 'Northwind Traders',
    LinkedIn: null,
    'Phone Number': null,
    'Last Touched': '2026-05-01T10:00:00Z',
    'Lead Score': null,
    Notes: null,
  },
  {
    'Contact ID': 'C-003',
    Name: 'Bruno Tremblay',
    'E-mail': 'bruno@lavalsoft.ca',
    'Company Name': 'Laval Soft',
    LinkedIn: 'https://ca.linkedin.com/in/brunotremblay/',
    'Phone Number': '514-555-0102',
    'Last Touched': '2026-04-02T09:00:00Z',
    'Lead Score': '55',
    Notes: null,
  },
  {
    'Contact ID': 'C-004',
    Name: 'Chloé Roy',
    'E-mail': 'chloe.roy@fjord.com',
    'Company Name': 'Fjord Inc',
    LinkedIn: null,
    'Phone Number': null,
    'Last Touched': '2026-04-03T09:00:00Z',
    'Lead Score': '10',
    Notes: 'Prefers email',
  },
  {
    'Contact ID': 'C-005',
    Name: 'Dev Patel',
    'E-mail': null,
    'Company Name': 'Acme Robotics',
    LinkedIn: 'https://www.linkedin.com/in/devpatel',
    'Phone Number': null,
    'Last Touched': null,
    'Lead Score': '0',
    Notes: null,
  },
];

const PROSPECT_RECORDS: Record<string, unknown>[] = [
  { Contact: 'Bruno Tremblay', 'Work Email': 'bruno@lavalsoft.ca', Organisation: 'Laval Soft', Stage: 'Contacted' },
  {
    Contact: 'Elena Garcia',
    'Work Email': 'elena@harbourlabs.com',
    Organisation: 'Harbour Labs',
    Phone: '+1 438 555 0199',
    Stage: 'New',
    Notes: 'Inbound form',
  },
  { Contact: 'Elena Garcia', 'Work Email': 'elena@harbourlabs.com', Organisation: 'Harbour Labs Inc.', Stage: 'New' },
];

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function contacts(db: string): Row[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare('SELECT * FROM contacts ORDER BY "Contact ID"').all() as Row[];
  } finally {
    conn.close();
  }
}

/** The base's records as content (ids left out: a recreated record gets a new one), sorted. */
function prospects(em: Emulator): string[] {
  return em
    .dump('Prospects')
    .map((r) => JSON.stringify(Object.fromEntries(Object.entries(r.fields).sort())))
    .sort();
}

function writeRequests(em: Emulator): number {
  return em.requestLog().filter((r) => r.method !== 'GET' && !r.path.endsWith('/listRecords')).length;
}

describe("scenario: a team's own database and base, from --init to rollback", function () {
  this.timeout(240_000);
  let dir: string;
  let db: string;
  let em: Emulator;
  let env: NodeJS.ProcessEnv;
  const run = (...args: string[]): Promise<CliResult> => cli('db-maintenance', args, { cwd: dir, env });

  before(async () => {
    dir = tempDir('own-data-');
    db = path.join(dir, 'team.db');
    const conn = new Database(db);
    conn.exec(`CREATE TABLE contacts (${COLUMNS.map((c) => `"${c}" TEXT`).join(', ')}, PRIMARY KEY ("Contact ID"))`);
    const insert = conn.prepare(`INSERT INTO contacts VALUES (${COLUMNS.map(() => '?').join(', ')})`);
    for (const row of CONTACTS) insert.run(...COLUMNS.map((c) => row[c]));
    conn.close();
    em = await startEmulator({ port: 0, schema: { name: 'Sales', tables: [PROSPECTS] }, rateLimit: { penaltyMs: 300 } });
    em.seed('Prospects', PROSPECT_RECORDS);
    env = { AIRTABLE_TOKEN: DEFAULT_TOKEN, AIRTABLE_BASE_ID: em.baseId, AIRTABLE_ENDPOINT_URL: em.url, LEADS_DB: db, LEADS_DATA_DIR: '', LEADS_STATE_DIR: '' };
  });
  after(() => em?.close());

  it('walks from --init through a dry run, a run, a second run and a rollback', async () => {
    const init = await run('--init');
    expect(init.code, init.stderr).to.equal(0);
    const config = fs.readFileSync(path.join(dir, 'lead-maintenance.yaml'), 'utf8');
    expect(config)
      .to.match(/table: "?contacts"?/)
      .and.match(/table: "?Prospects"?/);

    const before = { db: sha256(db), base: prospects(em), rows: contacts(db) };
    em.clearLog();
    const plan = await run('--full-maintenance', '--dry-run');
    expect(plan.code, plan.stderr).to.equal(0);
    expect(sha256(db), 'a dry run leaves the database byte-identical').to.equal(before.db);
    expect(prospects(em)).to.deep.equal(before.base);
    expect(writeRequests(em), 'a dry run sends no write request').to.equal(0);

    const live = await run('--full-maintenance', '--yes');
    expect(live.code, live.stderr).to.equal(0);
    const after = contacts(db);
    const ana = after.filter((r) => /ana\.silva@northwind\.io/i.test(String(r['E-mail'])));
    expect(ana, 'the two Ana Silva rows are one').to.have.length(1);
    expect(ana[0]['Phone Number'], 'the deleted duplicate held the only phone').to.not.equal(null);
    expect(ana[0].Notes).to.contain('Montreal expo');
    expect(ana[0]['Lead Score']).to.equal('72');
    const elena = em.dump('Prospects').filter((r) => r.fields['Work Email'] === 'elena@harbourlabs.com');
    expect(elena, 'the two Elena Garcia records are one').to.have.length(1);
    expect(elena[0].fields.Phone).to.be.a('string');
    expect(elena[0].fields.Notes).to.equal('Inbound form');
    expect(after.map((r) => r['E-mail'])).to.include('elena@harbourlabs.com');
    expect(em.dump('Prospects').map((r) => r.fields['Work Email'])).to.include('chloe.roy@fjord.com');

    em.clearLog();
    const second = await run('--full-maintenance', '--yes');
    expect(second.code, second.stderr).to.equal(0);
    expect(second.stderr).to.contain('Zero changes');
    expect(writeRequests(em)).to.equal(0);

    const runId = /"run_id":"([^"]+)"/.exec(live.stderr)?.[1];
    expect(runId, 'the live run names its run id').to.be.a('string');
    expect((await run('--status')).stdout).to.contain(runId!);
    const stateBefore = snapshot(dir);
    const midDb = sha256(db);
    const midBase = prospects(em);
    em.clearLog();
    const rollbackPlan = await run('--rollback', runId!, '--dry-run');
    expect(rollbackPlan.code, rollbackPlan.stderr).to.equal(0);
    expect(sha256(db)).to.equal(midDb);
    expect(prospects(em)).to.deep.equal(midBase);
    expect(snapshot(dir), 'the run state is unchanged').to.deep.equal(stateBefore);
    expect(writeRequests(em)).to.equal(0);

    const rollback = await run('--rollback', runId!, '--yes');
    expect(rollback.code, rollback.stderr).to.equal(0);
    expect(contacts(db)).to.deep.equal(before.rows);
    expect(prospects(em)).to.deep.equal(before.base);
  });
});

/** Every file under the working directory with its hash, the run state included. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = sha256(file);
  }
  return out;
}
