import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { readFebrl } from '../../bench/febrl.js';
import { fixture, tempDir } from '../helpers.js';

describe('bench/febrl', () => {
  it('reads rows as leads with their entity, empty values as null', () => {
    const dir = tempDir();
    fs.copyFileSync(fixture('match', 'febrl-sample.csv'), path.join(dir, 'dataset1.csv'));
    const leads = readFebrl(dir, '1');
    expect(leads.map((l) => l.entity)).to.deep.equal(['rec-1', 'rec-1', 'rec-2']);
    expect(leads[1]!.record).to.include({ id: 'rec-1-dup-0', surname: 'lovelaec', address_2: null, postcode: '2000' });
  });

  it('names the file and line of a row with the wrong number of values', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'dataset1.csv'), 'rec_id, given_name, surname\nrec-1-org, ada\n');
    expect(() => readFebrl(dir, '1')).to.throw(`${path.join(dir, 'dataset1.csv')}:2: 2 values where the header has 3.`);
  });
});
