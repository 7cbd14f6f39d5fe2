import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { openDatabase } from '../../../lib/sqlite/open.js';
import { migrate } from '../../../lib/sqlite/schema.js';
import { tempDir } from './support.js';

describe('lib/sqlite/open', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('opens a writable database in WAL mode with the busy timeout', () => {
    const file = path.join(dir, 'leads.db');
    const db = openDatabase(file, { create: true, busy_timeout_ms: 1234 });
    try {
      expect(db.pragma('journal_mode', { simple: true })).to.equal('wal');
      expect(db.pragma('busy_timeout', { simple: true })).to.equal(1234);
    } finally {
      db.close();
    }
  });

  it('names a missing database and says how to create one', () => {
    const file = path.join(dir, 'missing.db');
    expect(() => openDatabase(file, { readonly: true, who: 'read-sqlite' })).to.throw(
      `read-sqlite: The database ${file} does not exist. Check the path, or create one with sample leads: create-sample-db --out ${file}`,
    );
    expect(() => openDatabase(file)).to.throw(/does not exist/);
    expect(fs.existsSync(file)).to.equal(false);
  });

  it('refuses a corrupt file with a clear error and leaves it byte for byte as it was', () => {
    const file = path.join(dir, 'corrupt.db');
    const garbage = Buffer.from('This is a spreadsheet export, not a database.\n'.repeat(200));
    fs.writeFileSync(file, garbage);
    for (const readonly of [true, false]) {
      expect(() => openDatabase(file, { readonly, who: 'write-sqlite' })).to.throw(
        new RegExp(
          `write-sqlite: The file ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not a SQLite database or is corrupt .*Nothing was written to it\\. Restore it from a backup`,
        ),
      );
    }
    expect(fs.readFileSync(file).equals(garbage)).to.equal(true);
  });

  it('refuses to write a read-only file but still reads it', () => {
    const file = path.join(dir, 'leads.db');
    const db = new Database(file);
    migrate(db);
    db.close();
    fs.chmodSync(file, 0o444);
    expect(() => openDatabase(file, { who: 'write-sqlite' })).to.throw(
      `write-sqlite: The database ${file} is read-only (mode 0444). Make it writable (chmod u+w ${file}) or run with --dry-run.`,
    );
    const reader = openDatabase(file, { readonly: true });
    expect(reader.prepare('SELECT count(*) FROM leads').pluck().get()).to.equal(0);
    reader.close();
  });
});
