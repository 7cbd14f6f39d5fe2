import { expect } from 'chai';
import Database from 'better-sqlite3';
import path from 'node:path';
import fs from 'node:fs';
import { startSampleData } from '../../../lib/maintenance/sample.js';
import { tempDir } from '../../helpers.js';

describe('sample data', () => {
  it('creates every sample file private: 0600 in a 0700 directory', async () => {
    const dir = path.join(tempDir(), 'data');
    const sample = await startSampleData(dir, { count: 30 });
    try {
      expect(fs.statSync(dir).mode & 0o777).to.equal(0o700);
      for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.db') || f.endsWith('-wal') || f.endsWith('-shm'))) {
        expect(fs.statSync(path.join(dir, file)).mode & 0o777, file).to.equal(0o600);
      }
      expect(fs.readdirSync(dir)).to.include.members(['leads.db', 'airtable-base.db']);
    } finally {
      await sample.close();
    }
  });

  it('narrows sample files left readable by others to 0600 when it finds them again', async () => {
    const dir = tempDir();
    await (await startSampleData(dir, { count: 30 })).close();
    for (const file of ['leads.db', 'airtable-base.db']) fs.chmodSync(path.join(dir, file), 0o644);
    const again = await startSampleData(dir, { count: 30 });
    try {
      for (const file of ['leads.db', 'airtable-base.db']) expect(fs.statSync(path.join(dir, file)).mode & 0o777, file).to.equal(0o600);
    } finally {
      await again.close();
    }
  });

  it('creates a sample database and a seeded emulated base once, and finds them again on the next start', async () => {
    const dir = tempDir();
    const first = await startSampleData(dir, { count: 60 });
    try {
      expect(first.createdDatabase).to.equal(true);
      expect(first.seededBase).to.equal(true);
      expect(first.env.AIRTABLE_ENDPOINT_URL).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      const records = first.emulator.dump('Leads');
      expect(records.length).to.equal(20 + 15);
      const statuses = new Set(records.map((r) => r.fields.Engagement_Status).filter(Boolean));
      expect([...statuses].every((s) => ['Auto-Send', 'Sent', 'Skipped', 'Needs Review', 'Error'].includes(String(s)))).to.equal(true);
      first.emulator.seed('Leads', [{ 'Full Name': 'Added Between Runs' }]);
    } finally {
      await first.close();
    }
    const second = await startSampleData(dir, { count: 60 });
    try {
      expect(second.createdDatabase).to.equal(false);
      expect(second.seededBase).to.equal(false);
      expect(second.emulator.dump('Leads').map((r) => r.fields['Full Name'])).to.include('Added Between Runs');
      const db = new Database(path.join(dir, 'leads.db'), { readonly: true });
      expect((db.prepare('SELECT count(*) AS n FROM leads').get() as { n: number }).n).to.equal(60);
      db.close();
    } finally {
      await second.close();
    }
  });
});
