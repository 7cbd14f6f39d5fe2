import { expect } from 'chai';
import fc from 'fast-check';
import { LineBytes, parseJsonLines, type JsonLine } from '../../../lib/core/jsonl.js';
import { chunked } from '../../helpers.js';

async function collect(input: AsyncIterable<Buffer | string>): Promise<JsonLine[]> {
  const lines: JsonLine[] = [];
  for await (const line of parseJsonLines(input)) lines.push(line);
  return lines;
}

const TEXT = '{"name":"Zoë Côté","city":"Montréal"}\n\n{"emoji":"🎉 party","cjk":"東京"}\r\n{"n":1}';

describe('JSONL parsing', () => {
  for (const size of [1, 3, 7]) {
    it(`gives the same records when the input arrives in ${size}-byte chunks, multi-byte characters split`, async () => {
      const lines = await collect(chunked(TEXT, size));
      expect(lines.map((l) => l.value)).to.deep.equal([{ name: 'Zoë Côté', city: 'Montréal' }, { emoji: '🎉 party', cjk: '東京' }, { n: 1 }]);
      expect(lines.map((l) => l.line)).to.deep.equal([1, 3, 4]);
    });
  }

  it('parses any JSONL text identically whatever the chunk size (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean())), { maxLength: 8 }),
        fc.integer({ min: 1, max: 40 }),
        async (records, size) => {
          const text = records.map((r) => JSON.stringify(r)).join('\n');
          const lines = await collect(chunked(text, size));
          expect(lines.map((l) => l.value)).to.deep.equal(records);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reports a malformed line with its line and column instead of throwing', async () => {
    const lines = await collect(chunked('{"a":1}\n{"b" 1}\n{"c":3}\n', 4));
    expect(lines).to.have.length(3);
    expect(lines[1]).to.deep.include({ line: 2, col: 6, raw: '{"b" 1}', error: "Expected ':' after property name" });
    expect(lines[2].value).to.deep.equal({ c: 3 });
  });

  it('drops a leading byte-order mark', async () => {
    const lines = await collect(chunked(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}\n')]), 2));
    expect(lines.map((l) => l.value)).to.deep.equal([{ a: 1 }]);
  });
});

describe('LineBytes', () => {
  it('builds lines of any text as UTF-8 bytes of their exact length, growing as needed (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ unit: 'binary' }), fc.boolean()), { maxLength: 40 }), fc.integer({ min: 1, max: 64 }), (lines, capacity) => {
        const bytes = new LineBytes(capacity);
        // Each line added as text, or as bytes given as they are (with a margin around them).
        for (const [line, asBytes] of lines) {
          if (!asBytes) bytes.add(line);
          else {
            const src = Buffer.from(`<${line}\n>`);
            bytes.addBytes(src, 1, src.length - 1);
          }
        }
        const expected = Buffer.from(lines.map(([line]) => `${line}\n`).join(''));
        expect(bytes.size).to.equal(expected.length);
        const data = bytes.take();
        expect(Buffer.from(data).equals(expected)).to.equal(true);
        // Its own memory, so it can be moved to another thread.
        expect(data.byteLength).to.equal(data.buffer.byteLength);
        expect(bytes.take()).to.have.length(0);
      }),
      { numRuns: 200 },
    );
  });

  it('hands its lines over without a copy and goes on in a new buffer', () => {
    const bytes = new LineBytes(8);
    bytes.add('Zoë');
    const first = bytes.detach();
    bytes.add('next');
    expect(Buffer.from(first).toString()).to.equal('Zoë\n');
    expect(first.byteOffset).to.equal(0);
    expect(Buffer.from(bytes.detach()).toString()).to.equal('next\n');
    expect(Buffer.from(first).toString()).to.equal('Zoë\n');
  });
});
