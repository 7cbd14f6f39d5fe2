import { expect } from 'chai';
import { Readable } from 'node:stream';
import { seededRandom } from '../../../lib/core/random.js';
import { type CsvItem, type CsvSettings, csvRows, csvRowsByCsvParse, rawText } from '../../../lib/exports/csv-rows.js';

/** Every item as a reader sees it: the row's line, cells or problem, and the text a reject would keep. */
async function read(rows: AsyncGenerator<CsvItem[]>): Promise<unknown[]> {
  const items: unknown[] = [];
  for await (const batch of rows) for (const item of batch) items.push({ ...item, raw: rawText(item.raw) });
  return items;
}

/** `text` as UTF-8 bytes in pieces of 1 to `most` bytes, cut anywhere (inside a character too). */
function pieces(text: string, random: () => number, most: number): Readable {
  const bytes = Buffer.from(text);
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = 1 + Math.floor(random() * most);
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return Readable.from(out);
}

/** A CSV-like text made of what breaks readers: quotes in and out of place, line ends of all kinds, empty lines, wide characters. */
function hostileCsv(random: () => number, crlf: boolean, brokenShare: number, delimiter: string): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const end = crlf ? '\r\n' : '\n';
  const plain = ['Ada', 'b', ' ', 'é', '😀', 'x y', ''];
  const quotedInside = ['a,b', 'say ""hi""', `two${end}lines`, 'semi;colon', '', 'lone\rcr', 'lf\nonly'];
  const broken = ['a"b', '"open', '"closed"after', '"', 'x\ry', 'x\ny'];
  const lines: string[] = [];
  for (let row = 0; row < 12; row++) {
    const roll = random();
    if (roll < 0.08) {
      lines.push('');
      continue;
    }
    const cells = Array.from({ length: 1 + Math.floor(random() * 4) }, () => {
      const kind = random();
      if (kind < 1 - brokenShare) return kind < 0.6 ? pick(plain) : `"${pick(quotedInside)}"`;
      return pick(broken);
    });
    lines.push(cells.join(delimiter));
  }
  return lines.join(end) + (random() < 0.7 ? end : '');
}

describe('csv rows', () => {
  it('reads hostile text row for row, line for line and reject for reject as csv-parse alone does, however the input is cut', async function () {
    this.timeout(60_000);
    const random = seededRandom(21);
    for (let sample = 0; sample < 400; sample++) {
      const delimiter = sample % 4 === 3 ? ';' : ',';
      const text = (sample % 7 === 0 ? '\ufeff' : '') + hostileCsv(random, sample % 2 === 1, sample % 3 === 0 ? 0.1 : 0.002, delimiter);
      const settings: CsvSettings = { delimiter, encoding: 'utf8', maxRowChars: 16 * 1024 * 1024 };
      const expected = await read(csvRowsByCsvParse(Readable.from([Buffer.from(text)]), settings));
      const actual = await read(csvRows(pieces(text, random, 1 + (sample % 40)), settings));
      expect(actual, JSON.stringify(text)).to.deep.equal(expected);
    }
  });

  it('numbers rows by the line they start on, counting empty lines and line breaks inside quotes', async () => {
    const text = 'name,notes\r\n\r\nAda,"one\r\ntwo"\r\nGrace,x\r\n\r\n\r\nAlan,y\r\n';
    const items = await read(csvRows(Readable.from([Buffer.from(text)]), { encoding: 'utf8', maxRowChars: 1000 }));
    expect(items.map((item) => (item as { line: number }).line)).to.deep.equal([1, 3, 5, 8]);
  });

  it('keeps the rows before a quote never closed, and says which lines the reject holds', async () => {
    const text = 'name,notes\nAda,fine\nGrace,"never closed\nAlan,x\nEdsger,y\n';
    const items = (await read(csvRows(Readable.from([Buffer.from(text)]), { encoding: 'utf8', maxRowChars: 1000 }))) as Array<Record<string, unknown>>;
    expect(items.map((item) => item.cells ?? item.reason)).to.deep.equal([['name', 'notes'], ['Ada', 'fine'], 'unbalanced_quote']);
    expect(items[2]!.error).to.match(/lines 3 to 5 were read as one row/);
    expect(items[2]!.raw).to.equal('Grace,"never closed\nAlan,x\nEdsger,y');
  });
});
