import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { plainLead } from '../../bench/febrl-plain.js';
import { readFebrl } from '../../bench/febrl.js';
import { fixture, tempDir } from '../helpers.js';

describe('bench/febrl-plain', () => {
  it('maps a FEBRL row as a new user would: the name, the address as one location, the date of birth and the SSN', () => {
    const dir = tempDir();
    fs.copyFileSync(fixture('match', 'febrl-sample.csv'), path.join(dir, 'dataset1.csv'));
    const [, dup] = readFebrl(dir, '1');
    expect(plainLead(dup!.record)).to.deep.equal({
      id: 'rec-1-dup-0',
      name: 'ada lovelaec',
      location: '12 babbage st marylebone 2000 nsw',
      date_of_birth: '18151210',
      soc_sec_id: '1234576',
    });
  });
});
