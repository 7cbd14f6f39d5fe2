import { expect } from 'chai';
import path from 'node:path';
import { ClusterThread } from '../../../lib/match/cluster-thread.js';
import { ClusterStore, parseCluster } from '../../../lib/match/clustering.js';
import { fingerprint, KEY_DEFAULTS, strongKeyNames } from '../../../lib/match/keys.js';
import { RecordFile } from '../../../lib/match/record-file.js';
import { LEAD_WEIGHTS } from '../../../lib/match/similarity.js';
import type { Lead } from '../../../lib/record.js';
import { tempDir } from '../../helpers.js';

const SETTINGS = { strong_keys: strongKeyNames(KEY_DEFAULTS.matching_fields), weights: LEAD_WEIGHTS, threshold: 0.85, max_block_size: 100, default_country: 'CA' };
const RESOLUTION = { strategy: 'most_recent' as const, field_precedence: {}, protected_fields: ['id', 'airtable_id'], default_country: 'CA', describe_groups: false };

function keyed(record: Lead): Lead {
  record._meta = { ...(record._meta ?? {}) };
  record._meta.keys = fingerprint(record, KEY_DEFAULTS);
  return record;
}

describe('match/clustering', () => {
  it('links records whose ids and link values hold tabs, newlines and backslashes, and says by which key', () => {
    const store = new ClusterStore(path.join(tempDir(), 'c.db'), SETTINGS);
    try {
      const odd = 'rec\tA\nB\\C';
      const records = [
        keyed({ name: 'Jean Roy', _meta: { source: 'airtable', id: odd } }),
        keyed({ name: 'Marie Gagnon', _meta: { source: 'local', id: 'x\ty' } }),
        keyed({ name: 'Jean Roy', airtable_id: odd, _meta: { source: 'local', id: 'a\\b\nc' } }),
      ];
      for (const record of records) store.add(record, record._meta!.keys as Record<string, string>);
      const clusters = [...store.clusters()].map(parseCluster);
      expect(clusters.map((c) => c.idents)).to.deep.equal([[`airtable:${odd}`, 'local:a\\b\nc'], ['local:x\ty']]);
      expect(clusters[0]!.id).to.equal(`airtable:${odd}`);
      expect(clusters[0]!.reasons).to.deep.equal([{ key: 'link', value: odd, score: 1 }, { key: 'link', value: odd, score: 1 }]);
      expect(clusters[0]!.members[1]).to.deep.equal(records[2]);
    } finally {
      store.close();
    }
  });

  it('gives a record linked by several keys the smallest key as its reason, whatever the input order', () => {
    const make = (): Lead[] => [
      keyed({ id: 1, name: 'Jean Roy', email: 'jean@roy.ca', linkedin_url: 'linkedin.com/in/jeanroy' }),
      keyed({ id: 2, name: 'Jean Roy', email: 'jean@roy.ca', linkedin_url: 'linkedin.com/in/jeanroy' }),
      keyed({ id: 3, name: 'Jean Roy', linkedin_url: 'linkedin.com/in/jeanroy' }),
    ];
    for (const records of [make(), make().reverse()]) {
      const store = new ClusterStore(path.join(tempDir(), 'c.db'), SETTINGS);
      try {
        for (const record of records) store.add(record, record._meta!.keys as Record<string, string>);
        const [cluster] = [...store.clusters()].map(parseCluster);
        const byId = Object.fromEntries(cluster!.members.map((m, i) => [m.id, cluster!.reasons[i]!.key]));
        expect(byId).to.deep.equal({ 1: 'email', 2: 'email', 3: 'linkedin' });
      } finally {
        store.close();
      }
    }
  });

  it('clusters in a thread, holding the caller back while the thread is behind, and gives every record back once', async function () {
    this.timeout(20_000);
    const thread = new ClusterThread(path.join(tempDir(), 't.db'), SETTINGS, RESOLUTION);
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
      const seen: number[] = [];
      let resolved = 0;
      for await (const batch of thread.clusters()) {
        for (const cluster of batch) {
          for (const text of cluster.texts) seen.push((JSON.parse(text) as Lead).id as number);
          if (cluster.resolved) resolved++;
        }
      }
      expect(waits).to.be.greaterThan(0);
      expect(seen.sort((a, b) => a - b)).to.deep.equal([...Array(6000).keys()]);
      expect(resolved).to.equal(2000);
      expect(thread.stats.multi_member_clusters).to.equal(2000);
    } finally {
      await thread.close();
    }
  });

  it('brings clusters back from the thread with ids holding tabs, newlines, quotes and backslashes', async function () {
    this.timeout(20_000);
    const thread = new ClusterThread(path.join(tempDir(), 't.db'), SETTINGS, RESOLUTION);
    const odd = 'rec\tA\nB\\C"D';
    try {
      const records = [
        keyed({ name: 'Jean Roy', _meta: { source: 'airtable', id: odd } }),
        keyed({ name: 'Marie Gagnon', _meta: { source: 'local', id: 'x\ty"z\\' } }),
        keyed({ name: 'Jean Roy', airtable_id: odd, _meta: { source: 'local', id: 'a\\b\nc' } }),
        keyed({ name: 'Jean Roy', airtable_id: odd, _meta: { source: 'local', id: 'plain' } }),
      ];
      for (const record of records) await thread.add(record);
      const clusters: Array<{ id: string; resolved: boolean; ids: unknown[] }> = [];
      for await (const batch of thread.clusters()) {
        for (const { id, resolved, texts } of batch) clusters.push({ id, resolved, ids: texts.map((text) => (JSON.parse(text) as Lead)._meta!.id) });
      }
      expect(clusters).to.deep.equal([
        { id: `airtable:${odd}`, resolved: true, ids: [odd, 'a\\b\nc', 'plain'] },
        { id: 'local:x\ty"z\\', resolved: false, ids: ['x\ty"z\\'] },
      ]);
    } finally {
      await thread.close();
    }
  });

  it('reads back entries of any length, accents and all, by number and in order', () => {
    const file = new RecordFile(path.join(tempDir(), 'r'));
    try {
      const entries = Array.from({ length: 300 }, (_, i) => (i % 50 === 7 ? `é${'x'.repeat(70_000 + i)}` : `Hélène ${i} ${'ü'.repeat(i)}`));
      entries.forEach((entry) => file.append(entry));
      expect([file.get(7), file.get(299), file.get(64), file.get(0)]).to.deep.equal([entries[7], entries[299], entries[64], entries[0]]);
      expect([...file.entries()].map(([, text]) => text)).to.deep.equal(entries);
      expect([...file.entries((n) => n % 2 === 0)].map(([n, text]) => (n % 2 === 0 ? text === entries[n] : text === ''))).to.not.include(false);
    } finally {
      file.close();
    }
  });
});
