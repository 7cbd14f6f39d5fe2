import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateBigEmployer } from './big-employer.js';
import { generateLeads, PROFILES, type GeneratedLead, type Profile } from './generate-leads.js';
import { atLeast, atMost, isMain, measure, median, round, ROOT, runAlone, type BenchResult, type Measured, type Target } from './harness.js';

/**
 * Speed and memory at scale on both generator profiles, side by side in one script: for each
 * profile and size, the JSONL passthrough (read-jsonl → write-jsonl), `normalize` and
 * `fingerprint` + `dedupe`, each through `run-pipeline` over the same generated file, interleaved,
 * median of `repeat` runs (BENCH_REPEAT, default 3); records/s ratios against the passthrough and
 * peak RSS at each size. Then one big employer at two sizes, to show that a block's cost grows
 * with its size, not with its square.
 *
 * BENCH_PROFILE picks the profiles (`plain`, `messy`, or both, the default: `plain,messy`),
 * BENCH_SCALE_SIZES the sizes (default `100000,1000000`), and BENCH_DIST the dist whose tools
 * are measured (default this checkout's), so one build's figures can be set beside another's.
 * BENCH_SCALE_STEPS picks what is set beside the passthrough (`normalize`, `matching`, or both,
 * the default); the big employer runs with `matching`.
 */
export async function benchScale(options: { profiles?: Profile[]; sizes?: number[]; repeat?: number; employerSizes?: number[] } = {}): Promise<BenchResult> {
  const profiles = options.profiles ?? profilesFromEnv();
  const sizes = options.sizes ?? (process.env.BENCH_SCALE_SIZES ?? '100000,1000000').split(',').map(Number);
  const repeat = options.repeat ?? Number(process.env.BENCH_REPEAT ?? 3);
  const dist = path.resolve(process.env.BENCH_DIST ?? path.join(ROOT, 'dist'));
  const runPipeline = path.join(dist, 'bin', 'run-pipeline.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-scale-'));
  const measured = stepsFromEnv();
  const pipelines: Record<string, string> = { passthrough: pipelineFile(dir, 'passthrough', []) };
  if (measured.includes('normalize')) pipelines.normalize = pipelineFile(dir, 'normalize', ['normalize']);
  if (measured.includes('matching')) pipelines.matching = pipelineFile(dir, 'matching', ['fingerprint', 'dedupe']);
  const figures: BenchResult['figures'] = { repeat };
  const targets: Target[] = [];
  try {
    for (const profile of profiles) {
      const rss: Record<string, number[]> = { normalize: [], matching: [] };
      const ratios: Record<string, number> = {};
      for (const size of sizes) {
        const input = path.join(dir, `${profile}-${size}.jsonl`);
        const out = path.join(dir, 'out.jsonl');
        await writeLeads(input, generateLeads(size, { seed: 42, profile }));
        const times: Record<string, number[]> = {};
        const peaks: Record<string, number[]> = {};
        for (let i = 0; i < repeat; i++) {
          for (const [name, file] of Object.entries(pipelines)) {
            const m: Measured = await measure(process.execPath, [runPipeline, file], { stdin: input, stdout: out });
            (times[name] ??= []).push(m.ms);
            (peaks[name] ??= []).push(m.rssMb);
          }
        }
        const ms = (name: string) => median(times[name]!);
        for (const name of Object.keys(pipelines)) {
          figures[`${profile}_${name}_records_per_s_${size}`] = Math.round(size / (ms(name) / 1000));
          figures[`${profile}_${name}_peak_rss_mb_${size}`] = round(median(peaks[name]!), 1);
        }
        for (const name of measured) {
          ratios[name] = ms('passthrough') / ms(name);
          figures[`${profile}_${name}_vs_passthrough_${size}`] = round(ratios[name]);
          rss[name]!.push(median(peaks[name]!));
        }
        for (const file of [input, out]) fs.rmSync(file, { force: true });
      }
      const [small, large] = [sizes[0], sizes[sizes.length - 1]];
      if (measured.includes('normalize')) targets.push(atLeast(`${profile}: normalize / passthrough at ${large} (records/s)`, ratios.normalize!, 0.5));
      if (measured.includes('matching'))
        targets.push(atLeast(`${profile}: fingerprint + dedupe / passthrough at ${large} (records/s)`, ratios.matching!, 0.25));
      if (sizes.length > 1) {
        for (const [name, label] of [
          ['normalize', 'normalize'],
          ['matching', 'fingerprint + dedupe'],
        ] as const) {
          if (!measured.includes(name) || !rss[name]!.every(Number.isFinite)) continue;
          const ratio = rss[name]![rss[name]!.length - 1]! / rss[name]![0]!;
          figures[`${profile}_${name}_peak_rss_${large}_vs_${small}`] = round(ratio);
          targets.push(atMost(`${profile}: ${label} peak RSS at ${large} / at ${small}`, ratio, 1.2));
        }
      }
    }
    if (pipelines.matching) targets.push(await blockScaling(dir, runPipeline, pipelines.matching, options.employerSizes ?? [2_000, 8_000], repeat, figures));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { name: 'speed and memory at scale, both profiles', figures, targets };
}

/**
 * fingerprint + dedupe over one employer at two sizes: its company and website blocks hold every
 * lead, so if a block's pairs were all compared the time per lead would grow with the size. The
 * larger run's records/s against the smaller's stays near 1 when nothing is quadratic (start-up
 * time favours the larger run a little, so the bound is set above what start-up explains).
 */
async function blockScaling(
  dir: string,
  runPipeline: string,
  matching: string,
  sizes: number[],
  repeat: number,
  figures: BenchResult['figures'],
): Promise<Target> {
  const rates: number[] = [];
  for (const size of sizes) {
    const input = path.join(dir, `employer-${size}.jsonl`);
    await writeLeads(input, generateBigEmployer(size, { seed: 13 }));
    const times: number[] = [];
    for (let i = 0; i < repeat; i++)
      times.push((await measure(process.execPath, [runPipeline, matching], { stdin: input, stdout: path.join(dir, 'out.jsonl') })).ms);
    rates.push(size / (median(times) / 1000));
    figures[`big_employer_matching_records_per_s_${size}`] = Math.round(rates[rates.length - 1]!);
    fs.rmSync(input, { force: true });
  }
  const ratio = rates[rates.length - 1]! / rates[0]!;
  figures[`big_employer_records_per_s_${sizes[sizes.length - 1]}_vs_${sizes[0]}`] = round(ratio);
  return atLeast(`one employer: records/s at ${sizes[sizes.length - 1]} leads / at ${sizes[0]} (nothing quadratic in block size)`, ratio, 0.7);
}

/** What BENCH_SCALE_STEPS names beside the passthrough (comma-separated), both when it is unset or empty. */
function stepsFromEnv(value = process.env.BENCH_SCALE_STEPS): Array<'normalize' | 'matching'> {
  const known = ['normalize', 'matching'] as const;
  if (!value) return [...known];
  const named = value.split(',').map((s) => s.trim());
  const unknown = named.filter((s) => !(known as readonly string[]).includes(s));
  if (unknown.length) throw new Error(`BENCH_SCALE_STEPS names unknown step(s) ${unknown.join(', ')}; known: ${known.join(', ')}.`);
  return known.filter((s) => named.includes(s));
}

/** The profiles named in BENCH_PROFILE (comma-separated), both when it is unset or empty. */
export function profilesFromEnv(value = process.env.BENCH_PROFILE): Profile[] {
  if (!value) return [...PROFILES];
  const named = value.split(',').map((p) => p.trim());
  const unknown = named.filter((p) => !(PROFILES as readonly string[]).includes(p));
  if (unknown.length) throw new Error(`BENCH_PROFILE names unknown profile(s) ${unknown.join(', ')}; known: ${PROFILES.join(', ')}.`);
  return named as Profile[];
}

function pipelineFile(dir: string, name: string, steps: string[]): string {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(
    file,
    `description: ${name}\nrejects: rejects.jsonl\nsteps:\n  - read-jsonl: { path: "-" }\n${steps.map((s) => `  - ${s}: {}\n`).join('')}  - write-jsonl: { path: "-" }\n`,
  );
  return file;
}

/** Writes generated leads as JSONL in blocks (constant memory). */
async function writeLeads(file: string, leads: Iterable<GeneratedLead>): Promise<void> {
  const out = fs.createWriteStream(file);
  let block = '';
  for (const { record } of leads) {
    block += JSON.stringify(record) + '\n';
    if (block.length > 1 << 20) {
      if (!out.write(block)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      block = '';
    }
  }
  await new Promise<void>((resolve) => out.end(block, () => resolve()));
}

if (isMain(import.meta.url)) runAlone(() => benchScale());
