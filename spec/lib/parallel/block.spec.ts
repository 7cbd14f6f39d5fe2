import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { closeRun, newCounters, openRun, stageContext } from '../../../lib/core/context.js';
import { DEFAULT_LINE_RULES } from '../../../lib/core/jsonl.js';
import { BlockProcessor } from '../../../lib/parallel/block.js';
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
