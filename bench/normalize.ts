import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { atLeast, atMost, isMain, measure, median, round, ROOT, runAlone, type BenchResult } from './harness.js';

/**
 * normalize over generated messy leads, through `run-stage normalize` (read-jsonl → normalize →
 * write-jsonl), against two baselines run in the same process on the same file: the spine's
 * passthrough (`run-stage write-jsonl`: read-jsonl → write-jsonl) and the bare readline loop
 * (JSON.parse → JSON.stringify). Peak RSS is measured per child at 100k and 1M records.
 * Sizes: BENCH_NORMALIZE_SIZES=100000,1000000 (default); BENCH_RUNS=3 runs per figure.
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

const FIRST = ['Émilie', 'Ã‰milie', 'François', 'FranÃ§ois', 'Jean', 'Marc', 'Zoë', 'Sophie', 'Renée', 'Jürgen', ' Luc ', 'Marie\u200B'];
const LAST = ['Côté', 'CÃ´tÃ©', 'Tremblay', 'Roy', 'Gagnon', 'Lavoie', 'Müller', 'Bouchard', 'Smith'];
const COMPANY = ['Acme Inc', 'ACME, Inc.', 'Acme Incorporated', 'acme corp.', 'CGI', 'SFM Corp.', 'Axxess International Inc', 'Limited', 'Ã‰nergir', 'BOMBARDIER INC.', 'Flinks www.zoominfo.com', 'Unknown Company', 'Desjardins Ltd.', ''];
const DOMAIN = ['acme.com', 'WWW.Acme.com', 'energir.com', 'example.com', 'cgi.com', 'bdc.ca', 'a0b00267.com'];
const LI_HOST = ['https://ca.linkedin.com', 'https://linkedin.com', 'https://www.linkedin.com', 'http://fr.linkedin.com', 'linkedin.com'];
const LI_TAIL = ['', '/', '/fr', '?trk=public_profile', '/#about'];
const WEB = ['www.acme.com/', 'http://energir.com/?utm_source=x#team', 'https://www.bdc.ca', 'cgi.com', 'facebook.com/acme', ''];
const PHONE = ['514-555-0101', '(514) 555-0199', '+1 438 555 0142', '5145550177', '555-1234', ''];
const STATUS = ['auto_send', 'Auto-Send', 'AUTO SEND', 'Needs Review', 'manual_review', 'Sent', 'contacted', ''];
const DATES = ['2025-08-14 09:30:00', '2025-08-14T09:30:00.000Z', '08/14/2025 3:05 PM', '2025-08-14T09:30:00-04:00', 'never'];

/** Writes `count` messy leads as JSONL (deterministic), shaped like the original system's rows. */
export function generateLeads(file: string, count: number, seed = 1): void {
  const rnd = prng(seed);
  const pick = <T>(list: T[]) => list[Math.floor(rnd() * list.length)];
  const fd = fs.openSync(file, 'w');
  let chunk = '';
  for (let i = 0; i < count; i++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const slug = `${first.trim().toLowerCase()}-${last.toLowerCase()}-${i}`;
    const lead = {
      id: `lead-${i}`,
      name: `${first} ${last}`,
      email: `${rnd() < 0.3 ? ' ' : ''}${slug.replace(/[^a-z0-9-]/g, '')}@${rnd() < 0.2 ? 'www.' : ''}${pick(DOMAIN)}`,
      company: pick(COMPANY),
      title: pick(['CEO', 'VP Ventes', 'Directrice gÃ©nÃ©rale', '  Analyst  ', '']),
      linkedin_url: `${pick(LI_HOST)}/in/${rnd() < 0.3 ? slug.toUpperCase() : slug}${pick(LI_TAIL)}`,
      company_website: pick(WEB),
      phone: pick(PHONE),
      status: pick(['scraped', 'enriched', 'ready']),
      engagement_status: pick(STATUS),
      created_at: pick(DATES),
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

export async function normalizeBench(): Promise<BenchResult> {
  const sizes = (process.env.BENCH_NORMALIZE_SIZES ?? '100000,1000000').split(',').map(Number);
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-normalize-'));
  const figures: BenchResult['figures'] = {};
  const rss: number[] = [];
  let ratioSpine = NaN;
  let ratioBare = NaN;
  try {
    for (const size of sizes) {
      const input = path.join(dir, `leads-${size}.jsonl`);
      const output = path.join(dir, 'out.jsonl');
      generateLeads(input, size);
      const bare = await timed(runs, [bareLoop, input, output], input, output);
      const spine = await timed(runs, [runStage, 'write-jsonl', '--rejects', path.join(dir, 'rejects.jsonl')], input, output);
      const norm = await timed(runs, [runStage, 'normalize', '--rejects', path.join(dir, 'rejects.jsonl')], input, output);
      const rate = (ms: number) => Math.round(size / (ms / 1000));
      figures[`bare_loop_records_per_s_${size}`] = rate(bare.ms);
      figures[`passthrough_records_per_s_${size}`] = rate(spine.ms);
      figures[`normalize_records_per_s_${size}`] = rate(norm.ms);
      figures[`passthrough_peak_rss_mb_${size}`] = round(spine.rssMb, 1);
      figures[`normalize_peak_rss_mb_${size}`] = round(norm.rssMb, 1);
      ratioSpine = spine.ms / norm.ms;
      ratioBare = bare.ms / norm.ms;
      figures[`normalize_vs_passthrough_${size}`] = round(ratioSpine);
      figures[`normalize_vs_bare_loop_${size}`] = round(ratioBare);
      rss.push(norm.rssMb);
      fs.rmSync(input);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const largest = sizes[sizes.length - 1];
  const targets = [atLeast(`normalize speed / spine passthrough at ${largest}`, ratioSpine, 0.5)];
  if (rss.length > 1 && rss.every(Number.isFinite)) {
    targets.push(atMost(`normalize peak RSS at ${largest} / at ${sizes[0]}`, rss[rss.length - 1] / rss[0], 1.25));
  }
  return { name: 'normalize', figures, targets };
}

if (isMain(import.meta.url)) runAlone(normalizeBench);
