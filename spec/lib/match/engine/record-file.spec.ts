import { expect } from 'chai';
import path from 'node:path';
import { RecordFile } from '../../../../lib/match/engine/record-file.js';
import { tempDir } from '../../../helpers.js';

describe('match/engine/record-file', () => {
  it('reads back entries of any length, accents and all, by number and in order', () => {
    const file = new RecordFile(path.join(tempDir(), 'r'));
    try {
      const entries = Array.from({ length: 300 }, (_, i) => (i % 50 === 7 ? `é${'x'.repeat(70_000 + i)}` : `Hélène ${i} ${'ü'.repeat(i)}`));
      for (const entry of entries) file.append(entry);
      expect([file.get(7), file.get(299), file.get(64), file.get(0)]).to.deep.equal([entries[7], entries[299], entries[64], entries[0]]);
      expect([...file.entries()].map(([, text]) => text)).to.deep.equal(entries);
      expect([...file.entries((n) => n % 2 === 0)].map(([n, text]) => (n % 2 === 0 ? text === entries[n] : text === ''))).to.not.include(false);
    } finally {
      file.close();
    }
  });

  it('gives odd text back as it was: tabs, emoji, lone surrogates replaced as UTF-8 does, empty entries, JSON', () => {
    const file = new RecordFile(path.join(tempDir(), 'r'));
    try {
      const entries = ['', 'tab\there', 'Zoë 😀 株式会社', '\u2028\u0000', JSON.stringify({ a: '"\\\n', b: [null, { c: 'é' }] }), ''];
      for (const entry of entries) file.append(entry);
      expect(file.append('\ud83d')).to.equal(entries.length);
      expect([...file.entries()].map(([, text]) => text)).to.deep.equal([...entries, '\ufffd']);
      expect(entries.map((_, n) => file.get(n))).to.deep.equal(entries);
      expect(file.size).to.equal(entries.length + 1);
    } finally {
      file.close();
    }
  });

  it('numbers a hundred thousand entries in order and finds any by number, appended as text or as bytes', () => {
    const file = new RecordFile(path.join(tempDir(), 'r'));
    try {
      const count = 100_000;
      for (let n = 0; n < count; n++) {
        if (n % 2) file.append(`entry ${n}`);
        else {
          const bytes = Buffer.from(`[entry ${n}]`);
          file.appendBytes(bytes, 1, bytes.length - 1);
        }
      }
      expect(file.size).to.equal(count);
      let next = 0;
      const wrong: string[] = [];
      for (const [n, text] of file.entries()) if (n !== next++ || text !== `entry ${n}`) wrong.push(`${n}: ${text}`);
      expect(wrong).to.deep.equal([]);
      expect(next).to.equal(count);
      for (const n of [0, 63, 64, 65, 12_345, count - 1]) expect(file.get(n)).to.equal(`entry ${n}`);
      // Each entry's bytes are a view valid until the next is asked for: read as it comes.
      const wanted: Array<[number, string]> = [];
      for (const [n, bytes] of file.entryBytes((n) => n % 10_000 === 0)) wanted.push([n, bytes.toString()]);
      expect(wanted).to.deep.equal(Array.from({ length: 10 }, (_, i) => [i * 10_000, `entry ${i * 10_000}`]));
    } finally {
      file.close();
    }
  });

  it('parks entries given as bytes, an entry longer than a write buffer included', () => {
    const file = new RecordFile(path.join(tempDir(), 'r'));
    try {
      const entries = ['Zoë\tRivera', `😀${'x'.repeat(2_000_000)}`, '', 'last'];
      for (const entry of entries) {
        const bytes = Buffer.from(`ab${entry}cd`);
        file.appendBytes(bytes, 2, bytes.length - 2);
      }
      expect([...file.entries()].map(([, text]) => text)).to.deep.equal(entries);
      expect(file.get(1)).to.equal(entries[1]);
    } finally {
      file.close();
    }
  });
});
