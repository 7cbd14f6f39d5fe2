import { expect } from 'chai';
import Database from 'better-sqlite3';
import path from 'node:path';
import { startEmbeddedDefault, wantsEmbeddedDefault } from '../../lib/embedded.js';
import { tempDir } from '../helpers.js';

describe('embedded default', () => {
  it('applies only when no Airtable credentials or endpoint are set', () => {
    expect(wantsEmbeddedDefault({})).to.equal(true);
    expect(wantsEmbeddedDefault({ AIRTABLE_TOKEN: 'patX' })).to.equal(false);
    expect(wantsEmbeddedDefault({ AIRTABLE_BASE_ID: 'appX' })).to.equal(false);
  });

  it('creates a sample database and a seeded emulated base once, and finds them again on the next start', async () => {
    const dir = tempDir();
    const first = await startEmbeddedDefault(dir, { count: 60 });
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
    const second = await startEmbeddedDefault(dir, { count: 60 });
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
