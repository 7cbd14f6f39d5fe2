import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { createSampleDatabase, ensureSampleDatabase, generateSampleLeads } from '../../../lib/sqlite/sample.js';
import { appliedVersions } from '../../../lib/sqlite/schema.js';
import Database from 'better-sqlite3';
import { packageRoot, rows, tempDir } from './support.js';

describe('lib/sqlite/sample', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('generates the same leads for the same seed and different ones for another', () => {
    const a = [...generateSampleLeads(200, { seed: 5 })];
    expect([...generateSampleLeads(200, { seed: 5 })]).to.deep.equal(a);
    expect([...generateSampleLeads(200, { seed: 6 })]).to.not.deep.equal(a);
    expect(a).to.have.length(200);
  });

  it('contains the messes the tool exists to clean', () => {
    const leads = [...generateSampleLeads(2000, { seed: 1 })];
    const records = leads.map((l) => l.record);
    const entities = new Map<string, number>();
    for (const { entity } of leads) entities.set(entity, (entities.get(entity) ?? 0) + 1);
    expect([...entities.values()].filter((n) => n > 1).length, 'people with duplicates').to.be.greaterThan(100);
    const some = (test: (r: Record<string, unknown>) => boolean) => records.some(test);
    const text = (v: unknown) => (typeof v === 'string' ? v : '');
    expect(some((r) => text(r.linkedin_url).includes('ca.linkedin.com'))).to.equal(true);
    expect(some((r) => text(r.linkedin_url).endsWith('/'))).to.equal(true);
    expect(some((r) => /[A-Z]/.test(text(r.email)))).to.equal(true);
    expect(some((r) => text(r.name).includes('Ã'))).to.equal(true);
    expect(some((r) => text(r.company).endsWith(' & Associates'))).to.equal(true);
    expect(
      some((r) => text(r.company).endsWith('Incorporated')) && some((r) => text(r.company).endsWith(' Inc.')) && some((r) => text(r.company).endsWith(' Inc')),
    ).to.equal(true);
    expect(some((r) => text(r.company).endsWith(', Inc.'))).to.equal(true);
    expect(records.filter((r) => / ,|\s$|^\s/.test(text(r.company)))).to.deep.equal([]);
    expect(some((r) => r.engagement_status === 'auto_send')).to.equal(true);
    for (const field of ['email', 'linkedin_url', 'phone', 'company'])
      expect(
        some((r) => r[field] === null),
        field,
      ).to.equal(true);
  });

  it('creates a new database with the default schema holding the sample leads', () => {
    const file = path.join(dir, 'data', 'leads.db');
    expect(createSampleDatabase(file, { count: 120, seed: 2 })).to.deep.equal({ path: file, count: 120 });
    const stored = rows(file);
    expect(stored).to.have.length(120);
    const db = new Database(file, { readonly: true });
    expect(appliedVersions(db)).to.deep.equal([1]);
    db.close();
    expect(stored.every((r) => r.email !== '')).to.equal(true);
  });

  it('never writes sample leads into an existing file', () => {
    const file = path.join(dir, 'real.db');
    fs.writeFileSync(file, 'precious');
    expect(() => createSampleDatabase(file)).to.throw(`create-sample-db: The file ${file} already exists; sample leads are only written to a new database.`);
    expect(ensureSampleDatabase(file)).to.equal(false);
    expect(fs.readFileSync(file, 'utf8')).to.equal('precious');
    const fresh = path.join(dir, 'fresh.db');
    expect(ensureSampleDatabase(fresh, { count: 10 })).to.equal(true);
    expect(rows(fresh)).to.have.length(10);
  });

  it('creates the sample database owner-only (0600), in a new directory that is 0700, and leaves no file half-built', () => {
    const file = path.join(dir, 'new', 'leads.db');
    expect(ensureSampleDatabase(file, { count: 10 })).to.equal(true);
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).to.equal(0o700);
    expect(fs.readdirSync(path.dirname(file))).to.deep.equal(['leads.db']);
  });

  it('is available as create-sample-db --out FILE --count N --seed S', () => {
    const file = path.join(dir, 'cli.db');
    const bin = path.join(packageRoot(), 'dist', 'bin', 'create-sample-db.js');
    const stdout = execFileSync(process.execPath, [bin, '--out', file, '--count', '25', '--seed', '9'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(stdout).to.equal('');
    expect(rows(file)).to.have.length(25);
    const again = path.join(dir, 'cli2.db');
    execFileSync(process.execPath, [bin, '--out', again, '--count', '25', '--seed', '9']);
    expect(rows(again)).to.deep.equal(rows(file));
  });
});
