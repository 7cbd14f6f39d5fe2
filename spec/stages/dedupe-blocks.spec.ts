import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { generateBigEmployer } from '../../bench/big-employer.js';
import { matchQuality } from '../../bench/matching.js';
import { definePipeline } from '../../lib/core/embed.js';
import { createLogger } from '../../lib/core/log.js';
import { runPipeline } from '../../lib/core/runner.js';
import type { ParallelOptions } from '../../lib/parallel/plan.js';
import { tempDir } from '../helpers.js';

/** Runs read-jsonl → fingerprint → dedupe → `last` over `input`; returns what was logged at warn and above, and the output. */
async function run(input: string, dedupe: Record<string, unknown>, last: [string, Record<string, unknown>], parallel: ParallelOptions = { workers: 1 }) {
  const dir = tempDir('dedupe-blocks-');
  let logged = '';
  const stream = new PassThrough().on('data', (d) => (logged += d));
  const pipeline = definePipeline(
    [['read-jsonl', { path: input }], ['fingerprint', {}], ['dedupe', { review_file: path.join(dir, 'review.jsonl'), ...dedupe }], last],
    { rejects: path.join(dir, 'rejects.jsonl') },
  );
  await runPipeline(pipeline, { parallel, log: createLogger({ level: 'info', format: 'json', stream }) });
  const log = logged
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { log, found: (message: string) => log.filter((entry) => entry.message === message).map(({ timestamp: _t, ...rest }) => rest) };
}

function writeLeads(records: unknown[]): string {
  const file = path.join(tempDir('dedupe-blocks-'), 'leads.jsonl');
  fs.writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

describe('dedupe: blocks past max_block_size', function () {
  this.timeout(120_000);

  it('finds the duplicates without email or LinkedIn at an employer of 2,000 leads', async () => {
    const quality = await matchQuality([...generateBigEmployer(2000, { seed: 3 })]);
    expect(quality.true_pairs).to.be.at.least(400);
    expect(quality.recall).to.be.at.least(0.99);
    expect(quality.precision).to.be.at.least(0.999);
  });

  it('writes the same bytes and counts on one thread and on many', async () => {
    const input = writeLeads([...generateBigEmployer(1500, { seed: 9 })].map(({ record }) => record));
    const outputs: string[] = [];
    const counted: unknown[] = [];
    for (const parallel of [{ workers: 1 }, { workers: 2, thresholdBytes: 0, blockBytes: 16 * 1024, inline: false }]) {
      const out = path.join(tempDir('dedupe-blocks-'), 'out.jsonl');
      const { found } = await run(input, {}, ['write-jsonl', { path: out }], parallel);
      outputs.push(fs.readFileSync(out, 'utf8'));
      counted.push(found('Duplicates found.'));
    }
    expect(outputs[1]).to.equal(outputs[0]);
    expect(counted[1]).to.deep.equal(counted[0]);
    expect((counted[0] as Array<Record<string, number>>)[0]).to.include({ split_blocks: 2, uncompared_pairs: 0 });
  });

  it('counts the pairs it leaves uncompared in the log and the run report', async () => {
    // Six leads at one employer, all named Jean: the part of the block for "jean" is still past a bound of 3.
    const names = ['Jean Roy', 'Jean Côté', 'Jean Morin', 'Jean Simard', 'Jean Caron', 'Jean Girard'];
    const input = writeLeads(names.map((name, i) => ({ id: String(i), name, company: 'Voxa', title: 'CEO' })));
    const reports = tempDir('dedupe-blocks-');
    const { found } = await run(input, { max_block_size: 3 }, ['report', { directory: reports, formats: ['json'] }]);
    const message =
      '6 pairs of leads in very large blocks were not compared fuzzily (blocks past max_block_size are split by name, but some parts were still past it); raise max_block_size or choose more selective blocking_fields to compare them.';
    // The six sorted by name, each compared with the next two: 9 of the 15 pairs.
    expect(found(message)).to.deep.equal([{ level: 'warn', message, stage: 'dedupe', uncompared_pairs: 6, split_blocks: 1, max_block_size: 3 }]);
    const folder = fs.readdirSync(reports).find((name) => name !== 'latest')!;
    const result = JSON.parse(fs.readFileSync(path.join(reports, folder, 'maintenance-result.json'), 'utf8')) as { warnings: string[] };
    expect(result.warnings).to.include(message);
  });
});
