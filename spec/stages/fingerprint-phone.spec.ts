import { expect } from 'chai';
import path from 'node:path';
import type { Lead } from '../../lib/core/record.js';
import { runStage, tempDir } from '../helpers.js';

async function keysOf(records: Lead[]): Promise<Array<Record<string, string>>> {
  const { output } = await runStage('fingerprint', {}, records);
  return output.map((r) => r._meta!.keys as Record<string, string>);
}

/** fingerprint then dedupe with these matching fields; the records' ids grouped by cluster. */
async function clusters(records: Lead[], matchingFields: string[]): Promise<string[][]> {
  const keyed = await runStage('fingerprint', { matching_fields: matchingFields }, records);
  const options = { matching_fields: matchingFields, review_file: path.join(tempDir(), 'review.jsonl') };
  const { output } = await runStage('dedupe', options, keyed.output);
  const byCluster = new Map<string, string[]>();
  for (const r of output) byCluster.set(String(r._meta!.cluster), [...(byCluster.get(String(r._meta!.cluster)) ?? []), String(r.id)]);
  return [...byCluster.values()].map((ids) => ids.sort()).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

const lead = (id: string, fields: Record<string, unknown>): Lead => ({ id, ...fields, _meta: { source: 'local', id } });

describe('fingerprint: phones the phone library calls invalid', () => {
  it('keys a number with an unassigned exchange by its last ten digits, marked as digits, the same in every spelling', async () => {
    const keys = await keysOf([{ phone: '+1 524 035 3212' }, { phone: '(524) 035-3212' }, { phone: '524.035.3212 ext. 12' }, { phone: '1-524-035-3212' }]);
    expect(keys.map((k) => k.phone)).to.deep.equal(['digits:5240353212', 'digits:5240353212', 'digits:5240353212', 'digits:5240353212']);
    expect(keys.map((k) => k['block:phone'])).to.deep.equal(keys.map((k) => k.phone));
  });

  it('keeps nine digits as they are, and gives no key to fewer digits, placeholders or two numbers in one cell', async () => {
    const keys = await keysOf([
      { phone: '412 345 678' },
      { phone: '035 3212' },
      { phone: '000-000-0000' },
      { phone: '123-456-7890' },
      { phone: '524-035-3212 / 524-035-9999' },
    ]);
    expect(keys.map((k) => k.phone ?? null)).to.deep.equal(['digits:412345678', null, null, null, null]);
  });

  it('still keys a valid number as E.164', async () => {
    const [key] = await keysOf([{ phone: '+33 1 42 68 53 00' }]);
    expect(key!.phone).to.equal('+33142685300');
  });

  it('never links two records by the digits alone, where a valid phone in matching_fields would', async () => {
    const fields = ['email', 'linkedin_url', 'phone'];
    const valid = await clusters([lead('1', { name: 'Ada Lovelace', phone: '514-555-0142' }), lead('2', { phone: '(514) 555-0142' })], fields);
    expect(valid).to.deep.equal([['1', '2']]);
    const digits = await clusters([lead('1', { name: 'Ada Lovelace', phone: '+1 524 035 3212' }), lead('2', { phone: '(524) 035-3212' })], fields);
    expect(digits).to.deep.equal([['1'], ['2']]);
  });

  it('lets the digits bring two records of one person together in a block, where their names agree', async () => {
    const records = [
      lead('1', { name: 'Ada Lovelace', phone: '+1 524 035 3212', title: 'CTO' }),
      lead('2', { name: 'Ada Lovelace', phone: '524-035-3212' }),
      lead('3', { name: 'Grace Hopper', phone: '524-035-3212' }),
    ];
    expect(await clusters(records, ['email', 'linkedin_url'])).to.deep.equal([['1', '2'], ['3']]);
  });
});
