import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { appliedVersions, migrate, SCHEMA_VERSION } from '../../../lib/sqlite/schema.js';
import { packageRoot, tempDir } from './support.js';

describe('lib/sqlite/schema', () => {
  let dir: string;
  let db: Database.Database;
  beforeEach(() => {
    dir = tempDir();
    db = new Database(path.join(dir, 'leads.db'));
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const insert = (values: Record<string, unknown>) => {
    const columns = Object.keys(values);
    db.prepare(`INSERT INTO leads (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`).run(...Object.values(values));
  };

  it('creates the leads table and records each migration in schema_migrations', () => {
    expect(migrate(db, { now: () => new Date('2026-01-01T00:00:00Z') })).to.deep.equal([1]);
    expect(appliedVersions(db)).to.deep.equal([SCHEMA_VERSION]);
    const row = db.prepare('SELECT * FROM schema_migrations').get();
    expect(row).to.include({ version: 1, applied_at: '2026-01-01T00:00:00.000Z' });
    const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('leads');
    expect(columns).to.include.members([
      'id',
      'name',
      'email',
      'company',
      'title',
      'linkedin_url',
      'company_website',
      'phone',
      'status',
      'engagement_status',
      'airtable_id',
      'airtable_synced',
      'sync_status',
      'created_at',
      'updated_at',
    ]);
  });

  it('does nothing when applied a second time', () => {
    migrate(db);
    insert({ id: 'a', name: 'Ann' });
    expect(migrate(db)).to.deep.equal([]);
    expect(db.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).to.equal(1);
    expect(db.prepare('SELECT count(*) FROM leads').pluck().get()).to.equal(1);
  });

  it('keeps empty strings out of the match and link columns, so missing is always NULL', () => {
    migrate(db);
    for (const column of ['email', 'linkedin_url', 'airtable_id']) {
      expect(() => insert({ id: `x-${column}`, [column]: '' }), column).to.throw(/CHECK constraint failed/);
    }
  });

  it('stores duplicates and any number of missing values, since finding duplicates is the point', () => {
    migrate(db);
    insert({ id: 'a', email: 'ann@acme.com', linkedin_url: 'https://linkedin.com/in/ann' });
    insert({ id: 'b', email: 'ann@acme.com', linkedin_url: 'https://linkedin.com/in/ann' });
    insert({ id: 'c' });
    insert({ id: 'd' });
    expect(db.prepare('SELECT count(*) FROM leads').pluck().get()).to.equal(4);
  });

  it('lets one Airtable record link to one local lead only', () => {
    migrate(db);
    insert({ id: 'a', airtable_id: 'rec1' });
    expect(() => insert({ id: 'b', airtable_id: 'rec1' })).to.throw(/UNIQUE constraint failed: leads.airtable_id/);
  });

  it('finds leads by email, LinkedIn URL and Airtable id through indexes', () => {
    migrate(db);
    for (const [column, value] of [
      ['email', 'A@B.com'],
      ['linkedin_url', 'x'],
      ['airtable_id', 'rec1'],
    ]) {
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN SELECT id FROM leads WHERE ${column} = ?${column === 'airtable_id' ? '' : ' COLLATE NOCASE'}`)
        .all(value) as Array<{ detail: string }>;
      expect(plan.map((p) => p.detail).join(' '), column).to.match(/USING (COVERING )?INDEX/);
    }
  });

  it('refuses to apply the default schema over a leads table it did not create', () => {
    db.exec(fs.readFileSync(path.join(packageRoot(), 'spec/fixtures/sqlite/drifted-leads.sql'), 'utf8'));
    expect(() => migrate(db, { file: 'old.db' })).to.throw('The database old.db already has a leads table that this tool did not create');
    expect(appliedVersions(db)).to.deep.equal([]);
  });
});

describe('migrate-db', () => {
  const bin = () => path.join(packageRoot(), 'dist', 'bin', 'migrate-db.js');
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('applies pending migrations to a new database, then finds nothing to do', () => {
    const file = path.join(dir, 'leads.db');
    new Database(file).close();
    const first = spawnSync(process.execPath, [bin(), '--database', file], { encoding: 'utf8' });
    expect(first.status).to.equal(0);
    expect(first.stdout).to.equal('');
    expect(first.stderr).to.contain('Migrations applied.').and.contain('"applied":[1]');
    const second = spawnSync(process.execPath, [bin(), '--database', file, '--check'], { encoding: 'utf8' });
    expect(second.stderr).to.contain('Schema up to date.');
  });

  it('leaves a drifted database alone and exits 1 saying why', () => {
    const file = path.join(dir, 'old.db');
    const db = new Database(file);
    db.exec(fs.readFileSync(path.join(packageRoot(), 'spec/fixtures/sqlite/drifted-leads.sql'), 'utf8'));
    db.close();
    const before = fs.readFileSync(file);
    const run = spawnSync(process.execPath, [bin(), '--database', file], { encoding: 'utf8' });
    expect(run.status).to.equal(1);
    expect(run.stderr).to.contain('already has a leads table that this tool did not create');
    const after = new Database(file, { readonly: true });
    expect(appliedVersions(after)).to.deep.equal([]);
    after.close();
    expect(fs.readFileSync(file).equals(before)).to.equal(true);
  });
});
