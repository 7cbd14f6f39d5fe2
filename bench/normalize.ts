import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { atLeast, atMost, isMain, measure, median, round, ROOT, runAlone, type BenchResult } from './harness.js';

/**
 * normalize over generated messy leads, through `run-stage normalize` (read-jsonl → normalize →
 * write-jsonl), against two baselines run in the same process on the same file: the spine's
 * passthrough (`run-stage write-jsonl`: read-jsonl → write-jsonl) and the bare readline loop
 * (JSON.parse → JSON.stringify). Peak RSS is measured per child at 100k and 1M records.
 * Sizes: BENCH_NORMALIZE_SIZES=100000,1000000 (default); BENCH_RUNS overrides the runs per figure.
 */

/** mulberry32: a tiny seeded PRNG so the generated file is the same bytes on every machine. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Émilie', 'Ã‰milie', 'François', 'FranÃ§ois', 'Jean', 'Marc', 'Zoë', 'Sophie', 'Renée', 'Jürgen', ' Luc ', 'Marie\u200B', 'Amélie', 'Nathalie', 'Pierre', 'Olivier'];
const LAST = ['Côté', 'CÃ´tÃ©', 'Tremblay', 'Roy', 'Gagnon', 'Lavoie', 'Müller', 'Bouchard', 'Smith', 'Gauthier', 'Morin', 'Bélanger'];
const WORD = ['Acme', 'Nord', 'Boréal', 'Techno', 'Laurentide', 'Maple', 'Groupe', 'Solutions', 'Vision', 'Énergie', 'Atlas', 'Pixel', 'Cascade', 'Summit', 'Fjord', 'Quantum', 'Horizon', 'Nova', 'Saint-Laurent', 'Delta'];
const SUFFIX = ['', '', ' Inc', ' Inc.', ', Inc.', ' Incorporated', ' Corp.', ' Ltd', ' Limited', ' LLC'];
const STATUS = ['auto_send', 'Auto-Send', 'AUTO SEND', 'Needs Review', 'manual_review', 'Sent', 'contacted', ''];
const LI_HOST = ['https://ca.linkedin.com', 'https://linkedin.com', 'https://www.linkedin.com', 'http://fr.linkedin.com', 'linkedin.com'];
const LI_TAIL = ['', '/', '/', '', '/fr', '?trk=public_profile', '/#about'];
const PLACEHOLDER = ['example.com', 'test.com', 'a0b00267.com'];

/**
 * Writes `count` messy leads as JSONL (deterministic), shaped like the original system's rows and
 * with its problems (§5 of the research): per-person values (email, LinkedIn, phone, timestamps)
 * are unique; companies come from a pool of 8,000 (many leads per company), in every case and
 * suffix variant; about a third of the leads have a phone number.
 */
export function generateLeads(file: string, count: number, seed = 1): void {
  const rnd = prng(seed);
  const pick = <T>(list: T[]) => list[Math.floor(rnd() * list.length)];
  const fd = fs.openSync(file, 'w');
  let chunk = '';
  for (let i = 0; i < count; i++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const slug = `${first.trim().toLowerCase()}-${last.toLowerCase()}-${i.toString(36)}`;
    const c = Math.floor(rnd() * 8000);
    const base = `${WORD[c % 20]} ${WORD[Math.floor(c / 20) % 20]}${c >= 400 ? ` ${c}` : ''}`;
    const shape = rnd();
    const company = (shape < 0.15 ? base.toUpperCase() : shape < 0.25 ? base.toLowerCase() : base) + SUFFIX[c % SUFFIX.length];
    const domain = `${base.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '')}.${c % 3 ? 'com' : 'ca'}`;
    const phone = rnd() < 0.33 ? `${pick(['514', '438', '450', '418', '819'])}-${200 + Math.floor(rnd() * 800)}-${String(Math.floor(rnd() * 10000)).padStart(4, '0')}` : '';
    const lead = {
      id: `lead-${i}`,
      name: `${first} ${last}`,
      email: rnd() < 0.1 ? '' : `${rnd() < 0.2 ? ' ' : ''}${rnd() < 0.2 ? slug.toUpperCase() : slug}@${rnd() < 0.1 ? 'www.' : ''}${rnd() < 0.03 ? pick(PLACEHOLDER) : domain}`.replace(/[^\x20-\x7e]/g, 'e'),
      company: rnd() < 0.05 ? `${first} ${last} & Associates` : company,
      title: pick(['CEO', 'VP Ventes', 'Directrice gÃ©nÃ©rale', '  Analyst  ', 'Président', '']),
      linkedin_url: `${pick(LI_HOST)}/in/${rnd() < 0.2 ? slug.toUpperCase() : slug}${pick(LI_TAIL)}`,
      company_website: pick([`www.${domain}/`, `https://${domain}`, `http://${domain}/?utm_source=serpapi#team`, `${domain}`, '']),
      phone,
      status: pick(['scraped', 'enriched', 'ready']),
      engagement_status: pick(STATUS),
      created_at: new Date(Date.UTC(2025, 0, 1) + Math.floor(rnd() * 3e10)).toISOString().replace('T', ' ').slice(0, 19),
      lead_score: Math.floor(rnd() * 100),
    };
    chunk += JSON.stringify(lead) + '\n';
    if (chunk.length > 1 << 20) {
      fs.writeSync(fd, chunk);
      chunk = '';
    }
  }
  fs.writeSync(fd, chunk);
  fs.closeSync(fd);
}

const node = process.execPath;
const runStage = path.join(ROOT, 'dist', 'bin', 'run-stage.js');
const bareLoop = path.join(ROOT, 'dist', 'bench', 'bare-loop.js');

async function timed(runs: number, args: string[], input: string, output: string): Promise<{ ms: number; rssMb: number }> {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await measure(node, args, { stdin: input, stdout: output }));
  return { ms: median(results.map((r) => r.ms)), rssMb: Math.max(...results.map((r) => r.rssMb)) };
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

export async function normalizeBench(): Promise<BenchResult> {
  const sizes = (process.env.BENCH_NORMALIZE_SIZES ?? '100000,1000000').split(',').map(Number);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-normalize-'));
  const figures: BenchResult['figures'] = {};
  const rss: number[] = [];
  let ratio = NaN;
  try {
    for (const size of sizes) {
      // Medians of 3 runs where that is cheap; one run at a million keeps the bench to minutes.
      const runs = Number(process.env.BENCH_RUNS ?? (size > 200_000 ? 1 : 3));
      const input = path.join(dir, `leads-${size}.jsonl`);
      const output = path.join(dir, 'out.jsonl');
      const normalized = path.join(dir, 'normalized.jsonl');
      const clean = path.join(dir, 'clean.jsonl');
      const rejects = ['--rejects', path.join(dir, 'rejects.jsonl')];
      generateLeads(input, size);
      const bare = await timed(runs, [bareLoop, input, output], input, output);
      const spine = await timed(runs, [runStage, 'write-jsonl', ...rejects], input, output);
      const norm = await timed(runs, [runStage, 'normalize', ...rejects], input, normalized);
      // A second run reads clean data: nothing to change, output as large as the input.
      await stripMeta(normalized, clean);
      const spineClean = await timed(runs, [runStage, 'write-jsonl', ...rejects], clean, output);
      const normClean = await timed(runs, [runStage, 'normalize', ...rejects], clean, output);
      const rate = (ms: number) => Math.round(size / (ms / 1000));
      figures[`bare_loop_records_per_s_${size}`] = rate(bare.ms);
      figures[`passthrough_records_per_s_${size}`] = rate(spine.ms);
      figures[`normalize_records_per_s_${size}`] = rate(norm.ms);
      figures[`normalize_clean_records_per_s_${size}`] = rate(normClean.ms);
      figures[`output_bytes_per_input_byte_${size}`] = round(fs.statSync(normalized).size / fs.statSync(input).size, 2);
      figures[`passthrough_peak_rss_mb_${size}`] = round(spine.rssMb, 1);
      figures[`normalize_peak_rss_mb_${size}`] = round(norm.rssMb, 1);
      ratio = spine.ms / norm.ms;
      figures[`normalize_vs_passthrough_${size}`] = round(ratio);
      figures[`normalize_vs_bare_loop_${size}`] = round(bare.ms / norm.ms);
      figures[`normalize_clean_vs_passthrough_${size}`] = round(spineClean.ms / normClean.ms);
      rss.push(norm.rssMb);
      for (const file of [input, output, normalized, clean]) fs.rmSync(file, { force: true });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const largest = sizes[sizes.length - 1];
  const targets = [atLeast(`normalize speed / spine passthrough at ${largest} (messy leads)`, ratio, 0.5)];
  if (rss.length > 1 && rss.every(Number.isFinite)) {
    targets.push(atMost(`normalize peak RSS at ${largest} / at ${sizes[0]}`, rss[rss.length - 1] / rss[0], 1.25));
  }
  return { name: 'normalize', figures, targets };
}

if (isMain(import.meta.url)) runAlone(normalizeBench);
