import { expect } from 'chai';
import path from 'node:path';
import { Buckets, sharedKeys } from '../../../../lib/match/engine/buckets.js';
import {
  addIdentifiers,
  blockMemberAt,
  escapeField,
  fileParkingRow,
  memberHashes,
  memberProfile,
  parkingRow,
  profileSlots,
  readRecordEntry,
  RecordEntryLayout,
  strongRowAt,
  unescapeField,
} from '../../../../lib/match/engine/parking-row.js';
import { RecordFile } from '../../../../lib/match/engine/record-file.js';
import { profileOf } from '../../../../lib/match/similarity.js';
import type { Lead } from '../../../../lib/core/record.js';
import { tempDir } from '../../../helpers.js';
import { keyed, SETTINGS } from './helpers.js';

/** Files parking rows as the store does and reads back what each file holds. */
function park(records: Lead[]) {
  const dir = tempDir();
  const files = {
    strong: new Buckets(path.join(dir, 's')),
    blocks: new Buckets(path.join(dir, 'b')),
    ids: new RecordFile(path.join(dir, 'i')),
    records: new RecordFile(path.join(dir, 'r')),
  };
  const read = (buckets: Buckets): string => Array.from({ length: Buckets.COUNT }, (_, b) => buckets.read(b)).join('');
  try {
    records.forEach((record, seq) => {
      const row = Buffer.from(`junk${parkingRow(record, record._meta!.keys as Record<string, string>, SETTINGS)}junk`);
      fileParkingRow(row, 4, row.length - 4, String(seq), profileSlots(SETTINGS.weights), files);
    });
    return {
      strong: read(files.strong),
      blocks: read(files.blocks),
      ids: [...files.ids.entries()].map(([, entry]) => entry),
      entries: [...files.records.entries()].map(([, entry]) => entry),
    };
  } finally {
    for (const file of Object.values(files)) file.close();
  }
}

/** The start of every line of a bucket text. */
const starts = (text: string): number[] => [...text.matchAll(/^/gm)].map((m) => m.index).filter((at) => at < text.length);

describe('match/engine/parking-row', () => {
  const odd = keyed({
    name: 'Zoë\tRivera\\',
    company: 'Acme\nCorp',
    phone: '+1 416 555 0100',
    email: 'zoe@acme.com',
    linkedin_url: 'linkedin.com/in/zoë',
    _meta: { source: 'airtable', id: 'rec\t"1"' },
  });
  const plain = keyed({ id: 2, name: 'Bo Ek', email: 'bo@gmail.com', company: 'Acme Corp', _meta: { line: 2 } });
  const bare = keyed({ id: 3, notes: 'no keys to block on' });

  it('reads back a strong-key row per strong key: identity, LinkedIn slug and name key as they were', () => {
    const { strong } = park([odd, plain, bare]);
    const rows = starts(strong).map((at) => strongRowAt(strong, at));
    const zoe = rows.filter((r) => r.seq === 0);
    // Its Airtable id (link), email and LinkedIn slug.
    expect(zoe.length).to.equal(3);
    expect(zoe[0]).to.deep.equal({ seq: 0, ident: 'airtable:rec\t"1"', li: odd._meta!.keys!.linkedin, nm: odd._meta!.keys!.name });
    expect(rows.filter((r) => r.seq === 1)).to.deep.equal([{ seq: 1, ident: 'record:2', li: undefined, nm: 'bo ek' }]);
  });

  it('reads back a block row per block: the comparison profile fingerprint worked out, and every block hash', () => {
    const { blocks } = park([odd, plain, bare]);
    const fields = Object.keys(SETTINGS.weights);
    const members = starts(blocks).map((at) => blockMemberAt(blocks, at));
    expect(
      members.every((m) => m.seq !== 2),
      'a record without blocks has no block rows',
    ).to.equal(true);
    for (const [seq, record] of [
      [0, odd],
      [1, plain],
    ] as const) {
      const own = members.filter((m) => m.seq === seq);
      const profile = profileOf(record, record._meta!.keys as Record<string, string>, SETTINGS.weights, SETTINGS.default_country);
      expect(own.length).to.equal(Object.keys(record._meta!.keys!).filter((name) => name.startsWith('block:')).length);
      for (const member of own) {
        expect(memberProfile(blocks, member, fields)).to.deep.equal(profile);
        expect(member.ident).to.equal(seq === 0 ? 'airtable:rec\t"1"' : 'record:2');
        expect(memberHashes(blocks, member).length).to.equal(own.length);
      }
    }
    // The company block is shared, and found as a key of two rows.
    expect([...sharedKeys(blocks).values()].some((at) => at.length === 2)).to.equal(true);
  });

  it('reads back the ids entry (work email only) and the records entry: identity, JSON, and whether it can be spliced', () => {
    const { ids, entries } = park([odd, plain, bare]);
    const identifiers = ids.map((entry) => {
      const found = { li: new Set<string>(), em: new Set<string>() };
      addIdentifiers(entry, found);
      return [[...found.li], [...found.em]];
    });
    expect(identifiers).to.deep.equal([
      [[odd._meta!.keys!.linkedin], ['zoe@acme.com']],
      [[], []],
      [[], []],
    ]);
    expect(entries.map(readRecordEntry)).to.deep.equal([
      { ident: 'airtable:rec\t"1"', json: JSON.stringify(odd), spliceable: true },
      { ident: 'record:2', json: JSON.stringify(plain), spliceable: true },
      { ident: 'record:3', json: JSON.stringify(bare), spliceable: true },
    ]);
    const unspliceable = park([keyed({ _meta: { id: 'x' }, name: 'meta first' })]).entries[0]!;
    expect(readRecordEntry(unspliceable).spliceable).to.equal(false);
    const layout = new RecordEntryLayout().read(Buffer.from(unspliceable));
    expect(Buffer.from(unspliceable).toString('utf8', layout.identityStart, layout.identityEnd)).to.equal(JSON.stringify('record:x'));
    expect(Buffer.from(unspliceable).toString('utf8', layout.jsonStart)).to.equal(readRecordEntry(unspliceable).json);
  });

  it('escapes tabs, newlines and backslashes in fields and gives the text back', () => {
    for (const text of ['plain', 'a\tb', 'a\nb', 'a\\b', '\\t', 'é😀\t\n\\']) {
      expect(escapeField(text)).to.not.match(/[\t\n]/);
      expect(unescapeField(escapeField(text))).to.equal(text);
    }
  });

  it('says so when a row was not made for these settings', () => {
    const row = Buffer.from('1\t0\tkey');
    const sink = { add: () => undefined, appendBytes: () => 0 };
    expect(() => fileParkingRow(row, 0, row.length, '0', 8, { strong: sink, blocks: sink, ids: sink, records: sink })).to.throw(
      'it was not made by parkingRow',
    );
  });
});
