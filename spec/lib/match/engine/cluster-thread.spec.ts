import { expect } from 'chai';
import path from 'node:path';
import { ClusterThread } from '../../../../lib/match/engine/cluster-thread.js';
import { parkingLine } from '../../../../lib/match/engine/parking-line.js';
import { fingerprint, KEY_DEFAULTS } from '../../../../lib/match/keys.js';
import type { Lead } from '../../../../lib/core/record.js';
import { tempDir } from '../../../helpers.js';
import { ENGINE, keyed } from './helpers.js';

/** Every record (and event) of a clustering thread's output, in order. */
async function outputOf(thread: ClusterThread): Promise<Lead[]> {
  const records: Lead[] = [];
  for await (const batch of thread.output()) {
    const text = Buffer.from(batch.data).toString();
    expect(text.endsWith('\n')).to.equal(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).to.have.length(batch.count);
    for (const line of lines) records.push(JSON.parse(line) as Lead);
  }
  return records;
}

describe('match/engine/cluster-thread', () => {
  it('gives every record back once, annotated with its cluster, one survivor per system, duplicates pointing at it', async function () {
    this.timeout(20_000);
    const thread = new ClusterThread(path.join(tempDir(), 't.db'), ENGINE);
    try {
      const records = [
        keyed({ id: 'l1', name: 'Ann Lee', email: 'ann@acme.com', updated_at: '2026-01-01', _meta: { source: 'local', id: 'l1' } }),
        keyed({ id: 'l2', name: 'Bo Ek', email: 'bo@ek.se', _meta: { source: 'local', id: 'l2' } }),
        keyed({ id: 'l3', name: 'Ann Lee', email: 'ANN@acme.com', phone: '+1 416 555 0100', updated_at: '2026-02-01', _meta: { source: 'local', id: 'l3' } }),
        keyed({ name: 'Ann Lee', email: 'ann@acme.com', _meta: { source: 'airtable', id: 'recA' } }),
      ];
      for (const record of records) await thread.add(record);
      const out = await outputOf(thread);
      // In the order of each cluster's first member: Ann's three records, then Bo.
      expect(out.map((r) => [r._meta!.id, r._meta!.cluster, r._meta!.survivor, r._meta!.duplicate_of])).to.deep.equal([
        ['l1', 'airtable:recA', false, 'l3'],
        ['l3', 'airtable:recA', true, null],
        ['recA', 'airtable:recA', true, null],
        ['l2', 'local:l2', true, null],
      ]);
      expect(out.map((r) => r._meta!.match)).to.deep.equal([{ key: 'email', score: 1 }, { key: 'email', score: 1 }, { key: 'email', score: 1 }, null]);
      expect(thread.result.stats).to.include({ records: 4, clusters: 2, multi_member_clusters: 1 });
      expect(thread.result.duplicates).to.equal(1);
    } finally {
      await thread.close();
    }
  });

  it('gives nothing back and counts nothing when no record came, without starting a thread', async () => {
    const thread = new ClusterThread(path.join(tempDir(), 't.db'), ENGINE);
    expect(await outputOf(thread)).to.deep.equal([]);
    expect(thread.result).to.deep.include({ unkeyed: 0, duplicates: 0 });
    expect(thread.result.stats.records).to.equal(0);
    await thread.close();
  });

  it('clusters in a thread, holding the caller back while the thread is behind, and gives every record back once', async function () {
    this.timeout(20_000);
    const thread = new ClusterThread(path.join(tempDir(), 't.db'), ENGINE);
    let waits = 0;
    try {
      for (let i = 0; i < 6000; i++) {
        // Every third lead is a copy of the one before it (same email): 2000 pairs.
        const n = i % 3 === 2 ? i - 1 : i;
        const wait = thread.add(keyed({ id: i, name: `Person ${n}`, email: `person${n}@acme${n}.com`, notes: 'x'.repeat(400) }));
        if (wait) {
          waits++;
          await wait;
        }
      }
      const records = await outputOf(thread);
      expect(waits).to.be.greaterThan(0);
      expect(records.map((r) => r.id as number).sort((a, b) => a - b)).to.deep.equal([...Array(6000).keys()]);
      expect(records.filter((r) => r._meta!.match !== null)).to.have.length(4000);
      expect(thread.result.stats.multi_member_clusters).to.equal(2000);
      expect(thread.result.duplicates).to.equal(2000);
    } finally {
      await thread.close();
    }
  });

  it('brings clusters back from the thread with ids holding tabs, newlines, quotes and backslashes', async function () {
    this.timeout(20_000);
    const thread = new ClusterThread(path.join(tempDir(), 't.db'), ENGINE);
    const odd = 'rec\tA\nB\\C"D';
    try {
      const records = [
        keyed({ name: 'Jean Roy', _meta: { source: 'airtable', id: odd } }),
        keyed({ name: 'Marie Gagnon', _meta: { source: 'local', id: 'x\ty"z\\' } }),
        keyed({ name: 'Jean Roy', airtable_id: odd, _meta: { source: 'local', id: 'a\\b\nc' } }),
        keyed({ name: 'Jean Roy', airtable_id: odd, _meta: { source: 'local', id: 'plain' } }),
      ];
      for (const record of records) await thread.add(record);
      const out = (await outputOf(thread)).map((r) => [r._meta!.cluster, r._meta!.id, r._meta!.match === null]);
      expect(out).to.deep.equal([
        [`airtable:${odd}`, odd, false],
        [`airtable:${odd}`, 'a\\b\nc', false],
        [`airtable:${odd}`, 'plain', false],
        ['local:x\ty"z\\', 'x\ty"z\\', true],
      ]);
    } finally {
      await thread.close();
    }
  });

  it('takes blocks of parking lines as text or bytes, fingerprints records that come without keys, and passes events through first', async function () {
    this.timeout(20_000);
    const parked: number[] = [];
    const thread = new ClusterThread(path.join(tempDir(), 't.db'), ENGINE, (n) => parked.push(n));
    const lines = (...records: Lead[]): string => records.map((r) => `${parkingLine(r, ENGINE)}\n`).join('');
    try {
      const group = { kind: 'duplicate_group', matching_field: 'email' };
      await thread.addLines(lines(keyed({ id: 1, name: 'Ann Lee', email: 'ann@acme.com' }), group));
      await thread.addLines(new TextEncoder().encode(lines({ id: 2, name: 'Ann Lee', email: 'ANN@acme.com' }, { id: 3, name: 'Bo Ek' })));
      const out = await outputOf(thread);
      expect(out[0]).to.deep.equal(group);
      expect(out.slice(1).map((r) => [r.id, r._meta!.cluster, r._meta!.survivor])).to.deep.equal([
        [1, 'record:1', true],
        [2, 'record:1', false],
        [3, 'record:3', true],
      ]);
      expect(out[3]!._meta!.keys).to.deep.equal(fingerprint({ id: 3, name: 'Bo Ek' }, KEY_DEFAULTS));
      expect(parked).to.deep.equal([1, 2]);
      expect(thread.result.unkeyed).to.equal(2);
    } finally {
      await thread.close();
    }
  });
});
