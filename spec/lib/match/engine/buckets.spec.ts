import { expect } from 'chai';
import path from 'node:path';
import { blockHash, bucketOfHash, bucketOfKey, Buckets, sharedKeys } from '../../../../lib/match/engine/buckets.js';
import { tempDir } from '../../../helpers.js';

describe('match/engine/buckets', () => {
  it('parks rows given as bytes, a row longer than a chunk included, and reads each bucket back in order', () => {
    const buckets = new Buckets(path.join(tempDir(), 'b'));
    try {
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
      buckets.close();
    }
  });

  it('keeps every row of every bucket, in the order added, over many chunks', () => {
    const buckets = new Buckets(path.join(tempDir(), 'b'));
    try {
      const rows = 50_000;
      for (let n = 0; n < rows; n++) {
        const text = Buffer.from(`k${n % 1000}|Zoë 😀 ${n}`);
        buckets.add(n % Buckets.COUNT, text, 0, text.indexOf('|'), String(n), text.indexOf('|') + 1, text.length);
      }
      const wrong: number[] = [];
      for (let bucket = 0; bucket < Buckets.COUNT; bucket++) {
        let expected = '';
        for (let n = bucket; n < rows; n += Buckets.COUNT) expected += `k${n % 1000}\t${n}\tZoë 😀 ${n}\n`;
        if (buckets.read(bucket) !== expected) wrong.push(bucket);
      }
      expect(wrong).to.deep.equal([]);
    } finally {
      buckets.close();
    }
  });

  it('finds the keys that two or more rows of a bucket share, with where their rows start', () => {
    const text = 'a\t1\tx\nb\t2\ty\na\t3\tz\nc\t4\tw\na\t5\tv\nc\t6\tu\n';
    expect([...sharedKeys(text)]).to.deep.equal([
      ['a', [0, 12, 24]],
      ['c', [18, 30]],
    ]);
    expect(sharedKeys('').size).to.equal(0);
  });

  it('spreads keys and blocks over the buckets the same way every time', () => {
    const hash = blockHash('block:company\u0000acme');
    expect(Number.isSafeInteger(hash)).to.equal(true);
    expect(blockHash('block:company\u0000acme')).to.equal(hash);
    expect(bucketOfHash(hash)).to.equal(hash % Buckets.COUNT);
    const used = new Set<number>();
    for (let n = 0; n < 2000; n++) used.add(bucketOfKey(`email\u0000person${n}@acme.com`));
    expect(used.size).to.be.greaterThan(Buckets.COUNT * 0.9);
    expect([...used].every((b) => b >= 0 && b < Buckets.COUNT)).to.equal(true);
  });
});
