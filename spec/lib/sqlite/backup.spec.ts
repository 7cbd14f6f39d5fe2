import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { backupDatabase, checkIntegrity } from '../../../lib/sqlite/backup.js';
import { createSampleDatabase } from '../../../lib/sqlite/sample.js';
import { rows, tempDir } from './support.js';

describe('lib/sqlite/backup', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('copies a live database in WAL mode, committed writes included, into one verified file', async () => {
    const src = path.join(dir, 'leads.db');
    createSampleDatabase(src, { count: 300, seed: 3 });
    const writer = new Database(src);
    writer.pragma('wal_autocheckpoint = 0');
    writer.prepare("INSERT INTO leads (id, name) VALUES ('late', 'Only in the WAL')").run();
    const dest = path.join(dir, 'backups', 'nested', 'leads-backup.db');
    const result = await backupDatabase(src, dest);
    writer.close();
    expect(result).to.deep.include({ path: dest, integrity: 'ok' });
    expect(result.pages).to.be.greaterThan(1);
    expect(fs.existsSync(`${dest}.partial`)).to.equal(false);
    expect(fs.existsSync(`${dest}-wal`)).to.equal(false);
    expect(rows(dest)).to.deep.equal(rows(src));
    expect(rows(dest, "SELECT name FROM leads WHERE id = 'late'")).to.deep.equal([{ name: 'Only in the WAL' }]);
    const copy = new Database(dest, { readonly: true });
    expect(copy.pragma('journal_mode', { simple: true })).to.equal('delete');
    copy.close();
  });

  it('refuses to back up a corrupt file and leaves no backup behind', async () => {
    const src = path.join(dir, 'leads.db');
    fs.writeFileSync(src, 'not a database at all');
    const dest = path.join(dir, 'b.db');
    const error = await backupDatabase(src, dest).catch((e) => e);
    expect(error.message).to.contain(`backup: The file ${src} is not a SQLite database or is corrupt`);
    expect(fs.existsSync(dest)).to.equal(false);
  });

  it('reports the damage the integrity check finds, and keeps no backup of a damaged database', async () => {
    const file = path.join(dir, 'damaged.db');
    createSampleDatabase(file, { count: 20, seed: 1 });
    const db = new Database(file);
    db.pragma('journal_mode = DELETE');
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const root = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'leads_email'").pluck().get() as number;
    const email = db.prepare('SELECT email FROM leads WHERE email IS NOT NULL LIMIT 1').pluck().get() as string;
    db.close();
    // Change one letter of an email inside the index only: every query still works, but the
    // index no longer matches its table, which only an integrity check notices.
    const bytes = fs.readFileSync(file);
    const at = bytes.indexOf(email, (root - 1) * pageSize);
    expect(at).to.be.within((root - 1) * pageSize, root * pageSize - 1);
    bytes[at] = bytes[at] === 0x71 ? 0x72 : 0x71;
    fs.writeFileSync(file, bytes);
    expect(() => checkIntegrity(file, 'backup')).to.throw(
      new RegExp(`^backup: The database ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} failed its integrity check: .*leads_email`),
    );
    const dest = path.join(dir, 'copy.db');
    const error = await backupDatabase(file, dest).catch((e) => e);
    expect(error.message).to.match(/^backup: The backup copy of .*damaged\.db failed its integrity check: .*leads_email.* No backup was kept/);
    expect(fs.existsSync(dest)).to.equal(false);
    expect(fs.existsSync(`${dest}.partial`)).to.equal(false);
  });
});
