import { expect } from 'chai';
import path from 'node:path';
import { LineBytes } from '../../../../lib/core/jsonl.js';
import { ClusterOutput } from '../../../../lib/match/engine/output.js';
import { RecordFile } from '../../../../lib/match/engine/record-file.js';
import { addAnnotatedSingle, annotatableAsText, annotatedJson, annotateSingleJson } from '../../../../lib/match/engine/splice.js';
import { ClusterStore } from '../../../../lib/match/engine/store.js';
import { annotateSingle, resolveCluster, type ResolutionStrategy } from '../../../../lib/match/resolution.js';
import type { Lead } from '../../../../lib/core/record.js';
import { tempDir } from '../../../helpers.js';
import { ENGINE, keyed, RESOLUTION } from './helpers.js';

const STRATEGIES: ResolutionStrategy[] = ['most_recent', 'highest_quality', 'merge', 'manual'];

/** Records whose JSON text is awkward to splice into, and whether their annotations can be. */
const ODD: Array<[Lead, boolean]> = [
  [{ id: 1, name: 'Zoë 😀', _meta: { line: 3, keys: { name: 'zoe' } } }, true],
  [{ id: 'u', name: '株式会社 \u2028 "quoted" \\ back\tslash\nnew', lone: '\ud83d', _meta: { source: 'local', id: 'é\t"' } }, true],
  [
    { id: 'n', address: { lines: ['1 Main', { unit: null, floor: [2, 3.5] }] }, _meta: { problems: [{ field: 'email', problem: 'invalid_email' }], keys: {} } },
    true,
  ],
  [{ 2: 'integer-like names come first', name: 'x', _meta: { line: 1 } }, true],
  [{ _meta: { line: 1 }, name: 'meta first' }, false],
  [{ name: 'annotated before', _meta: { cluster: 'old' } }, false],
  [{ name: 'empty meta', _meta: {} }, false],
  [{ name: 'no meta' }, false],
  [{ name: 'meta not an object', _meta: [] as unknown as Lead['_meta'] }, false],
  [{ name: 'undefined in meta', _meta: { note: undefined } }, false],
];

/** A copy made the way the engine sees a record: through its JSON. */
const copy = (record: Lead): Lead => JSON.parse(JSON.stringify(record)) as Lead;

describe('match/engine/splice', () => {
  it('annotates a record without duplicates on its JSON text exactly as JSON.stringify of the annotated record, and knows when it cannot', () => {
    for (const [record, spliceable] of ODD) {
      expect(annotatableAsText(record), JSON.stringify(record)).to.equal(spliceable);
      const id = 'record:"odd"\tid 😀';
      const expected = JSON.stringify(annotateSingle(copy(record), id));
      expect(annotateSingleJson(JSON.stringify(record), JSON.stringify(id), spliceable), JSON.stringify(record)).to.equal(expected);
    }
  });

  it('splices the same bytes as the text, for a record without duplicates given as UTF-8 bytes', () => {
    for (const [record, spliceable] of ODD) {
      if (!spliceable) continue;
      const [json, id] = [JSON.stringify(record), JSON.stringify('local:é 😀')];
      const entry = Buffer.from(`${id}\t${json}`);
      const lines = new LineBytes(16);
      const idBytes = Buffer.byteLength(id);
      addAnnotatedSingle(lines, entry, idBytes + 1, entry.length, 0, idBytes);
      expect(Buffer.from(lines.take()).toString()).to.equal(`${annotateSingleJson(json, id, true)}\n`);
    }
  });

  for (const strategy of STRATEGIES) {
    it(`${strategy}: annotates the members of a cluster on their JSON text exactly as JSON.stringify of the resolved records`, () => {
      const members: Lead[] = [
        {
          id: 'a',
          name: 'Ann Lee',
          email: 'ann@acme.com',
          title: null,
          updated_at: '2026-01-01T00:00:00Z',
          _meta: { source: 'local', id: 'a', keys: { email: 'ann@acme.com' } },
        },
        {
          id: 'b',
          name: 'Ann Lee 😀',
          email: 'ann@acme.com',
          title: 'CTO',
          phone: '+1 416 555 0100',
          notes: { tags: ['x', { y: null }] },
          updated_at: '2026-03-01T00:00:00Z',
          _meta: { source: 'local', id: 'b\t"', keys: { email: 'ann@acme.com' } },
        },
        {
          7: 'seven',
          id: 'c',
          name: 'Ann Lee',
          email: 'ann@acme.com',
          company: '株式会社 Acme',
          updated_at: '2025-01-01T00:00:00Z',
          _meta: { source: 'airtable', id: 'recC', keys: { email: 'ann@acme.com' } },
        },
        {
          id: 'd',
          name: 'Ann Lee',
          email: 'ann@acme.com',
          company: 'Acme',
          updated_at: '2024-01-01T00:00:00Z',
          _meta: { source: 'airtable', id: 'recD', problems: [{ field: 'company', problem: 'placeholder_company' }], keys: { email: 'ann@acme.com' } },
        },
      ];
      const texts = members.map((m) => JSON.stringify(m));
      const cluster = {
        id: 'airtable:recC',
        members: texts.map((t) => JSON.parse(t) as Lead),
        idents: ['local:a', 'local:b\t"', 'airtable:recC', 'airtable:recD'],
        reasons: [
          undefined,
          { key: 'email', value: 'ann@acme.com', score: 1 },
          { key: 'fuzzy', score: 0.91234 },
          { key: 'email', value: 'ann@acme.com', score: 1 },
        ],
      };
      const { records, rewritten } = resolveCluster(cluster, { ...RESOLUTION, strategy });
      let spliced = 0;
      records.forEach((record, i) => {
        if (rewritten?.includes(record)) return;
        expect(annotatableAsText(members[i]!)).to.equal(true);
        expect(annotatedJson(texts[i]!, record), `${strategy} ${record.id}`).to.equal(JSON.stringify(record));
        spliced++;
      });
      expect(spliced).to.be.greaterThan(1);
    });

    it(`${strategy}: the engine's output is, line for line, JSON.stringify of each record annotated and resolved`, () => {
      const dir = tempDir();
      const settings = { ...ENGINE, resolution: { ...RESOLUTION, strategy } };
      const records = [
        // Every third shares a LinkedIn profile (which links whatever the names), put first so that `_meta` stays where it was.
        ...ODD.map(([record], i) => keyed(i % 3 === 0 ? { linkedin_url: 'linkedin.com/in/shared-odd', ...copy(record) } : copy(record))),
        keyed({ id: 'twin-1', name: 'Zoë Ōtani', email: 'zoe@otani.jp', updated_at: '2026-01-01', _meta: { source: 'local', id: 'z1' } }),
        keyed({ id: 'twin-2', name: 'Zoe Otani', email: 'ZOE@otani.jp', phone: '+81 3 1234 5678', _meta: { source: 'local', id: 'z2' } }),
      ];
      // What the engine has to give: every record parsed, annotated or resolved, and serialized.
      const reference = new ClusterStore(path.join(dir, 'reference.db'), settings.cluster);
      const store = new ClusterStore(path.join(dir, 'store.db'), settings.cluster);
      const events = new RecordFile(path.join(dir, 'events'));
      try {
        for (const record of records) {
          reference.add(copy(record), record._meta!.keys as Record<string, string>);
          store.add(copy(record), record._meta!.keys as Record<string, string>);
        }
        const expected: string[] = [];
        for (const cluster of reference.clusters()) {
          if ('entry' in cluster) {
            const text = cluster.entry.toString();
            const tab = text.indexOf('\t');
            const id = JSON.parse(text.slice(text.startsWith('!') ? 1 : 0, tab)) as string;
            expected.push(JSON.stringify(annotateSingle(JSON.parse(text.slice(tab + 1)) as Lead, id)));
          } else {
            expected.push(...resolveCluster(cluster, settings.resolution).records.map((r) => JSON.stringify(r)));
          }
        }
        let text = '';
        for (const batch of new ClusterOutput(store, events, settings, 1024).batches()) text += Buffer.from(batch.data).toString();
        expect(text.split('\n').slice(0, -1)).to.deep.equal(expected);
        expect(expected.length).to.equal(records.length);
        expect(reference.stats.multi_member_clusters).to.be.greaterThan(1);
      } finally {
        reference.close();
        store.close();
        events.close();
      }
    });
  }
});
