import { expect } from 'chai';
import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import { closeRun, newCounters, openRun, stageContext } from '../../../lib/core/context.js';
import { DEFAULT_LINE_RULES } from '../../../lib/core/jsonl.js';
import { BlockProcessor, chunksOf } from '../../../lib/parallel/block.js';
import type { Lead } from '../../../lib/core/record.js';
import { tempDir } from '../../helpers.js';

describe("BlockProcessor (a worker thread's read-jsonl → stages → write-jsonl over one block)", () => {
  it('rejects a record it cannot write as JSON, with its line, and writes the rest of the block', async () => {
    const rejects = path.join(tempDir('block-'), 'rejects.jsonl');
    const run = openRun({ rejects });
    const counters = ['read-jsonl', 'loop', 'write-jsonl'].map((stage) => newCounters(stage));
    const ctx = (step: number) => stageContext(run, counters[step]!.stage, step, counters[step]!, 'skip');
    // A stage that makes one record circular: JSON cannot write it.
    const loop = (record: Lead): Lead => {
      if (record.name === 'circular') record.self = record;
      return record;
    };
    const processor = new BlockProcessor(
      { label: 'in.jsonl', rules: DEFAULT_LINE_RULES, ctx: ctx(0), counters: counters[0]! },
      [{ instance: loop, ctx: ctx(1), counters: counters[1]! }],
      { stripMeta: false, ctx: ctx(2), counters: counters[2]!, passesOn: true },
    );
    const output = await processor.process({ data: Buffer.from('{"name":"a"}\n{"name":"circular"}\n{"name":"b"}\n'), firstLine: 1, oversized: [], lines: 3 });
    await closeRun(run);
    expect(output.records).to.equal(2);
    expect(
      Buffer.from(output.data)
        .toString()
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as Lead).name),
    ).to.deep.equal(['a', 'b']);
    expect(counters[2]).to.include({ received: 3, sent: 2, rejected: 1, errored: 1 });
    const entries = fs
      .readFileSync(rejects, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries).to.have.length(1);
    expect(entries[0]).to.include({ stage: 'write-jsonl', reason: 'stage_error', line: 2 });
    expect(entries[0]!.message).to.match(/^line 2: Converting circular structure to JSON/);
    expect(entries[0]!.record_omitted).to.match(/cannot be written as JSON/);
  });
});

describe('BlockProcessor over a block of many chunks', () => {
  it('keeps every line in its place and number across chunks: a byte-order mark, blank, malformed and too-long lines, a batch stage, a last line without newline', async () => {
    const rejects = path.join(tempDir('block-'), 'rejects.jsonl');
    const run = openRun({ rejects });
    const counters = ['read-jsonl', 'tagger', 'write-jsonl'].map((stage) => newCounters(stage));
    const ctx = (step: number) => stageContext(run, counters[step]!.stage, step, counters[step]!, 'skip');
    // A batch stage holding 50 records at a time, so batches straddle chunks and a block's end.
    const batches: number[] = [];
    const tagger = {
      size: 50,
      batch: (records: Lead[]) => {
        batches.push(records.length);
        for (const record of records) record.tagged = true;
        return records;
      },
    };
    const processor = new BlockProcessor(
      { label: 'in.jsonl', rules: DEFAULT_LINE_RULES, ctx: ctx(0), counters: counters[0]! },
      [{ instance: tagger, ctx: ctx(1), counters: counters[1]! }],
      { stripMeta: false, ctx: ctx(2), counters: counters[2]!, passesOn: true },
    );
    const lines: string[] = [];
    for (let n = 1; n <= 300; n++) lines.push(n === 70 ? '' : n === 130 ? '{"broken"' : n === 200 ? '' : JSON.stringify({ n }));
    const data = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lines.join('\n'))]);
    // Line 200 was too long: the cutter left it empty and listed it.
    const output = await processor.process({ data, firstLine: 1, oversized: [{ line: 200 }], lines: 299 });
    await closeRun(run);
    const written = Buffer.from(output.data)
      .toString()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Lead);
    const expected = [...Array(300).keys()].map((i) => i + 1).filter((n) => ![70, 130, 200].includes(n));
    expect(written.map((r) => r.n)).to.deep.equal(expected);
    expect(written.every((r) => r.tagged === true && r._meta?.line === r.n)).to.equal(true);
    expect(output.records).to.equal(297);
    expect(batches.reduce((a, b) => a + b, 0)).to.equal(297);
    const entries = fs
      .readFileSync(rejects, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.map((e) => [e.reason, e.line])).to.deep.equal([
      ['malformed_json', 130],
      ['line_too_long', 200],
    ]);
  });

  it('cuts a block into chunks that hold all its lines, in order, each too-long line in the chunk that holds its number', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('', '{}', '{"a":1}', 'x', 'TOO'), { maxLength: 400 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 1000 }),
        (kinds, newlineAtEnd, size, firstLine) => {
          const oversized = kinds.flatMap((kind, i) => (kind === 'TOO' ? [{ line: firstLine + i }] : []));
          // A too-long line is always ended by its newline in a block.
          const last = kinds.length - 1;
          const text = kinds.map((kind, i) => (kind === 'TOO' ? '' : kind) + (i < last || newlineAtEnd || kinds[last] === 'TOO' ? '\n' : '')).join('');
          const block = { data: Buffer.from(text), firstLine, oversized, lines: (text.match(/\n/g) ?? []).length };
          const chunks = [...chunksOf(block, size)];
          expect(Buffer.concat(chunks.map((c) => c.data)).toString()).to.equal(text);
          expect(chunks.flatMap((c) => c.oversized)).to.deep.equal(oversized);
          let line = firstLine;
          for (const chunk of chunks) {
            expect(chunk.firstLine).to.equal(line);
            expect(chunk.lines).to.be.at.most(size);
            expect(chunk.lines).to.equal((Buffer.from(chunk.data).toString().match(/\n/g) ?? []).length);
            for (const { line: at } of chunk.oversized) expect(at).to.be.within(chunk.firstLine, chunk.firstLine + chunk.lines - 1);
            line += chunk.lines;
          }
          expect(line).to.equal(firstLine + block.lines);
        },
      ),
    );
  });
});
