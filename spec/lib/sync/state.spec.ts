import { expect } from 'chai';
import path from 'node:path';
import { SyncState } from '../../../lib/sync/state.js';
import { tempDir } from '../../helpers.js';

describe('sync state', () => {
  it('remembers the watermark, the last full scan and the links across reopening', () => {
    const file = path.join(tempDir(), 'state', 'sync-state.db');
    const state = new SyncState(file);
    expect(state.watermark()).to.equal(undefined);
    expect(state.hasLinks()).to.equal(false);
    state.save({
      started_at: '2025-09-01T00:00:00.000Z',
      full_scan: true,
      links: [
        ['L1', 'recA'],
        ['L2', 'recB'],
      ],
    });
    state.save({ started_at: '2025-09-02T00:00:00.000Z', full_scan: false });
    state.close();

    const again = new SyncState(file);
    expect(again.watermark()).to.equal('2025-09-02T00:00:00.000Z');
    expect(again.lastFullScan()).to.equal('2025-09-01T00:00:00.000Z');
    expect(again.airtableIdOf('L2')).to.equal('recB');
    expect(again.localIdOf('recA')).to.equal('L1');
    expect(again.localIdOf('recZ')).to.equal(undefined);
    again.close();
  });

  it('replaces the links as a whole after a full scan, so a link that ended is forgotten', () => {
    const state = new SyncState(path.join(tempDir(), 'sync-state.db'));
    state.save({
      started_at: '2025-09-01T00:00:00.000Z',
      full_scan: true,
      links: [
        ['L1', 'recA'],
        ['L2', 'recB'],
      ],
    });
    state.save({ started_at: '2025-09-03T00:00:00.000Z', full_scan: true, links: [['L1', 'recA']] });
    expect(state.airtableIdOf('L2')).to.equal(undefined);
    expect(state.airtableIdOf('L1')).to.equal('recA');
    state.close();
  });

  it('merges the links of an incremental run into the saved ones, dropping those that ended and keeping the last full scan', () => {
    const state = new SyncState(path.join(tempDir(), 'sync-state.db'));
    state.save({
      started_at: '2025-09-01T00:00:00.000Z',
      full_scan: true,
      links: [
        ['L1', 'recA'],
        ['L2', 'recB'],
        ['L3', 'recC'],
      ],
    });
    state.save({
      started_at: '2025-09-02T00:00:00.000Z',
      checked_at: '2025-09-02T00:05:00.000Z',
      full_scan: false,
      merge_links: true,
      links: [
        ['L4', 'recD'],
        ['L1', 'recE'],
      ],
      unlinked: { local_ids: ['L2'], airtable_ids: ['recC'] },
    });
    expect([state.airtableIdOf('L1'), state.airtableIdOf('L2'), state.airtableIdOf('L3'), state.airtableIdOf('L4')]).to.deep.equal([
      'recE',
      undefined,
      undefined,
      'recD',
    ]);
    expect(state.localIdOf('recA')).to.equal(undefined);
    expect(state.lastFullScan()).to.equal('2025-09-01T00:00:00.000Z');
    expect(state.checkedAt()).to.equal('2025-09-02T00:05:00.000Z');
    state.close();
  });
});
