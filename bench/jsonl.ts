import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateLeads } from './generate-leads.js';
import { atLeast, atMost, hasCommand, isMain, measure, median, round, ROOT, runAlone, type BenchResult, type Measured } from './harness.js';

/**
 * The spine's throughput: `read-jsonl → write-jsonl` file to file (run-pipeline) and a
 * `run-stage` passthrough over stdin/stdout, against a bare readline loop and `jq -c .` measured
 * in the same run, interleaved, median of `repeat` runs; peak RSS at 100k and at 1M records. The
 * same leads as a CSV export and as one JSON array, read by `read-csv → write-jsonl` and
 * `read-json → write-jsonl`, are measured against the JSONL passthrough.
 */
export async function benchJsonl(options: { sizes?: number[]; repeat?: number } = {}): Promise<BenchResult> {
  const sizes = options.sizes ?? [100_000, 1_000_000];
  const repeat = options.repeat ?? Number(process.env.BENCH_REPEAT ?? 5);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-jsonl-'));
  const node = process.execPath;
  const bin = (name: string): string => path.join(ROOT, 'dist', 'bin', `${name}.js`);
  const figures: BenchResult['figures'] = {};
  const rss: Record<string, Record<number, number>> = {};
  const rate: Record<string, number> = {};
  try {
    for (const size of sizes) {
      const input = path.join(dir, `leads-${size}.jsonl`);
      const exports = { csv: path.join(dir, `leads-${size}.csv`), json: path.join(dir, `leads-${size}.json`) };
      await writeLeads(input, size, exports);
      const out = path.join(dir, 'out.jsonl');
      const pipelineFile = (reader: string, file: string): string => {
        const yaml = path.join(dir, `${reader}.yaml`);
        fs.writeFileSync(
          yaml,
          `steps:\n  - ${reader}: { path: ${JSON.stringify(file)} }\n  - write-jsonl: { path: ${JSON.stringify(out)}, strip_meta: true }\n`,
        );
        return yaml;
      };
      const variants: Record<string, () => Promise<Measured>> = {
        bare_loop: () => measure(node, [path.join(ROOT, 'dist', 'bench', 'bare-loop.js'), input, out]),
        pipeline: () => measure(node, [bin('run-pipeline'), pipelineFile('read-jsonl', input), '--log-level', 'warn']),
        run_stage: () => measure(node, [bin('run-stage'), 'write-jsonl'], { stdin: input, stdout: out }),
        read_csv: () => measure(node, [bin('run-pipeline'), pipelineFile('read-csv', exports.csv), '--log-level', 'warn']),
        read_json: () => measure(node, [bin('run-pipeline'), pipelineFile('read-json', exports.json), '--log-level', 'warn']),
      };
      if (hasCommand('jq')) variants.jq = () => measure('jq', ['-c', '.'], { stdin: input, stdout: out });
      const times: Record<string, number[]> = {};
      const peaks: Record<string, number[]> = {};
      for (let run = 0; run < repeat; run++) {
        for (const [name, variant] of Object.entries(variants)) {
          const m = await variant();
          (times[name] ??= []).push(m.ms);
          (peaks[name] ??= []).push(m.rssMb);
        }
      }
      for (const name of Object.keys(variants)) {
        const perSecond = size / (median(times[name]) / 1000);
        figures[`${name}_records_per_s_${size}`] = Math.round(perSecond);
        figures[`${name}_peak_rss_mb_${size}`] = round(median(peaks[name]), 1);
        (rss[name] ??= {})[size] = median(peaks[name]);
        if (size === sizes[sizes.length - 1]) rate[name] = perSecond;
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const [small, large] = [sizes[0], sizes[sizes.length - 1]];
  const targets = [
    atLeast('pipeline / bare loop (records/s)', rate.pipeline / rate.bare_loop, 0.9),
    atLeast('run-stage passthrough / bare loop (records/s)', rate.run_stage / rate.bare_loop, 0.9),
  ];
  targets.push(atLeast('read-csv → write-jsonl / JSONL passthrough (records/s)', rate.read_csv / rate.pipeline, 0.5));
  targets.push(atLeast('read-json → write-jsonl / JSONL passthrough (records/s)', rate.read_json / rate.pipeline, 0.5));
  if (rate.jq) targets.push(atLeast('pipeline / jq -c . (records/s)', rate.pipeline / rate.jq, 1.5));
  if (!Number.isNaN(rss.pipeline[large])) {
    targets.push(atMost(`pipeline peak RSS ${large} / ${small}`, rss.pipeline[large] / rss.pipeline[small], 1.1));
    targets.push(atMost(`run-stage peak RSS ${large} / ${small}`, rss.run_stage[large] / rss.run_stage[small], 1.1));
    targets.push(atMost(`read-csv peak RSS ${large} / ${small}`, rss.read_csv[large] / rss.read_csv[small], 1.2));
    targets.push(atMost(`read-json peak RSS ${large} / ${small}`, rss.read_json[large] / rss.read_json[small], 1.2));
  }
  figures.repeat = repeat;
  return { name: 'jsonl passthrough', figures, targets };
}

/** Writes `count` generated leads as JSONL, and as a CSV export and one JSON array, in blocks (constant memory). */
async function writeLeads(file: string, count: number, exports: { csv: string; json: string }): Promise<void> {
  const outs = [fs.createWriteStream(file), fs.createWriteStream(exports.csv), fs.createWriteStream(exports.json)];
  const blocks = ['', '', '['];
  let columns: string[] | undefined;
  let first = true;
  for (const { record } of generateLeads(count, { seed: 42 })) {
    const json = JSON.stringify(record);
    columns ??= Object.keys(record);
    if (blocks[1] === '' && first) blocks[1] = columns.map(csvCell).join(',') + '\n';
    blocks[0] += json + '\n';
    blocks[1] += columns.map((c) => csvCell((record as Record<string, unknown>)[c])).join(',') + '\n';
    blocks[2] += (first ? '\n' : ',\n') + json;
    first = false;
    if (blocks[0].length > 1 << 20) {
      await Promise.all(outs.map((out, i) => (out.write(blocks[i]) ? undefined : new Promise<void>((resolve) => out.once('drain', () => resolve())))));
      blocks.fill('');
    }
  }
  blocks[2] += '\n]\n';
  await Promise.all(outs.map((out, i) => new Promise<void>((resolve) => out.end(blocks[i], () => resolve()))));
}

/** A value as a CSV cell: empty for null, quoted when it holds a delimiter, quote or newline. */
function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

if (isMain(import.meta.url)) runAlone(() => benchJsonl());
