import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { isMainThread } from 'node:worker_threads';
import { generateLeads } from '../../../bench/generate-leads.js';
import { NO_CONFIG } from '../../../lib/core/config.js';
import { definePipeline } from '../../../lib/core/embed.js';
import type { ConfigIssue } from '../../../lib/core/errors.js';
import { createLogger } from '../../../lib/core/log.js';
import type { ParallelOptions } from '../../../lib/parallel/plan.js';
import { resolveOptions } from '../../../lib/core/pipeline.js';
import { stages } from '../../../stages/index.js';
import { runPipeline, type RunSummary } from '../../../lib/core/runner.js';
import { defineStage, type Stage } from '../../../lib/core/stage.js';
import { tempDir } from '../../helpers.js';
import shout from './shout-stage.js';

describe('what stages declare decides whether a run goes on every core', function () {
  this.timeout(60_000);
  const dir = tempDir('parallel-capabilities-');
  const input = path.join(dir, 'leads.jsonl');
  const LEADS = 2000;
  const ONE_THREAD: ParallelOptions = { workers: 1 };
  // No threshold, and every block to a worker: a run that goes parallel processes nothing on the main thread.
  const WORKERS: ParallelOptions = { workers: 2, thresholdBytes: 0, blockBytes: 16 * 1024, inline: false };

  before(() => {
    const lines = [...generateLeads(LEADS, { seed: 7 })].map(({ record }) => JSON.stringify(record));
    fs.writeFileSync(input, lines.join('\n') + '\n');
  });

  let runs = 0;
  /** read-jsonl → the stage → write-jsonl, the stage given as an object (no registry knows it). */
  async function run(stage: Stage<any>, parallel: ParallelOptions): Promise<{ summary: RunSummary; output: string; log: Array<Record<string, unknown>> }> {
    const out = path.join(dir, `run-${++runs}.jsonl`);
    const pipeline = definePipeline(
      [
        ['read-jsonl', { path: input }],
        ['write-jsonl', { path: out }],
      ],
      { rejects: path.join(dir, 'rejects.jsonl') },
    );
    const issues: ConfigIssue[] = [];
    const options = resolveOptions(stage, {}, { label: stage.name, baseDir: dir, locate: () => undefined }, NO_CONFIG, issues);
    expect(issues).to.deep.equal([]);
    pipeline.steps.splice(1, 0, { stage, options });
    const stream = new PassThrough();
    let logged = '';
    stream.on('data', (d) => (logged += d));
    const summary = await runPipeline(pipeline, { parallel, log: createLogger({ level: 'info', format: 'json', stream }) });
    return {
      summary,
      output: fs.readFileSync(out, 'utf8'),
      log: logged
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    };
  }

  const counts = (summary: RunSummary) => summary.stages.map(({ elapsed_ms: _elapsed, ...rest }) => rest);

  it('runs a stage that declares nothing as streams on the main thread, however many workers are allowed', async () => {
    const threads: boolean[] = [];
    const mark = defineStage<Record<string, never>>({
      name: 'mark',
      kind: 'transform',
      summary: 'Marks each record as seen.',
      options: {},
      create: () => (record) => {
        threads.push(isMainThread);
        return { ...record, seen: true };
      },
    });
    const outcome = await run(mark, WORKERS);
    expect(
      outcome.log.some((entry) => entry.workers !== undefined),
      'no worker thread started',
    ).to.equal(false);
    expect(threads).to.have.length(LEADS);
    expect(threads.every(Boolean), 'every record went through the main thread').to.equal(true);
    const records = outcome.output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).to.have.length(LEADS);
    expect(records.every((record) => record.seen === true)).to.equal(true);
    expect(counts(outcome.summary).map((c) => [c.stage, c.received, c.sent])).to.deep.equal([
      ['read-jsonl', 0, LEADS],
      ['mark', LEADS, LEADS],
      ['write-jsonl', LEADS, LEADS],
    ]);
  });

  it('runs a stage declared independent on the worker threads, loaded from its own module, its name unknown to the library', async () => {
    expect(Object.keys(stages)).not.to.include(shout.name);
    const single = await run(shout, ONE_THREAD);
    const parallel = await run(shout, WORKERS);
    expect(
      parallel.log.some((entry) => entry.workers === 2),
      'the workers started',
    ).to.equal(true);
    expect(
      single.log.some((entry) => entry.workers !== undefined),
      'one thread starts no worker',
    ).to.equal(false);
    expect(parallel.output).to.equal(single.output);
    expect(counts(parallel.summary)).to.deep.equal(counts(single.summary));
    const names = parallel.output
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { name?: unknown }).name)
      .filter((name) => typeof name === 'string');
    expect(names.length).to.be.greaterThan(LEADS / 2);
    expect(names.every((name) => name === (name as string).toUpperCase())).to.equal(true);
  });
});
