import { expect } from 'chai';
import fc from 'fast-check';
import { LineCutter, type LineBlock } from '../../../lib/core/line-blocks.js';

/** Cuts `bytes` fed in chunks of `chunk` bytes; returns every block. */
function cut(bytes: Buffer, chunk: number, maxLineBytes: number, blockBytes: number): LineBlock[] {
  const cutter = new LineCutter(maxLineBytes, blockBytes);
  const blocks: LineBlock[] = [];
  for (let at = 0; at < bytes.length; at += chunk) blocks.push(...cutter.push(bytes.subarray(at, at + chunk)));
  const last = cutter.end();
  if (last) blocks.push(last);
  return blocks;
}

describe('LineCutter', () => {
  it('cuts any input in any chunks into numbered blocks of whole lines, a line it finds past the limit left empty and listed (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: 'binary', maxLength: 60 }).map((s) => s.replace(/\n/g, ' ')),
          { maxLength: 30 },
        ),
        fc.boolean(),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 8, max: 80 }),
        fc.integer({ min: 0, max: 200 }),
        (lines, finalNewline, chunk, maxLineBytes, blockBytes) => {
          const text = lines.join('\n') + (finalNewline && lines.length ? '\n' : '');
          const blocks = cut(Buffer.from(text), chunk, maxLineBytes, blockBytes);
          // Each block starts where the one before ended, and holds whole lines.
          let expectedFirst = 1;
          for (const block of blocks) {
            expect(block.firstLine).to.equal(expectedFirst);
            expect(block.data.byteLength, 'memory of its own').to.equal(block.data.buffer.byteLength);
            expectedFirst += block.lines;
          }
          let joined = Buffer.concat(blocks.map((b) => Buffer.from(b.data))).toString('utf8');
          // A last line skipped for its length ends as an empty line, with a newline the input lacked.
          if (!text.endsWith('\n') && joined.endsWith('\n') && blocks.at(-1)!.oversized.length) joined = joined.slice(0, -1);
          const input = text.split('\n');
          const oversized = new Set(blocks.flatMap((b) => b.oversized.map((o) => o.line)));
          // A line the cutter skipped (it was over the limit) is empty; any other is as it was (the parser measures whole lines).
          expect(joined.split('\n')).to.deep.equal(input.map((line, i) => (oversized.has(i + 1) ? '' : line)));
          for (const line of oversized) expect(Buffer.byteLength(input[line - 1]!)).to.be.greaterThan(maxLineBytes);
          // It skips every line that passes the limit by more than a chunk: it never holds that much of one.
          input.forEach((line, i) => {
            if (Buffer.byteLength(line) > maxLineBytes + chunk) expect(oversized.has(i + 1), `line ${i + 1}`).to.equal(true);
          });
        },
      ),
      { numRuns: 400 },
    );
  });

  it('never holds more of a long line than the limit', () => {
    const cutter = new LineCutter(1000, 0);
    cutter.push(Buffer.from('{"a":1}\n{"notes":"'));
    for (let i = 0; i < 1000; i++) cutter.push(Buffer.alloc(64 * 1024, 0x78));
    const blocks = [...cutter.push(Buffer.from('"}\n{"b":2}\n')), cutter.end()].filter((b): b is LineBlock => b !== undefined);
    expect(Buffer.concat(blocks.map((b) => Buffer.from(b.data))).toString()).to.equal('\n{"b":2}\n');
    expect(blocks.flatMap((b) => b.oversized)).to.deep.equal([{ line: 2 }]);
    expect((cutter as unknown as { size: number }).size).to.equal(0);
  });
});
