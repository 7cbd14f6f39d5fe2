import { expect } from 'chai';
import path from 'node:path';
import { silentLogger } from '../../../lib/core/log.js';
import { fetchByIds } from '../../../lib/sync/fetch.js';
import { incrementalPlan } from '../../../lib/sync/incremental.js';
import { SyncState } from '../../../lib/sync/state.js';
import { tempDir } from '../../helpers.js';
import { client, emulator, recordRequests, rows } from '../airtable/setup.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const ctx = (dir: string) => ({ baseDir: dir, log: silentLogger(), now: () => NOW });

describe('incremental reads', () => {
  function stateIn(dir: string, fullScanHoursAgo: number): void {
    const state = new SyncState(path.join(dir, 'sync-state.db'));
    const at = new Date(NOW.getTime() - fullScanHoursAgo * 3600_000).toISOString();
    state.save({ started_at: at, full_scan: true, links: [] });
    state.save({ started_at: new Date(NOW.getTime() - 600_000).toISOString(), full_scan: false });
    state.close();
  }
  const options = { incremental: true, state_file: 'sync-state.db', full_scan_every_hours: 24, link_field: 'airtable_id' };

  it('reads from the last watermark when the last full scan is recent', () => {
    const dir = tempDir();
    stateIn(dir, 3);
    expect(incrementalPlan(options, ctx(dir))).to.deep.equal({ watermark: '2026-06-01T11:50:00.000Z' });
  });

  it('reads everything when incremental is off, there is no state yet, or the last full scan is too old', () => {
    const dir = tempDir();
    expect(incrementalPlan(options, ctx(dir)), 'no state').to.equal(undefined);
    stateIn(dir, 25);
    expect(incrementalPlan(options, ctx(dir)), 'full scan 25 h ago').to.equal(undefined);
    expect(incrementalPlan({ ...options, full_scan_every_hours: 48 }, ctx(dir)), 'allowed 48 h').to.deep.equal({ watermark: '2026-06-01T11:50:00.000Z' });
    expect(incrementalPlan({ ...options, incremental: false, full_scan_every_hours: 48 }, ctx(dir)), 'off').to.equal(undefined);
  });

  it('fetches records by id a hundred per request, leaving out ids that no longer exist', async function () {
    this.timeout(10_000);
    const em = await emulator();
    try {
      const ids = em.seed('Leads', rows(230));
      const wanted = [...ids.slice(0, 230), 'recGoneGoneGone01'];
      em.clearLog();
      const got: string[] = [];
      for await (const record of fetchByIds(client(em), 'Leads', wanted, ['Email'])) got.push(record.id);
      expect(got.sort()).to.deep.equal([...ids].sort());
      expect(recordRequests(em)).to.have.length(3);
    } finally {
      await em.close();
    }
  });
});
