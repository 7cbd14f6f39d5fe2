import { expect } from 'chai';
import path from 'node:path';
import { ClusterThread, parkingLine } from '../../../lib/match/cluster-thread.js';
import { ClusterStore, type Cluster, type SingleEntry } from '../../../lib/match/clustering.js';
import { fingerprint, KEY_DEFAULTS, strongKeyNames } from '../../../lib/match/keys.js';
import { Buckets } from '../../../lib/match/buckets.js';
import { RecordFile } from '../../../lib/match/record-file.js';
import { annotatableAsText, annotatedJson, annotateSingle, annotateSingleJson, resolveCluster, type ResolutionStrategy } from '../../../lib/match/resolution.js';
import { LEAD_WEIGHTS } from '../../../lib/match/similarity.js';
import type { Lead } from '../../../lib/record.js';
import { tempDir } from '../../helpers.js';

const SETTINGS = { strong_keys: strongKeyNames(KEY_DEFAULTS.matching_fields), weights: LEAD_WEIGHTS, threshold: 0.85, max_block_size: 100, default_country: 'CA' };
const RESOLUTION = { strategy: 'most_recent' as const, field_precedence: {}, protected_fields: ['id', 'airtable_id'], default_country: 'CA', describe_groups: false };

const THREAD = { cluster: SETTINGS, resolution: RESOLUTION, keys: KEY_DEFAULTS, drop_duplicates: false };

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
      const out = [...store.clusters()];
      const clusters = out.filter((c): c is Cluster => !('entry' in c));
      expect(clusters.map((c) => c.idents)).to.deep.equal([[`airtable:${odd}`, 'local:a\\b\nc']]);
      // The record without duplicates comes as its parked bytes: its identity as JSON, a tab, its JSON.
      expect(out.filter((c): c is SingleEntry => 'entry' in c).map((c) => c.entry.toString())).to.deep.equal([`${JSON.stringify('local:x\ty')}\t${JSON.stringify(records[1])}`]);
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
        const [cluster] = [...store.clusters()] as Cluster[];
        const byId = Object.fromEntries(cluster!.members.map((m, i) => [m.id, cluster!.reasons[i]!.key]));
        expect(byId).to.deep.equal({ 1: 'email', 2: 'email', 3: 'linkedin' });
      } finally {
        store.close();
      }
    }
  });

  it('clusters in a thread, holding the caller back while the thread is behind, and gives every record back once', async function () {
    this.timeout(20_000);
    const thread = new ClusterThread(path.join(tempDir(), 't.db'), THREAD);
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
    const thread = new ClusterThread(path.join(tempDir(), 't.db'), THREAD);
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
    const thread = new ClusterThread(path.join(tempDir(), 't.db'), THREAD, (n) => parked.push(n));
    const lines = (...records: Lead[]): string => records.map((r) => `${parkingLine(r, THREAD)}\n`).join('');
    try {
      const group = { kind: 'duplicate_group', matching_field: 'email' };
      await thread.addLines(lines(keyed({ id: 1, name: 'Ann Lee', email: 'ann@acme.com' }), group));
      await thread.addLines(new TextEncoder().encode(lines({ id: 2, name: 'Ann Lee', email: 'ANN@acme.com' }, { id: 3, name: 'Bo Ek' })));
      const out = await outputOf(thread);
      expect(out[0]).to.deep.equal(group);
      expect(out.slice(1).map((r) => [r.id, r._meta!.cluster, r._meta!.survivor])).to.deep.equal([[1, 'record:1', true], [2, 'record:1', false], [3, 'record:3', true]]);
      expect(out[3]!._meta!.keys).to.deep.equal(fingerprint({ id: 3, name: 'Bo Ek' }, KEY_DEFAULTS));
      expect(parked).to.deep.equal([1, 2]);
      expect(thread.result.unkeyed).to.equal(2);
    } finally {
      await thread.close();
    }
  });

  it('annotates a record without duplicates on its JSON text exactly as on the record, and knows when it cannot', () => {
    const records: Array<[Lead, boolean]> = [
      [{ id: 1, name: 'Zoë 😀', _meta: { line: 3, keys: { name: 'zoe' } } }, true],
      [{ 2: 'integer-like names come first', name: 'x', _meta: { line: 1 } }, true],
      [{ _meta: { line: 1 }, name: 'meta first' }, false],
      [{ name: 'annotated before', _meta: { cluster: 'old' } }, false],
      [{ name: 'empty meta', _meta: {} }, false],
      [{ name: 'no meta' }, false],
    ];
    for (const [record, spliceable] of records) {
      expect(annotatableAsText(record), JSON.stringify(record)).to.equal(spliceable);
      const id = 'record:"odd"\tid';
      const expected = JSON.stringify(annotateSingle(JSON.parse(JSON.stringify(record)) as Lead, id));
      expect(annotateSingleJson(JSON.stringify(record), JSON.stringify(id), spliceable)).to.equal(expected);
    }
  });

  it('annotates the members of a cluster on their JSON text exactly as on the records, under every strategy', () => {
    const members: Lead[] = [
      { id: 'a', name: 'Ann Lee', email: 'ann@acme.com', title: null, updated_at: '2026-01-01T00:00:00Z', _meta: { source: 'local', id: 'a', keys: { email: 'ann@acme.com' } } },
      { id: 'b', name: 'Ann Lee 😀', email: 'ann@acme.com', title: 'CTO', phone: '+1 416 555 0100', updated_at: '2026-03-01T00:00:00Z', _meta: { source: 'local', id: 'b', keys: { email: 'ann@acme.com' } } },
      { id: 'c', name: 'Ann Lee', email: 'ann@acme.com', company: 'Acme', updated_at: '2025-01-01T00:00:00Z', _meta: { source: 'airtable', id: 'recC', keys: { email: 'ann@acme.com' } } },
    ];
    const strategies: ResolutionStrategy[] = ['most_recent', 'highest_quality', 'merge', 'manual'];
    for (const strategy of strategies) {
      const texts = members.map((m) => JSON.stringify(m));
      const cluster = { id: 'local:a', members: texts.map((t) => JSON.parse(t) as Lead), idents: ['local:a', 'local:b', 'airtable:recC'], reasons: [undefined, { key: 'email', value: 'ann@acme.com', score: 1 }, { key: 'fuzzy', score: 0.91234 }] };
      const { records, rewritten } = resolveCluster(cluster, { ...RESOLUTION, strategy });
      expect(rewritten?.length ?? 0, strategy).to.equal(strategy === 'merge' ? 1 : 0);
      records.forEach((record, i) => {
        if (rewritten?.includes(record)) return;
        expect(annotatableAsText(members[i]!)).to.equal(true);
        expect(annotatedJson(texts[i]!, record), `${strategy} ${record.id}`).to.equal(JSON.stringify(record));
      });
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

  it('parks entries and bucket rows given as bytes, a row longer than a chunk and an entry longer than a write buffer included', () => {
    const dir = tempDir();
    const file = new RecordFile(path.join(dir, 'r'));
    const buckets = new Buckets(path.join(dir, 'b'));
    try {
      const entries = ['Zoë\tRivera', `😀${'x'.repeat(2_000_000)}`, '', 'last'];
      for (const entry of entries) {
        const bytes = Buffer.from(`ab${entry}cd`);
        file.appendBytes(bytes, 2, bytes.length - 2);
      }
      expect([...file.entries()].map(([, text]) => text)).to.deep.equal(entries);
      expect(file.get(1)).to.equal(entries[1]);
      const row = Buffer.from(`key é|tail ${'y'.repeat(20_000)}|short tail`);
      const [bar, last] = [row.indexOf('|'), row.lastIndexOf('|')];
      buckets.add(3, row, 0, bar, '7', last + 1, row.length);
      buckets.add(3, row, 0, bar, '12345', bar + 1, last);
      buckets.add(3, row, 0, 3, '8', last + 1, row.length);
      buckets.add(4, row, 0, 3, '9', last + 1, row.length);
      expect(buckets.read(3)).to.equal(`key é\t7\tshort tail\nkey é\t12345\ttail ${'y'.repeat(20_000)}\nkey\t8\tshort tail\n`);
      expect(buckets.read(4)).to.equal('key\t9\tshort tail\n');
      expect(buckets.read(5)).to.equal('');
    } finally {
      file.close();
      buckets.close();
    }
  });
});
