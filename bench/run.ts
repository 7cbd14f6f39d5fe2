import fs from 'node:fs';
import path from 'node:path';
import { benchAirtable } from './airtable.js';
import { benchEmulator } from './emulator.js';
import { type BenchResult, ROOT } from './harness.js';
import { benchJsonl } from './jsonl.js';
import { benchMatching } from './matching.js';
import { benchNormalize } from './normalize.js';
import { benchSafety } from './safety.js';
import { benchReport } from './report.js';
import { benchSqlite } from './sqlite.js';
import { benchSync } from './sync.js';

/**
 * `npm run bench [-- NAME …]`: runs the benchmarks (all, or those named), prints each result,
 * writes them all to bench/out/results.json, and exits 1 when a target is missed.
 */
const benchmarks: Record<string, () => Promise<BenchResult>> = {
  jsonl: () => benchJsonl(),
  normalize: () => benchNormalize(),
  matching: () => benchMatching(),
  sqlite: () => benchSqlite(),
  airtable: () => benchAirtable(),
  report: () => benchReport(),
  safety: () => benchSafety(),
  sync: () => benchSync(),
  emulator: async () => {
    const r = await benchEmulator();
    return {
      name: r.name,
      figures: r.metrics,
      targets: Object.entries(r.targets).map(([what, { min }]) => ({ what, value: r.metrics[what], target: `>= ${min}`, ok: r.metrics[what] >= min })),
    };
  },
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in benchmarks));
if (unknown.length) {
  process.stderr.write(`Unknown benchmark(s): ${unknown.join(', ')}. Known: ${Object.keys(benchmarks).join(', ')}.\n`);
  process.exit(2);
}
const results: BenchResult[] = [];
for (const [name, bench] of Object.entries(benchmarks)) {
  if (wanted.length && !wanted.includes(name)) continue;
  process.stderr.write(`Running ${name}…\n`);
  const result = await bench();
  results.push(result);
  process.stdout.write(`\n## ${result.name}\n`);
  for (const [key, value] of Object.entries(result.figures)) process.stdout.write(`  ${key}: ${value}\n`);
  for (const t of result.targets) process.stdout.write(`  ${t.ok ? 'ok  ' : 'MISS'} ${t.what}: ${t.value} (target ${t.target})\n`);
}
const outDir = path.join(ROOT, 'bench', 'out');
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'results.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2) + '\n');
const missed = results.flatMap((r) => r.targets.filter((t) => !t.ok).map((t) => `${r.name}: ${t.what}`));
process.stdout.write(missed.length ? `\n${missed.length} target(s) missed:\n  ${missed.join('\n  ')}\n` : '\nAll targets met.\n');
process.exitCode = missed.length ? 1 : 0;
