import { expect } from 'chai';
import path from 'node:path';
import { ClusterStore, type ParkedCluster, type SingleEntry } from '../../../../lib/match/engine/store.js';
import type { Lead } from '../../../../lib/core/record.js';
import { tempDir } from '../../../helpers.js';
import { keyed, SETTINGS } from './helpers.js';

describe('match/engine/store', () => {
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
      const out = [...store.clusters()];
      const clusters = out.filter((c): c is ParkedCluster => !('entry' in c));
      expect(clusters.map((c) => c.idents)).to.deep.equal([[`airtable:${odd}`, 'local:a\\b\nc']]);
      // The record without duplicates comes as its parked bytes: its identity as JSON, a tab, its JSON.
      expect(out.filter((c): c is SingleEntry => 'entry' in c).map((c) => c.entry.toString())).to.deep.equal([
        `${JSON.stringify('local:x\ty')}\t${JSON.stringify(records[1])}`,
      ]);
      expect(clusters[0]!.id).to.equal(`airtable:${odd}`);
      expect(clusters[0]!.reasons).to.deep.equal([
        { key: 'link', value: odd, score: 1 },
        { key: 'link', value: odd, score: 1 },
      ]);
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
        const [cluster] = [...store.clusters()] as ParkedCluster[];
        const byId = Object.fromEntries(cluster!.members.map((m, i) => [m.id, cluster!.reasons[i]!.key]));
        expect(byId).to.deep.equal({ 1: 'email', 2: 'email', 3: 'linkedin' });
      } finally {
        store.close();
      }
    }
  });

  it('joins two records of one person by fuzzy score, with the score as the reason, and counts what it compared', () => {
    const store = new ClusterStore(path.join(tempDir(), 'c.db'), SETTINGS);
    try {
      const records = [
        keyed({ id: 1, name: 'Hélène Lewis', company: 'Vipix', phone: '+1 416 434 6477' }),
        keyed({ id: 2, name: 'HELENE LEWIS', company: 'Vipex', phone: '+1 416 434 6477' }),
        keyed({ id: 3, name: 'Bob Stone', company: 'Vipix' }),
      ];
      for (const record of records) store.add(record, record._meta!.keys as Record<string, string>);
      const clusters = [...store.clusters()].filter((c): c is ParkedCluster => !('entry' in c));
      expect(clusters.map((c) => c.members.map((m) => m.id))).to.deep.equal([[1, 2]]);
      expect(clusters[0]!.reasons.map((r) => r?.key)).to.deep.equal(['fuzzy', 'fuzzy']);
      expect(clusters[0]!.reasons[0]!.score).to.be.within(0.85, 1);
      expect(store.stats).to.include({ records: 3, fuzzy_links: 1, clusters: 2, multi_member_clusters: 1 });
    } finally {
      store.close();
    }
  });
});
