import { expect } from 'chai';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_TOKEN, type Emulator, type TableSchema } from '../../lib/airtable-emulator/index.js';
import { checkTable, fetchTable } from '../../lib/airtable/schema.js';
import { loadConfig } from '../../lib/core/config.js';
import { loadFieldMapping } from '../../lib/core/field-mapping.js';
import { resolveTable } from '../../lib/sqlite/table.js';
import { cli, tempDir, type CliResult } from '../helpers.js';
import { client, emulator } from '../lib/airtable/setup.js';
import { PROSPECT_RECORDS, PROSPECTS, teamDatabase } from '../scenarios/team.js';

/**
 * `db-maintenance --init` as a team meets it: its own SQLite file and its own Airtable base (the
 * emulator), the CLI in a child process in the team's working directory.
 */

interface Setup {
  dir: string;
  db: string;
  em: Emulator;
}

const running: Emulator[] = [];

async function setup(tables: TableSchema[] = [PROSPECTS], database?: (dir: string) => string): Promise<Setup> {
  const dir = tempDir('init-');
  const em = await emulator({ schema: { tables } });
  running.push(em);
  if (tables[0]!.name === 'Prospects') em.seed('Prospects', PROSPECT_RECORDS);
  return { dir, em, db: database ? database(dir) : teamDatabase(dir) };
}

function initCli(s: Setup, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return cli('db-maintenance', ['--init', ...args], {
    cwd: s.dir,
    env: {
      LEADS_DB: s.db,
      AIRTABLE_TOKEN: DEFAULT_TOKEN,
      AIRTABLE_BASE_ID: s.em.baseId,
      AIRTABLE_ENDPOINT_URL: s.em.url,
      LEADS_DATA_DIR: '',
      AIRTABLE_API_KEY: '',
      AIRTABLE_KEY: '',
      ...env,
    },
  });
}

type Written = {
  maintenance_config: Record<string, unknown>;
  field_mapping: { database_to_airtable: Record<string, string>; airtable_to_database: Record<string, string>; local: Record<string, unknown> };
};

function written(s: Setup, name = 'lead-maintenance.yaml'): { text: string; yaml: Written } {
  const text = fs.readFileSync(path.join(s.dir, name), 'utf8');
  return { text, yaml: parseYaml(text) as Written };
}

describe('db-maintenance --init', function () {
  this.timeout(60_000);
  after(async () => {
    await Promise.all(running.map((em) => em.close()));
  });

  it("proposes a mapping of a team's own columns and Airtable fields, field by field, and prints the next commands", async () => {
    const s = await setup();
    const run = await initCli(s);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr)
      .to.contain('Wrote lead-maintenance.yaml')
      .and.contain('db-maintenance --full-maintenance --dry-run\n')
      .and.contain('db-maintenance --full-maintenance\n')
      .and.contain("Not mapped (listed as comments in the file): Airtable 'Stage'.");
    const { text, yaml } = written(s);
    expect(yaml.field_mapping.database_to_airtable).to.deep.equal({
      name: 'Contact',
      email: 'Work Email',
      company: 'Organisation',
      linkedin_url: 'LinkedIn Profile',
      phone: 'Phone',
      notes: 'Notes',
    });
    expect(yaml.field_mapping.airtable_to_database).to.deep.equal({
      Contact: 'name',
      'Work Email': 'email',
      Organisation: 'company',
      'LinkedIn Profile': 'linkedin_url',
      Phone: 'phone',
      Notes: 'notes',
    });
    expect(yaml.field_mapping.local).to.deep.equal({
      table: 'contacts',
      id_column: 'Contact ID',
      modified_column: 'Last Touched',
      created_column: null,
      columns: {
        Name: 'name',
        'E-mail': 'email',
        'Company Name': 'company',
        LinkedIn: 'linkedin_url',
        'Phone Number': 'phone',
        'Lead Score': 'lead_score',
        Notes: 'notes',
      },
    });
    // Only what differs from the defaults: the table's name, and no engagement status to default.
    expect(yaml.maintenance_config).to.deep.equal({
      synchronization: { airtable: { table: 'Prospects' } },
      field_standardization: { engagement_status: { enabled: false } },
    });
    // What was not mapped is there to read, and no link column is proposed.
    expect(text).to.match(/^ {2}#\s+"Stage": singleSelect: New, Contacted, Qualified, Lost; no lead field/m);
    expect(text).to.match(/^ {2}#\s+"Lead Score": lead_score, by its name/m);
    expect(text).to.contain('No link column is needed').and.not.contain('airtable_id');
  });

  it('writes a file that the field-mapping loader, the configuration schema, the database and the base all accept', async () => {
    const s = await setup();
    const run = await initCli(s);
    expect(run.code, run.stderr).to.equal(0);
    const file = path.join(s.dir, 'lead-maintenance.yaml');
    const mapping = loadFieldMapping(file);
    const db = new Database(s.db, { readonly: true });
    try {
      const map = resolveTable(db, mapping.local, { stage: 'read-sqlite', file: s.db });
      expect(Object.fromEntries(map.fieldOf)).to.deep.equal({
        Name: 'name',
        'E-mail': 'email',
        'Company Name': 'company',
        LinkedIn: 'linkedin_url',
        'Phone Number': 'phone',
        'Lead Score': 'lead_score',
        Notes: 'notes',
      });
    } finally {
      db.close();
    }
    const table = await fetchTable(client(s.em), 'Prospects');
    expect(() => checkTable(table, { mapping, writing: true })).not.to.throw();
    // The maintenance_config section, on its own, is valid against the bundled schema.
    const section = path.join(s.dir, 'section.yaml');
    fs.writeFileSync(section, `maintenance_config: ${JSON.stringify(written(s).yaml.maintenance_config)}\n`);
    expect(() => loadConfig(section)).not.to.throw();
  });

  it('never overwrites an existing file: exit 2, the file untouched', async () => {
    const s = await setup();
    const file = path.join(s.dir, 'lead-maintenance.yaml');
    fs.writeFileSync(file, '# my settings\n');
    const run = await initCli(s);
    expect(run.code).to.equal(2);
    expect(run.stderr).to.contain('lead-maintenance.yaml already exists; --init never overwrites it');
    expect(fs.readFileSync(file, 'utf8')).to.equal('# my settings\n');
  });

  it('--dry-run prints the proposal on stdout and writes nothing, even beside an existing file', async () => {
    const s = await setup();
    const file = path.join(s.dir, 'lead-maintenance.yaml');
    fs.writeFileSync(file, '# my settings\n');
    const run = await initCli(s, ['--dry-run']);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.contain('Dry run, nothing written; would write lead-maintenance.yaml');
    expect((parseYaml(run.stdout) as Written).field_mapping.local.id_column).to.equal('Contact ID');
    expect(fs.readFileSync(file, 'utf8')).to.equal('# my settings\n');
    expect(fs.readdirSync(s.dir).sort()).to.deep.equal(['contacts.db', 'lead-maintenance.yaml']);
  });

  it('writes the file --config names, and the next commands name it', async () => {
    const s = await setup();
    const run = await initCli(s, ['--config', 'team.yaml']);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.contain('db-maintenance --config team.yaml --full-maintenance --dry-run');
    expect(fs.existsSync(path.join(s.dir, 'lead-maintenance.yaml'))).to.equal(false);
    expect(written(s, 'team.yaml').yaml.field_mapping.local.table).to.equal('contacts');
  });

  it('names the tables and the flags when the database and the base have several, and writes nothing', async () => {
    const s = await setup([PROSPECTS, { name: 'Companies', fields: [{ name: 'Name', type: 'singleLineText' }] }]);
    const db = new Database(s.db);
    db.exec('CREATE TABLE archive (id INTEGER PRIMARY KEY, email TEXT)');
    db.close();
    const run = await initCli(s);
    expect(run.code).to.equal(2);
    expect(run.stderr).to.contain(`The database ${s.db} has 2 tables: 'archive', 'contacts'. Say which one holds the leads with --table NAME.`);
    expect(run.stderr).to.contain(
      `The Airtable base ${s.em.baseId} has 2 tables: 'Prospects', 'Companies'. Say which one holds the leads with --airtable-table NAME.`,
    );
    expect(fs.readdirSync(s.dir)).to.deep.equal(['contacts.db']);

    const chosen = await initCli(s, ['--table', 'contacts', '--airtable-table', 'Prospects']);
    expect(chosen.code, chosen.stderr).to.equal(0);
    const { yaml } = written(s);
    expect(yaml.field_mapping.local.table).to.equal('contacts');
    expect(yaml.maintenance_config).to.deep.include({ synchronization: { airtable: { table: 'Prospects' } } });
  });

  it('takes the other table when told, and says so when the named table does not exist', async () => {
    const s = await setup();
    const db = new Database(s.db);
    db.exec(`CREATE TABLE archive (id INTEGER PRIMARY KEY, "Work Email" TEXT, updated TEXT);
             INSERT INTO archive ("Work Email", updated) VALUES ('old@firm.io', '2025-01-01')`);
    db.close();
    const run = await initCli(s, ['--table', 'archive']);
    expect(run.code, run.stderr).to.equal(0);
    expect(written(s).yaml.field_mapping.local).to.deep.equal({
      table: 'archive',
      id_column: 'id',
      modified_column: 'updated',
      created_column: null,
      columns: { 'Work Email': 'email' },
    });
    fs.rmSync(path.join(s.dir, 'lead-maintenance.yaml'));
    const wrong = await initCli(s, ['--table', 'contact', '--airtable-table', 'Prospect']);
    expect(wrong.code).to.equal(2);
    expect(wrong.stderr).to.contain('has no table \'contact\' (did you mean "contacts"?)').and.contain('has no table \'Prospect\' (did you mean "Prospects"?)');
  });

  it('maps columns whose names say nothing by the shape of their values', async () => {
    const s = await setup([PROSPECTS], (dir) => {
      const file = path.join(dir, 'export.db');
      const db = new Database(file);
      db.exec(`CREATE TABLE export (key INTEGER PRIMARY KEY, c1 TEXT, c2 TEXT, c3 TEXT, c4 TEXT, c5 TEXT, c6 TEXT, c7 TEXT)`);
      const insert = db.prepare('INSERT INTO export (c1, c2, c3, c4, c5, c6, c7) VALUES (?, ?, ?, ?, ?, ?, ?)');
      insert.run('Ada Lovelace', 'ada@analytical.io', 'https://www.linkedin.com/in/ada', '+1 514 555 0101', 'analytical.io', '2026-01-05T09:00:00Z', '42');
      insert.run('Grace Hopper', 'GRACE@COBOL.DEV', 'linkedin.com/in/ghopper', null, 'https://cobol.dev/', '2026-01-06', '7');
      insert.run('Alan Turing', null, null, '(514) 555-0199', 'www.bletchley.org', '01/07/2026', null);
      db.close();
      return file;
    });
    const run = await initCli(s);
    expect(run.code, run.stderr).to.equal(0);
    const { text, yaml } = written(s);
    expect(yaml.field_mapping.local).to.deep.equal({
      table: 'export',
      id_column: 'key',
      modified_column: 'c6',
      created_column: null,
      columns: { c2: 'email', c3: 'linkedin_url', c4: 'phone', c5: 'company_website' },
    });
    expect(text).to.match(/"c2": email\s+# by its values \(holds emails\); check it/);
    expect(text).to.match(/modified_column: "c6"\s+# the only date column, by its values/);
    expect(text)
      .to.match(/#\s+"c1": holds text; no lead field/)
      .and.match(/#\s+"c7": holds numbers; no lead field/);
    expect(yaml.field_mapping.database_to_airtable).to.deep.equal({ email: 'Work Email', linkedin_url: 'LinkedIn Profile', phone: 'Phone' });
  });

  it('names every missing variable, and the one set under another name, without writing anything', async () => {
    const s = await setup();
    const run = await initCli(s, [], { LEADS_DB: '', AIRTABLE_TOKEN: '', AIRTABLE_API_KEY: 'patSECRETVALUE123', AIRTABLE_BASE_ID: 'nope' });
    expect(run.code).to.equal(2);
    expect(run.stderr)
      .to.contain('LEADS_DB is not set')
      .and.contain('AIRTABLE_TOKEN is not set (AIRTABLE_API_KEY is, but this tool reads AIRTABLE_TOKEN)')
      .and.contain("AIRTABLE_BASE_ID 'nope' is not an Airtable base id");
    expect(run.stderr).not.to.contain('patSECRETVALUE123');
    expect(fs.readdirSync(s.dir)).to.deep.equal(['contacts.db']);
  });

  it('says the base refused the token, and writes nothing', async () => {
    const s = await setup();
    const run = await initCli(s, [], { AIRTABLE_TOKEN: 'not-the-token' });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.contain('HTTP 401').and.contain('Check AIRTABLE_TOKEN and AIRTABLE_BASE_ID; nothing was written.').and.not.contain('not-the-token');
    expect(fs.readdirSync(s.dir)).to.deep.equal(['contacts.db']);
  });

  it('refuses --table without --init', async () => {
    const s = await setup();
    const run = await cli('db-maintenance', ['--status', '--table', 'contacts'], { cwd: s.dir, env: { LEADS_DB: s.db } });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.contain('--table and --airtable-table go with --init');
  });
});
