import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type GeneratedLead, generateLeads } from './generate-leads.js';
import { atLeast, atMost, isMain, measure, median, round, ROOT, runAlone, type BenchResult, type Measured } from './harness.js';

/**
 * report over what a full run sends it: one event per generated lead (updates of two or three
 * fields with their rules, deletes of the duplicates, creates, conflicts, duplicate groups),
 * through `run-stage report` (read-jsonl → report → write-jsonl), against the spine's passthrough
 * (`run-stage write-jsonl`) over the same input, interleaved, median of `repeat` runs. The report
 * writes its audit log in all three formats; peak RSS at the largest size over the smallest shows
 * whether memory stays flat (tallies by category, tables bounded by max_rows).
 */
export async function benchReport(options: { sizes?: number[]; repeat?: number } = {}): Promise<BenchResult> {
  const sizes = options.sizes ?? (process.env.BENCH_REPORT_SIZES ?? '100000,1000000').split(',').map(Number);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
  const node = process.execPath;
  const runStage = path.join(ROOT, 'dist', 'bin', 'run-stage.js');
  const rejects = ['--rejects', path.join(dir, 'rejects.jsonl')];
  const figures: BenchResult['figures'] = {};
  const rss: number[] = [];
  let ratio = NaN;
  try {
    for (const size of sizes) {
      const repeat = options.repeat ?? Number(process.env.BENCH_REPEAT ?? (size > 200_000 ? 1 : 3));
      const input = path.join(dir, `events-${size}.jsonl`);
      const out = path.join(dir, 'out.jsonl');
      const reports = path.join(dir, 'reports');
      await writeEvents(input, size);
      const variants: Record<string, () => Promise<Measured>> = {
        passthrough: () => measure(node, [runStage, 'write-jsonl', ...rejects], { stdin: input, stdout: out }),
        report: () => measure(node, [runStage, 'report', '--directory', reports, ...rejects], { stdin: input, stdout: out }),
      };
      const times: Record<string, number[]> = {};
      const peaks: Record<string, number[]> = {};
      for (let i = 0; i < repeat; i++) {
        for (const [name, variant] of Object.entries(variants)) {
          const m = await variant();
          (times[name] ??= []).push(m.ms);
          (peaks[name] ??= []).push(m.rssMb);
        }
      }
      const ms = (name: string) => median(times[name]);
      for (const name of Object.keys(times)) figures[`${name}_events_per_s_${size}`] = Math.round(size / (ms(name) / 1000));
      for (const name of Object.keys(peaks)) figures[`${name}_peak_rss_mb_${size}`] = round(median(peaks[name]), 1);
      const latest = path.join(reports, 'latest');
      figures[`audit_entries_${size}`] = JSON.parse(fs.readFileSync(path.join(latest, 'report.json'), 'utf8')).audit_entries;
      figures[`report_html_kb_${size}`] = round(fs.statSync(path.join(latest, 'report.html')).size / 1024, 1);
      ratio = ms('passthrough') / ms('report');
      figures[`report_vs_passthrough_${size}`] = round(ratio);
      rss.push(median(peaks.report));
      fs.rmSync(reports, { recursive: true, force: true });
      for (const file of [input, out]) fs.rmSync(file, { force: true });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const [small, large] = [sizes[0], sizes[sizes.length - 1]];
  // The report writes about 2.3 audit entries per event in three formats: some seven times the
  // passthrough's output lines. Memory is judged against the passthrough's, which grows by itself.
  const targets = [atLeast(`report / run-stage passthrough at ${large} (events/s)`, ratio, 0.3)];
  const passRss = sizes.map((size) => Number(figures[`passthrough_peak_rss_mb_${size}`]));
  if (rss.length > 1 && [...rss, ...passRss].every(Number.isFinite)) {
    targets.push(atMost(`report peak RSS / passthrough peak RSS at ${large}`, rss[rss.length - 1] / passRss[passRss.length - 1], 1.3));
    targets.push(
      atMost(
        `report peak RSS growth from ${small} to ${large}, over the passthrough's`,
        rss[rss.length - 1] / rss[0] / (passRss[passRss.length - 1] / passRss[0]),
        1.25,
      ),
    );
  }
  return { name: 'report', figures, targets };
}

/** The events a full run's report sees, one per generated lead, in a fixed mix. */
export async function writeEvents(file: string, count: number): Promise<void> {
  const out = fs.createWriteStream(file);
  let block = '';
  let i = 0;
  for (const { record } of generateLeads(count, { seed: 7 })) {
    const event = eventOf(record, i);
    block += JSON.stringify(event) + '\n';
    i++;
    if (block.length > 1 << 20) {
      if (!out.write(block)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      block = '';
    }
  }
  await new Promise<void>((resolve) => out.end(block, () => resolve()));
}

/** The event the report sees for the `i`th lead: a fixed mix of deletes, duplicate groups, conflicts, creates and (most) updates. */
function eventOf(record: GeneratedLead['record'], i: number): Record<string, unknown> {
  const id = String(i);
  const email = typeof record.email === 'string' ? record.email : null;
  const company = typeof record.company === 'string' ? record.company : null;
  switch (i % 10) {
    case 0:
      return {
        kind: 'operation',
        action: 'delete',
        system: 'local',
        id,
        fields: {},
        replaces: { name: record.name ?? null, email },
        reason: 'dedupe',
        entity: `e${i >> 1}`,
        result: { status: 'applied', id },
      };
    case 1:
      return {
        kind: 'duplicate_group',
        cluster: `e${i >> 1}`,
        matching_field: i % 20 === 1 ? 'email' : 'linkedin',
        matching_value: email ?? '',
        records: [record, record],
        primary_record: record,
        duplicate_records: [record],
        resolution_strategy: 'most_recent',
        confidence_score: 1,
      };
    case 2:
      return {
        kind: 'conflict',
        entity: `e${i}`,
        field_name: 'title',
        local_value: 'CTO',
        airtable_value: 'Chief Technology Officer',
        record_id: `local:${id}|airtable:rec${id}`,
        last_modified_local: null,
        last_modified_airtable: null,
        conflict_type: 'value_mismatch',
        suggested_resolution: 'keep_airtable',
        resolution: 'applied',
      };
    case 3:
      return {
        kind: 'operation',
        action: 'create',
        system: 'airtable',
        fields: { name: record.name ?? null, email, company },
        replaces: {},
        reason: 'sync',
        entity: `e${i}`,
        result: { status: 'applied', id: `rec${id}` },
      };
    default:
      return {
        kind: 'operation',
        action: 'update',
        system: i % 2 ? 'local' : 'airtable',
        id,
        reason: 'standardize',
        entity: `e${i}`,
        fields: { email: email?.toLowerCase() ?? null, company: company?.trim() ?? null, title: 'Chief Technology Officer' },
        replaces: { email, company, title: 'CTO' },
        rules: { email: 'email.lowercase', company: 'company_name.suffix', title: 'sync.most_recent' },
        result: { status: 'applied', id },
      };
  }
}

if (isMain(import.meta.url)) runAlone(() => benchReport());
