import { expect } from 'chai';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isolated } from '../bench/harness.js';
import { ROOT, tempDir } from './helpers.js';

/** The benchmarks named in bench/run.ts, in its order. */
const BENCHMARKS = ['jsonl', 'normalize', 'matching', 'scale', 'sqlite', 'postgres', 'airtable', 'report', 'safety', 'sync', 'emulator'];

interface Outcome {
  bench: string;
  seconds: number;
  error?: string;
  figures?: Record<string, unknown>;
}

describe('benchmarks', function () {
  // Every benchmark at a few hundred records, all in one process as `npm run bench` runs them.
  this.timeout(600_000);
  let outcomes: Outcome[] = [];
  let run: { code: number | null; stdout: string; stderr: string };

  before(async () => {
    const out = path.join(tempDir('bench-smoke-'), 'results.json');
    run = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'bench', 'run.js'), '--size', 'small', '--out', out], { cwd: ROOT });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    if (fs.existsSync(out)) outcomes = (JSON.parse(fs.readFileSync(out, 'utf8')) as { results: Outcome[] }).results;
  });

  it('all run to the end at a small size, one after the other in one process (exit 0)', () => {
    expect(run.code, `${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`).to.equal(0);
    expect(outcomes.map((o) => o.bench)).to.deep.equal(BENCHMARKS);
  });

  for (const name of BENCHMARKS) {
    it(`runs the ${name} benchmark without an error and with figures`, () => {
      const outcome = outcomes.find((o) => o.bench === name);
      expect(outcome, `no result for ${name}`).to.not.equal(undefined);
      expect(outcome!.error, outcome!.error).to.equal(undefined);
      expect(Object.keys(outcome!.figures ?? {})).to.not.be.empty;
    });
  }
});

describe('benchmark isolation', () => {
  it('puts back the environment, working directory and exit code a benchmark changed, even when it fails', async () => {
    const cwd = process.cwd();
    const exitCode = process.exitCode;
    process.env.SPEC_BENCH_KEPT = 'before';
    delete process.env.SPEC_BENCH_ADDED;
    let failed = false;
    try {
      await isolated(async () => {
        process.env.SPEC_BENCH_KEPT = 'changed';
        process.env.SPEC_BENCH_ADDED = 'leaked';
        process.chdir(tempDir('bench-cwd-'));
        process.exitCode = 7;
        throw new Error('the benchmark crashed');
      });
    } catch {
      failed = true;
    }
    expect(failed).to.equal(true);
    expect(process.env.SPEC_BENCH_KEPT).to.equal('before');
    expect(process.env).to.not.have.property('SPEC_BENCH_ADDED');
    expect(process.cwd()).to.equal(cwd);
    expect(process.exitCode).to.equal(exitCode);
    delete process.env.SPEC_BENCH_KEPT;
  });
});
