import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchAirtable } from './airtable.js';
import { benchEmulator } from './emulator.js';
import { type BenchResult, isolated, ROOT } from './harness.js';
import { benchJsonl } from './jsonl.js';
import { benchMatching, benchMatchingMillion } from './matching.js';
import { benchNormalize } from './normalize.js';
import { benchPostgres } from './postgres.js';
import { benchSafety } from './safety.js';
import { benchReport } from './report.js';
import { benchScale } from './scale.js';
import { benchSqlite } from './sqlite.js';
import { benchSync } from './sync.js';

/**
 * `npm run bench [-- NAME … ] [--size small] [--out FILE]`: runs the benchmarks (all, or those
 * named) one after the other in this process, each isolated (the environment, working directory
 * and exit code it leaves are put back), prints each result, writes them all to
 * bench/out/results.json, and exits 1 when a benchmark fails or a target is missed.
 *
 * `--size small` runs each at a few hundred records: a smoke check (npm test runs it) that every
 * benchmark still runs to the end. Ratios measured that small mean nothing, so its targets are
 * shown but not judged; only a failure fails it.
 */
type Size = 'full' | 'small';

const benchmarks: Record<string, (size: Size, scratch: string) => Promise<BenchResult>> = {
  jsonl: (size) => benchJsonl(size === 'small' ? { sizes: [500], repeat: 1 } : {}),
  normalize: (size) => benchNormalize(size === 'small' ? { sizes: [500], repeat: 1 } : {}),
  matching: (size) =>
    benchMatching(size === 'small' ? { quality: { sizes: [300], employerSize: 300, febrlDatasets: ['1'] }, speed: { sizes: [500], repeat: 1 } } : {}),
  'matching-1m': (size) => benchMatchingMillion(size === 'small' ? { size: 400 } : {}),
  scale: (size) => benchScale(size === 'small' ? { sizes: [300, 600], repeat: 1, employerSizes: [200, 400] } : {}),
  sqlite: (size, scratch) => benchSqlite(size === 'small' ? { readRows: 1000, writeRows: 200, runs: 1, cacheDir: scratch } : {}),
  postgres: (size) => benchPostgres(size === 'small' ? { readRows: 1000, writeRows: 200, runs: 1 } : {}),
  airtable: (size) => benchAirtable(size === 'small' ? { records: 60 } : {}),
  report: (size) => benchReport(size === 'small' ? { sizes: [500], repeat: 1 } : {}),
  safety: (size) => benchSafety(size === 'small' ? { rows: 500, updates: 100, runs: 1 } : {}),
  sync: (size) => benchSync(size === 'small' ? { leads: 200, changedShare: 0.05 } : {}),
  emulator: async (size) => {
    const r = await benchEmulator(size === 'small' ? { requests: 20, records: 100 } : {});
    return {
      name: r.name,
      figures: r.metrics,
      targets: Object.entries(r.targets).map(([what, { min }]) => ({ what, value: r.metrics[what], target: `>= ${min}`, ok: r.metrics[what] >= min })),
    };
  },
};

/** What results.json holds per benchmark: its result, or the error that stopped it. */
type Outcome = (BenchResult & { bench: string; seconds: number }) | { bench: string; seconds: number; error: string };

let parsed;
try {
  parsed = parseArgs({ allowPositionals: true, options: { size: { type: 'string', default: 'full' }, out: { type: 'string' } } });
} catch (error) {
  process.stderr.write(`${(error as Error).message}\nUsage: node dist/bench/run.js [NAME …] [--size full|small] [--out FILE]\n`);
  process.exit(2);
}
const size = parsed.values.size as Size;
if (size !== 'full' && size !== 'small') {
  process.stderr.write(`--size must be full or small, not "${size}".\n`);
  process.exit(2);
}
const wanted = parsed.positionals;
const unknown = wanted.filter((name) => !Object.hasOwn(benchmarks, name));
if (unknown.length) {
  process.stderr.write(`Unknown benchmark(s): ${unknown.join(', ')}. Known: ${Object.keys(benchmarks).join(', ')}.\n`);
  process.exit(2);
}

/** Benchmarks that take too long for a run of them all: they run when named (`npm run bench -- matching-1m`). */
const ON_REQUEST = new Set(['matching-1m']);

const outcomes: Outcome[] = [];
for (const [name, bench] of Object.entries(benchmarks)) {
  if (wanted.length ? !wanted.includes(name) : ON_REQUEST.has(name)) continue;
  process.stderr.write(`Running ${name}${size === 'small' ? ' (small)' : ''}…\n`);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${name}-`));
  const started = performance.now();
  try {
    const result = await isolated(() => bench(size, scratch));
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    outcomes.push({ bench: name, seconds, ...result });
    process.stdout.write(`\n## ${result.name}\n`);
    for (const [key, value] of Object.entries(result.figures)) process.stdout.write(`  ${key}: ${value}\n`);
    const judged = size === 'full';
    for (const t of result.targets)
      process.stdout.write(
        `  ${judged ? (t.ok ? 'ok  ' : 'MISS') : '    '} ${t.what}: ${t.value} (target ${t.target}${judged ? '' : ', not judged at small size'})\n`,
      );
  } catch (error) {
    // One benchmark's failure is reported and the others still run.
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    outcomes.push({ bench: name, seconds, error: (error as Error)?.stack ?? String(error) });
    process.stdout.write(`\n## ${name}\n  FAILED: ${(error as Error)?.message ?? String(error)}\n`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

const out = parsed.values.out ? path.resolve(parsed.values.out) : path.join(ROOT, 'bench', 'out', 'results.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, size, results: outcomes }, null, 2) + '\n');
const failed = outcomes.filter((o) => 'error' in o).map((o) => o.bench);
const missed = size === 'full' ? outcomes.flatMap((o) => ('targets' in o ? o.targets.filter((t) => !t.ok).map((t) => `${o.name}: ${t.what}`) : [])) : [];
if (failed.length) process.stdout.write(`\n${failed.length} benchmark(s) failed: ${failed.join(', ')}\n`);
process.stdout.write(
  missed.length
    ? `\n${missed.length} target(s) missed:\n  ${missed.join('\n  ')}\n`
    : failed.length
      ? ''
      : size === 'full'
        ? '\nAll targets met.\n'
        : '\nEvery benchmark ran.\n',
);
process.exitCode = failed.length || missed.length ? 1 : 0;
