import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import zlib from 'node:zlib';
import { generateLeads } from '../../../bench/generate-leads.js';
import { loadConfig } from '../../../lib/core/config.js';
import { definePipeline } from '../../../lib/core/embed.js';
import { AbortedError } from '../../../lib/core/errors.js';
import { createLogger } from '../../../lib/core/log.js';
import type { ParallelOptions } from '../../../lib/parallel/plan.js';
import { runPipeline, type RunSummary } from '../../../lib/core/runner.js';
import { tempDir } from '../../helpers.js';

describe('parallel JSON Lines runs (read-jsonl → parallel stages → write-jsonl on worker threads)', function () {
  this.timeout(60_000);
  const dir = tempDir('parallel-');
  const input = path.join(dir, 'leads.jsonl');
  const ONE_THREAD: ParallelOptions = { workers: 1 };
  // Small blocks, no threshold, and every block to a worker: dozens of blocks, spread over both workers.
  const WORKERS: ParallelOptions = { workers: 2, thresholdBytes: 0, blockBytes: 16 * 1024, inline: false };

  before(async () => {
    // Generated messy leads, with lines a reader must reject spread through them (so through many
    // blocks), blank lines, Windows line ends and a byte-order mark.
    const lines: string[] = [];
    let n = 0;
    for (const { record } of generateLeads(3000, { seed: 5 })) {
      n++;
      lines.push(JSON.stringify(record) + (n % 97 === 0 ? '\r' : ''));
      if (n % 499 === 0) lines.push('{"name": "Broken', '', '[1, 2]');
    }
    fs.writeFileSync(input, '\ufeff' + lines.join('\n') + '\n');
    // The run every parallel run is compared with: the same pipeline on one thread.
    single = await run(ONE_THREAD);
  });

  interface Outcome {
    summary: RunSummary;
    output: string;
    rejects: Array<Record<string, unknown>>;
    log: Array<Record<string, unknown>>;
  }

  let runs = 0;
  async function run(parallel: ParallelOptions, options: { onError?: string; file?: string; gzip?: boolean } = {}): Promise<Outcome> {
    const name = `run-${++runs}`;
    const out = path.join(dir, `${name}.jsonl${options.gzip ? '.gz' : ''}`);
    const rejects = path.join(dir, `${name}-rejects.jsonl`);
    const stream = new PassThrough();
    let logged = '';
    stream.on('data', (d) => (logged += d));
    const pipeline = definePipeline(
      [
        ['read-jsonl', { path: options.file ?? input, on_error: options.onError ?? 'tag' }],
        ['normalize', {}],
        ['write-jsonl', { path: out }],
      ],
      { rejects },
    );
    const summary = await runPipeline(pipeline, { parallel, log: createLogger({ level: 'info', format: 'json', stream }) });
    const bytes = fs.readFileSync(out);
    return {
      summary,
      output: (options.gzip ? zlib.gunzipSync(bytes) : bytes).toString('utf8'),
      rejects: fs.existsSync(rejects)
        ? fs
            .readFileSync(rejects, 'utf8')
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line))
        : [],
      log: logged
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
    };
  }

  const counts = (summary: RunSummary) => summary.stages.map(({ elapsed_ms: _elapsed, ...rest }) => rest);
  const rejected = (outcome: Outcome) => outcome.rejects.map(({ reason, message, line, raw }) => ({ reason, message, line, raw }));

  let single: Outcome;

  it('writes the same bytes, counts and rejects as a run on one thread', async () => {
    const parallel = await run(WORKERS);
    expect(
      parallel.log.some((entry) => entry.workers === 2),
      'the workers started',
    ).to.equal(true);
    expect(parallel.output).to.equal(single.output);
    expect(parallel.output.split('\n').filter(Boolean)).to.have.length(3000 + 6 * 2); // leads and tagged placeholders
    expect(counts(parallel.summary)).to.deep.equal(counts(single.summary));
    expect(parallel.summary.records_out).to.equal(single.summary.records_out);
    expect(rejected(parallel)).to.have.length(12);
    expect(rejected(parallel)).to.have.deep.members(rejected(single));
  });

  it('numbers rejected lines as they are in the file, whichever block they fell in', async () => {
    const parallel = await run(WORKERS);
    const text = fs.readFileSync(input, 'utf8').split('\n');
    for (const entry of parallel.rejects) {
      const line = text[(entry.line as number) - 1]!;
      expect(entry.raw === line || entry.raw === JSON.stringify(JSON.parse(line)), `line ${entry.line}: ${line}`).to.equal(true);
      expect(entry.message).to.match(new RegExp(`leads\\.jsonl:${entry.line}:\\d+: `));
    }
  });

  it('hands over from the main thread to the workers partway through the input', async () => {
    const parallel = await run({ workers: 2, thresholdBytes: 200 * 1024, blockBytes: 16 * 1024 });
    expect(parallel.log.some((entry) => entry.workers === 2)).to.equal(true);
    expect(parallel.output).to.equal(single.output);
    expect(counts(parallel.summary)).to.deep.equal(counts(single.summary));
  });

  it("logs the problems normalize left once, with every worker's counts added up", async () => {
    const problems = (outcome: Outcome) => outcome.log.filter((entry) => entry.problems);
    const parallel = await run(WORKERS);
    expect(problems(single)).to.have.length(1);
    expect(problems(parallel)).to.have.length(1);
    expect(problems(parallel)[0]!.problems).to.deep.equal(problems(single)[0]!.problems);
  });

  it('stops at a malformed line under on_error: fail with the same message as a one-thread run', async () => {
    const failure = async (parallel: ParallelOptions) => {
      try {
        await run(parallel, { onError: 'fail' });
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('the run did not fail');
    };
    const message = await failure(WORKERS);
    expect(message).to.match(/^read-jsonl: .*leads\.jsonl:\d+:\d+: malformed JSON/);
    expect(message).to.equal(await failure(ONE_THREAD));
  });

  it('reads and writes gzip files', async () => {
    const gz = path.join(dir, 'leads.jsonl.gz');
    fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(input)));
    const parallel = await run(WORKERS, { file: gz, gzip: true });
    expect(parallel.output).to.equal((await run(ONE_THREAD, { file: gz, gzip: true })).output);
    expect(parallel.output.split('\n').filter(Boolean)).to.have.length(3012);
  });

  it('keeps a line of several megabytes in its place (such a block is handled on the main thread)', async () => {
    const file = path.join(dir, 'huge.jsonl');
    const lines = fs.readFileSync(input, 'utf8').split('\n').slice(0, 800);
    lines.splice(400, 0, JSON.stringify({ id: 'huge', name: 'Ana  Huge', notes: 'x'.repeat(5 * 1024 * 1024) }));
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const parallel = await run(WORKERS, { file });
    expect(parallel.output).to.equal((await run(ONE_THREAD, { file })).output);
    expect(parallel.output.split('\n')[400]).to.include('"id":"huge","name":"Ana Huge"');
  });

  it('stays on one thread when the config turns parallel processing off', async () => {
    const file = path.join(dir, 'serial.yaml');
    fs.writeFileSync(file, 'maintenance_config:\n  performance:\n    enable_parallel_processing: false\n');
    const stream = new PassThrough();
    let logged = '';
    stream.on('data', (d) => (logged += d));
    const out = path.join(dir, 'serial.jsonl');
    const pipeline = definePipeline(
      [
        ['read-jsonl', { path: input, on_error: 'tag' }],
        ['normalize', {}],
        ['write-jsonl', { path: out }],
      ],
      { config: loadConfig(file), rejects: path.join(dir, 'serial-rejects.jsonl') },
    );
    await runPipeline(pipeline, { parallel: { thresholdBytes: 0 }, log: createLogger({ level: 'info', format: 'json', stream }) });
    expect(logged).not.to.include('worker threads');
    expect(fs.readFileSync(out, 'utf8')).to.equal(single.output);
  });

  it('stops when aborted, with counts that cover what was written', async () => {
    const controller = new AbortController();
    const out = path.join(dir, 'aborted.jsonl');
    const pipeline = definePipeline(
      [
        ['read-jsonl', { path: input }],
        ['normalize', {}],
        ['write-jsonl', { path: out }],
      ],
      { rejects: path.join(dir, 'aborted-rejects.jsonl') },
    );
    const progress = {
      tick: (n: number) => {
        if (n >= 1000) controller.abort();
      },
      stop: () => undefined,
    };
    const running = runPipeline(pipeline, { parallel: { ...WORKERS, blockBytes: 4096 }, signal: controller.signal, progress });
    const error = await running.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(AbortedError);
    const summary = (error as AbortedError & { summary: RunSummary }).summary;
    const written = fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).length;
    expect(summary.records_out).to.be.within(1000, 2999);
    expect(written).to.equal(summary.records_out);
    // Every record written was counted by each stage, though workers did all the work.
    for (const stage of summary.stages) expect(stage.sent, stage.stage).to.be.at.least(written);
  });
});
