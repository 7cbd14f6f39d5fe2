import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { generateLeads } from '../../../bench/generate-leads.js';
import { definePipeline } from '../../../lib/core/embed.js';
import { createLogger } from '../../../lib/core/log.js';
import type { ParallelOptions } from '../../../lib/parallel/plan.js';
import { runPipeline, type RunSummary } from '../../../lib/core/runner.js';
import { tempDir } from '../../helpers.js';

describe('parallel JSON Lines runs into dedupe (read-jsonl → parallel stages → dedupe → write-jsonl)', function () {
  this.timeout(60_000);
  const dir = tempDir('parallel-dedupe-');
  const input = path.join(dir, 'leads.jsonl');
  const ONE_THREAD: ParallelOptions = { workers: 1 };
  // No threshold and every block to a worker: dozens of blocks, spread over both workers.
  const WORKERS: ParallelOptions = { workers: 2, thresholdBytes: 0, blockBytes: 16 * 1024, inline: false };

  before(() => {
    // Generated leads with their duplicates, and lines that take the slower paths: malformed and
    // blank lines, `_meta` before the fields, a record annotated by an earlier dedupe, an event,
    // text that is not Latin-1.
    const lines: string[] = [];
    let n = 0;
    for (const { record } of generateLeads(3000, { seed: 11 })) {
      n++;
      lines.push(JSON.stringify(record));
      if (n % 499 === 0) lines.push('{"name": "Broken', '');
    }
    lines.splice(100, 0, JSON.stringify({ _meta: { source: 'local', id: 'meta-first' }, name: 'Zoë Ōtani', email: 'zoe@otani.jp' }));
    lines.splice(200, 0, JSON.stringify({ name: 'Zoe Otani', email: 'ZOE@otani.jp', _meta: { cluster: 'old', survivor: true } }));
    lines.splice(300, 0, JSON.stringify({ kind: 'duplicate_group', matching_field: 'email', matching_value: 'x@y.z' }));
    lines.splice(400, 0, JSON.stringify({ id: 'emoji', name: 'Ann 😀 Lee', company: '株式会社 Acme' }));
    lines.splice(500, 0, JSON.stringify({ _meta: { note: 'first' }, id: 'solo-meta-first', name: 'Solo Person' }));
    lines.splice(600, 0, JSON.stringify({ id: 'solo-annotated', name: 'Other Solo', _meta: { cluster: 'old', survivor: false } }));
    fs.writeFileSync(input, lines.join('\n') + '\n');
  });

  interface Outcome {
    summary: RunSummary;
    output: string;
    review: string;
    rejects: string;
    log: Array<Record<string, unknown>>;
  }

  let runs = 0;
  async function run(parallel: ParallelOptions, steps: Array<[string, Record<string, unknown>]>, write: Record<string, unknown> = {}): Promise<Outcome> {
    const name = `run-${++runs}`;
    const out = path.join(dir, `${name}.jsonl`);
    const review = path.join(dir, `${name}-review.jsonl`);
    const rejects = path.join(dir, `${name}-rejects.jsonl`);
    const stream = new PassThrough();
    let logged = '';
    stream.on('data', (d) => (logged += d));
    const pipeline = definePipeline(
      [
        ['read-jsonl', { path: input, on_error: 'tag' }],
        ...steps.map(([stage, options]): [string, Record<string, unknown>] => [stage, stage === 'dedupe' ? { review_file: review, ...options } : options]),
        ['write-jsonl', { path: out, ...write }],
      ],
      { rejects },
    );
    const summary = await runPipeline(pipeline, { parallel, log: createLogger({ level: 'info', format: 'json', stream }) });
    const read = (file: string): string => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
    return {
      summary,
      output: read(out),
      review: read(review),
      rejects: read(rejects).replace(/"(time|run_id|attempt)":"[^"]*"/g, ''),
      log: logged
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    };
  }

  const lines = (text: string): string[] => text.split('\n').filter(Boolean);
  const counts = (summary: RunSummary) => summary.stages.map(({ elapsed_ms: _elapsed, ...rest }) => rest);
  const logged = (outcome: Outcome, message: string) => outcome.log.filter((entry) => entry.message === message).map(({ timestamp: _t, ...rest }) => rest);

  async function expectSameAsOneThread(steps: Array<[string, Record<string, unknown>]>, write: Record<string, unknown> = {}): Promise<Outcome> {
    const single = await run(ONE_THREAD, steps, write);
    const parallel = await run(WORKERS, steps, write);
    expect(
      parallel.log.some((entry) => entry.workers === 2),
      'the workers started',
    ).to.equal(true);
    expect(parallel.output).to.equal(single.output);
    expect(parallel.review).to.equal(single.review);
    expect(counts(parallel.summary)).to.deep.equal(counts(single.summary));
    expect(parallel.summary.records_out).to.equal(single.summary.records_out);
    // Workers report rejects as they meet them, so their order in the file is not the input's.
    expect(lines(parallel.rejects)).to.have.deep.members(lines(single.rejects));
    expect(logged(parallel, 'Duplicates found.')).to.deep.equal(logged(single, 'Duplicates found.'));
    return parallel;
  }

  it('writes the same bytes, counts, rejects and duplicate counts as a run on one thread', async () => {
    const outcome = await expectSameAsOneThread([
      ['normalize', {}],
      ['fingerprint', {}],
      ['dedupe', {}],
    ]);
    const records = outcome.output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, any>);
    // Every record once (3000 leads, 6 tagged malformed lines, 3 odd records), the event first.
    expect(records).to.have.length(3000 + 6 + 6);
    expect(records[0]).to.include({ kind: 'duplicate_group', matching_field: 'email', matching_value: 'x@y.z' });
    const duplicates = records.filter((r) => r._meta?.survivor === false);
    expect(duplicates.length).to.be.greaterThan(100);
    // Survivors filled from their duplicates (most_recent) come out rewritten, not spliced, on both paths.
    expect(records.filter((r) => r._meta?.changes?.some((c: { rule: string }) => c.rule === 'dedupe.fill')).length).to.be.greaterThan(10);
    // The records whose annotations cannot be spliced into their text are annotated all the same.
    const zoe = records.filter((r) => r._meta?.keys?.email === 'zoe@otani.jp');
    expect(zoe).to.have.length(2);
    expect(zoe[1]!._meta.cluster).to.equal(zoe[0]!._meta.cluster).and.not.equal('old');
    expect(Object.keys(zoe[0]!)[0]).to.equal('_meta');
    const single = { survivor: true, duplicate_of: null, match: null };
    expect(records.find((r) => r.id === 'emoji')!._meta).to.include({ cluster: 'record:emoji', ...single });
    const metaFirst = records.find((r) => r.id === 'solo-meta-first')!;
    expect(Object.keys(metaFirst)[0]).to.equal('_meta');
    expect(metaFirst._meta).to.include({ note: 'first', cluster: 'record:solo-meta-first', ...single });
    expect(records.find((r) => r.id === 'solo-annotated')!._meta).to.include({ cluster: 'record:solo-annotated', ...single });
  });

  it('fingerprints in the workers what came without keys, and drops duplicates and emits groups the same way', async () => {
    const outcome = await expectSameAsOneThread([['dedupe', { drop_duplicates: true, emit_groups: true }]]);
    expect(outcome.log.some((entry) => String(entry.message).startsWith('Records without match keys'))).to.equal(true);
    expect(outcome.summary.stages[1]!.dropped.duplicate).to.be.greaterThan(100);
    expect(outcome.output).to.include('"kind":"duplicate_group","matching_field"');
    expect(outcome.output).to.include('"values_not_kept":[{"system":');
  });

  it('writes the same review file under manual resolution, and the same plain export without _meta', async () => {
    const outcome = await expectSameAsOneThread(
      [
        ['fingerprint', {}],
        ['dedupe', { resolution_strategy: 'manual' }],
      ],
      { strip_meta: true },
    );
    expect(outcome.review.split('\n').filter(Boolean).length).to.be.greaterThan(100);
    expect(outcome.output).to.not.include('"_meta"');
  });
});
