import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { generateLeads } from './generate-leads.js';
import { atLeast, atMost, isMain, measure, median, round, ROOT, runAlone, type BenchResult, type Measured } from './harness.js';

/**
 * normalize over generated messy leads (the shared generator), through `run-stage normalize`
 * (read-jsonl → normalize → write-jsonl), against baselines measured in the same run, interleaved,
 * median of `repeat` runs: the spine's passthrough (`run-stage write-jsonl`) and the bare readline
 * loop (JSON.parse → JSON.stringify). Also a second run over the cleaned output (what a repeated
 * maintenance run reads), and peak RSS per child at 100k and at 1M records. `run-stage normalize`
 * uses every core on these inputs (lib/parallel); the same run on one thread is measured too.
 * The passthrough has no stage to spread, so it runs on one thread: the ratio is what a user sees
 * from the two commands on this machine.
 */
export async function benchNormalize(options: { sizes?: number[]; repeat?: number } = {}): Promise<BenchResult> {
  const sizes = options.sizes ?? (process.env.BENCH_NORMALIZE_SIZES ?? '100000,1000000').split(',').map(Number);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-normalize-'));
  const node = process.execPath;
  const runStage = path.join(ROOT, 'dist', 'bin', 'run-stage.js');
  const rejects = ['--rejects', path.join(dir, 'rejects.jsonl')];
  const figures: BenchResult['figures'] = { worker_threads: os.availableParallelism() };
  const oneThread = path.join(dir, 'one-thread.yaml');
  fs.writeFileSync(oneThread, 'maintenance_config:\n  performance:\n    enable_parallel_processing: false\n');
  const rss: number[] = [];
  let ratio = NaN;
  try {
    for (const size of sizes) {
      // Three runs where that is cheap; one at a million keeps the whole bench to minutes.
      const repeat = options.repeat ?? Number(process.env.BENCH_REPEAT ?? (size > 200_000 ? 1 : 3));
      const input = path.join(dir, `leads-${size}.jsonl`);
      const out = path.join(dir, 'out.jsonl');
      const normalized = path.join(dir, 'normalized.jsonl');
      const clean = path.join(dir, 'clean.jsonl');
      await writeLeads(input, size);
      fs.copyFileSync(input, normalized);
      const variants: Record<string, () => Promise<Measured>> = {
        bare_loop: () => measure(node, [path.join(ROOT, 'dist', 'bench', 'bare-loop.js'), input, out]),
        passthrough: () => measure(node, [runStage, 'write-jsonl', ...rejects], { stdin: input, stdout: out }),
        normalize: () => measure(node, [runStage, 'normalize', ...rejects], { stdin: input, stdout: normalized }),
        // The same with parallel processing off: what one core does.
        normalize_one_thread: () => measure(node, [runStage, 'normalize', '--config', oneThread, ...rejects], { stdin: input, stdout: out }),
      };
      const times: Record<string, number[]> = {};
      const peaks: Record<string, number[]> = {};
      const run = async (set: Record<string, () => Promise<Measured>>) => {
        for (let i = 0; i < repeat; i++) {
          for (const [name, variant] of Object.entries(set)) {
            const m = await variant();
            (times[name] ??= []).push(m.ms);
            (peaks[name] ??= []).push(m.rssMb);
          }
        }
      };
      await run(variants);
      // A second maintenance run reads clean data: little to change, output as large as its input.
      await stripMeta(normalized, clean);
      await run({
        passthrough_clean: () => measure(node, [runStage, 'write-jsonl', ...rejects], { stdin: clean, stdout: out }),
        normalize_clean: () => measure(node, [runStage, 'normalize', ...rejects], { stdin: clean, stdout: out }),
      });
      const ms = (name: string) => median(times[name]);
      for (const name of Object.keys(times)) figures[`${name}_records_per_s_${size}`] = Math.round(size / (ms(name) / 1000));
      for (const name of ['passthrough', 'normalize']) figures[`${name}_peak_rss_mb_${size}`] = round(median(peaks[name]), 1);
      figures[`normalize_output_bytes_per_input_byte_${size}`] = round(fs.statSync(normalized).size / fs.statSync(input).size, 2);
      ratio = ms('passthrough') / ms('normalize');
      figures[`normalize_vs_passthrough_${size}`] = round(ratio);
      figures[`normalize_vs_bare_loop_${size}`] = round(ms('bare_loop') / ms('normalize'));
      figures[`normalize_one_thread_vs_passthrough_${size}`] = round(ms('passthrough') / ms('normalize_one_thread'));
      figures[`normalize_clean_vs_passthrough_clean_${size}`] = round(ms('passthrough_clean') / ms('normalize_clean'));
      rss.push(median(peaks.normalize));
      for (const file of [input, out, normalized, clean]) fs.rmSync(file, { force: true });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const [small, large] = [sizes[0], sizes[sizes.length - 1]];
  const targets = [atLeast(`normalize / run-stage passthrough at ${large} (records/s)`, ratio, 0.5)];
  if (rss.length > 1 && rss.every(Number.isFinite)) {
    targets.push(atMost(`normalize peak RSS at ${large} / at ${small}`, rss[rss.length - 1] / rss[0], 1.25));
  }
  return { name: 'normalize', figures, targets };
}

async function writeLeads(file: string, count: number): Promise<void> {
  const out = fs.createWriteStream(file);
  let block = '';
  for (const { record } of generateLeads(count, { seed: 42 })) {
    block += JSON.stringify(record) + '\n';
    if (block.length > 1 << 20) {
      if (!out.write(block)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      block = '';
    }
  }
  await new Promise<void>((resolve) => out.end(block, () => resolve()));
}

/** Copies a JSONL file without `_meta`: the export a second maintenance run would read. */
async function stripMeta(input: string, output: string): Promise<void> {
  const out = fs.createWriteStream(output);
  for await (const line of readline.createInterface({ input: fs.createReadStream(input), crlfDelay: Infinity })) {
    if (!line) continue;
    const record = JSON.parse(line);
    delete record._meta;
    if (!out.write(JSON.stringify(record) + '\n')) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
}

if (isMain(import.meta.url)) runAlone(() => benchNormalize());
