import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { closeRun, newCounters, openRun, stageContext } from '../lib/core/context.js';
import type { Operation } from '../lib/core/operation.js';
import type { RecordTransform, StageContext } from '../lib/core/stage.js';
import { stages } from '../stages/index.js';
import { type TestPostgres, testPostgres } from '../spec/support/postgres.js';
import { atLeast, atMost, isMain, measure, median, ROOT, round, runAlone, type BenchResult } from './harness.js';
import { benchPostgresFull } from './postgres-full.js';

/**
 * PostgreSQL as the local side, against a local server (LEADS_BENCH_DATABASE_URL, else a
 * throwaway one started for the run), each side in a child process of its own:
 *
 * - read: `run-pipeline` of read-postgres → write-jsonl over the whole table, against psql's
 *   `\copy (SELECT …) to stdout` piped into a plain COPY-text → JSON Lines conversion;
 * - write: write-postgres applying updates in batches (with the run journal, as pipelines run
 *   it, and without), against a bare `pg` loop of the same UPDATE per row, BEGIN/COMMIT per batch;
 * - memory: the read's peak RSS at the full size against a tenth of it.
 *
 * Each figure is the median of `runs` runs. The figures also give the scale note's requests and
 * time: a read costs one FETCH per fetch_size rows, a write one statement per operation and two
 * per batch. Then a whole maintenance run at the read's size and a tenth of it (bench/postgres-full.ts).
 */

const here = fileURLToPath(import.meta.url);
const COLUMNS =
  'id, name, email, company, title, linkedin_url, company_website, phone, location, industry, company_size, source, status, lead_score, enriched, notes, sync_status, created_at, updated_at';

/** A leads table of `rows` rows, made on the server (names, emails, companies, phones, notes). */
async function fillTable(client: pg.Client, table: string, rows: number): Promise<void> {
  await client.query(`DROP TABLE IF EXISTS ${table}`);
  await client.query(`CREATE TABLE ${table} (
    id text PRIMARY KEY, name text, email text, company text, title text, linkedin_url text, company_website text,
    phone text, location text, industry text, company_size text, source text, status text DEFAULT 'new',
    engagement_status text, lead_score integer, enriched boolean NOT NULL DEFAULT false, notes text,
    airtable_id text, airtable_synced text, sync_status text DEFAULT 'pending',
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`);
  await client.query(
    `INSERT INTO ${table} (${COLUMNS})
     SELECT 'lead-' || lpad(i::text, 8, '0'), 'Person ' || i || ' ' || substr(md5(i::text), 1, 8),
            'p' || i || '@' || substr(md5((i % 5000)::text), 1, 10) || '.example.com',
            'Company ' || (i % 5000) || ' Inc.', 'Title ' || (i % 97), 'https://linkedin.com/in/p-' || i,
            'https://c' || (i % 5000) || '.example.com', '+1 416 555 ' || lpad((i % 10000)::text, 4, '0'),
            'Toronto, ON', 'Software', '51-200', 'import', 'new', i % 100, i % 2 = 0,
            'Met at "Expo" ' || i || E'\\tsecond line\\n' || md5(i::text), 'pending',
            timestamptz '2026-01-01' + (i || ' seconds')::interval, timestamptz '2026-02-01' + (i || ' seconds')::interval
       FROM generate_series(1, $1::int) AS i`,
    [rows],
  );
  await client.query(`VACUUM ANALYZE ${table}`);
}

/** The COPY-text → JSON Lines conversion of the baseline: stdin to stdout, one object per row with the column names. */
async function convertCopyText(): Promise<void> {
  const names = COLUMNS.split(', ');
  const copyCell = (cell: string): string | null =>
    cell === '\\N' ? null : cell.replace(/\\(.)/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r', b: '\b', f: '\f', v: '\v' })[c] ?? c);
  const out: string[] = [];
  for await (const line of readline.createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    const cells = line.split('\t');
    const row: Record<string, string | null> = {};
    for (let i = 0; i < names.length; i++) row[names[i]!] = copyCell(cells[i] ?? '\\N');
    out.push(JSON.stringify(row));
    if (out.length === 1000) {
      if (!process.stdout.write(out.join('\n') + '\n')) await new Promise((r) => process.stdout.once('drain', r));
      out.length = 0;
    }
  }
  if (out.length) process.stdout.write(out.join('\n') + '\n');
}

async function countLines(file: string): Promise<number> {
  let lines = 0;
  for await (const chunk of fs.createReadStream(file)) for (const byte of chunk as Buffer) if (byte === 10) lines++;
  return lines;
}

interface WriteMeasurement {
  rows: number;
  ms: number;
}

/** A real stage context (a pipeline run's), with or without the run journal. */
function context(closers: Array<() => unknown>, journal: boolean, scratch: string): StageContext {
  const run = openRun({ rejects: path.join(scratch, 'rejects.jsonl'), stateDir: journal ? path.join(scratch, 'state') : false });
  closers.push(() => closeRun(run));
  return stageContext(run, 'write-postgres', 0, newCounters('write-postgres'), 'tag');
}

/** One write measurement, inside a child process: `rows` updates of `table`, `batch` per transaction. */
async function measureWrite(kind: string, url: string, table: string, rows: number, batch: number): Promise<WriteMeasurement> {
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  const ids = (await setup.query<{ id: string }>(`SELECT id FROM ${table} ORDER BY id LIMIT $1`, [rows])).rows.map((r) => r.id);
  await setup.end();
  const stamp = new Date().toISOString();
  const title = (id: string, i: number) => `Title ${id.slice(-3)} ${i}`;
  let applied = 0;
  if (kind === 'write-bare') {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const t0 = performance.now();
    for (let i = 0; i < ids.length; i += batch) {
      await client.query('BEGIN');
      for (let j = i; j < Math.min(i + batch, ids.length); j++) {
        applied += (await client.query(`UPDATE ${table} SET title = $1, updated_at = $2 WHERE id = $3`, [title(ids[j]!, j), stamp, ids[j]])).rowCount ?? 0;
      }
      await client.query('COMMIT');
    }
    await client.end();
    return { rows: applied, ms: performance.now() - t0 };
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pg-write-'));
  const closers: Array<() => unknown> = [];
  process.env.LEADS_DATABASE_URL = url;
  const writer = (await stages['write-postgres']!.create(
    { table, batch_size: batch, link_field: 'airtable_id', retries: 3, connect_timeout_ms: 10000 },
    context(closers, kind === 'write-stage', scratch),
  )) as RecordTransform;
  const t0 = performance.now();
  const count = async (out: unknown): Promise<void> => {
    const items: unknown[] = [];
    if (out && typeof out === 'object' && Symbol.asyncIterator in out) for await (const item of out as AsyncIterable<unknown>) items.push(item);
    else items.push(...(Array.isArray(out) ? out : out ? [out] : []));
    for (const item of items) if ((item as Operation).result?.status === 'applied') applied++;
  };
  for (let i = 0; i < ids.length; i++) {
    const op: Operation = {
      kind: 'operation',
      action: 'update',
      system: 'local',
      id: ids[i]!,
      fields: { title: title(ids[i]!, i) },
      replaces: {},
      reason: 'standardize',
      entity: ids[i]!,
    };
    await count(await writer.transform(op));
  }
  await count(await writer.flush?.());
  for (const close of closers) await close();
  const ms = performance.now() - t0;
  fs.rmSync(scratch, { recursive: true, force: true });
  return { rows: applied, ms };
}

function writeChild(kind: string, url: string, table: string, rows: number, batch: number): WriteMeasurement {
  // The URL (with the bench server's password) goes through the environment, not the command line.
  const run = spawnSync(process.execPath, [here, '--child', kind, table, String(rows), String(batch)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    env: { ...process.env, BENCH_URL: url },
  });
  if (run.status !== 0) throw new Error(`Benchmark child ${kind} failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as WriteMeasurement;
}

function medianRun<T extends { ms: number }>(runs: number, run: () => T | Promise<T>): Promise<T> {
  return (async () => {
    const all: T[] = [];
    for (let i = 0; i < runs; i++) all.push(await run());
    const mid = median(all.map((r) => r.ms));
    return all.reduce((best, r) => (Math.abs(r.ms - mid) < Math.abs(best.ms - mid) ? r : best));
  })();
}

/** The read side: psql's \copy plus a JSONL conversion, then read-postgres → write-jsonl on the full table and on its tenth. */
async function measureReads(on: { url: string; psql: string; scratch: string; runs: number }) {
  const { url, psql, scratch, runs } = on;
  const out = path.join(scratch, 'out.jsonl');
  const pipelineFile = path.join(scratch, 'read.yaml');
  fs.writeFileSync(pipelineFile, ['steps:', '  - read-postgres', '  - write-jsonl:', `      path: ${JSON.stringify(out)}`, ''].join('\n'));
  const runPipeline = path.join(ROOT, 'dist', 'bin', 'run-pipeline.js');
  const stageRead = (table: string) =>
    measure(process.execPath, [runPipeline, pipelineFile, '--set', `read-postgres.table=${table}`, '--log-level', 'error'], {
      env: { LEADS_DATABASE_URL: url },
    });
  const copyCommand = `${JSON.stringify(psql)} "$BENCH_URL" -qc "\\copy (SELECT ${COLUMNS} FROM bench_leads) to stdout" | ${JSON.stringify(process.execPath)} ${JSON.stringify(here)} --convert > ${JSON.stringify(out)}`;
  const bareRead = () => measure('bash', ['-o', 'pipefail', '-c', copyCommand], { env: { BENCH_URL: url } });
  await bareRead(); // warm the server's cache so neither side pays for the disk
  const readBare = await medianRun(runs, bareRead);
  const readStageTenth = await medianRun(runs, () => stageRead('bench_leads_tenth'));
  const readStage = await medianRun(runs, () => stageRead('bench_leads'));
  const lines = await countLines(out);
  return { readBare, readStageTenth, readStage, lines };
}

/** Runs the benchmark. `readRows` is the table read in full (its tenth is read too, for memory); `writeRows` the updates applied. */
export async function benchPostgres(
  options: { readRows?: number; writeRows?: number; batch?: number; runs?: number; fullLeads?: number } = {},
): Promise<BenchResult> {
  const stages = await benchPostgresStages(options);
  if (stages.targets.length === 0) return stages;
  // The full maintenance run (bench/postgres-full.ts), at the read's size unless told otherwise;
  // at a small size (the suite's check that the benchmark runs) once, without its baseline.
  const small = options.readRows !== undefined && options.readRows < 10_000;
  const full = await benchPostgresFull({ leads: options.fullLeads ?? options.readRows, baseline: small ? 0 : undefined });
  return { name: stages.name, figures: { ...stages.figures, ...full.figures }, targets: [...stages.targets, ...full.targets] };
}

/** read-postgres and write-postgres against their bare baselines, and the read's memory. */
async function benchPostgresStages(options: { readRows?: number; writeRows?: number; batch?: number; runs?: number }): Promise<BenchResult> {
  const readRows = options.readRows ?? Number(process.env.BENCH_PG_READ_ROWS ?? 1_000_000);
  const writeRows = options.writeRows ?? Number(process.env.BENCH_PG_WRITE_ROWS ?? 50_000);
  const batch = options.batch ?? 50;
  const runs = options.runs ?? Number(process.env.BENCH_PG_RUNS ?? 3);
  const tenth = Math.max(1, Math.floor(readRows / 10));
  let server: TestPostgres | undefined;
  if (!process.env.LEADS_BENCH_DATABASE_URL) {
    try {
      server = await testPostgres();
    } catch (error) {
      // Outside CI a machine without PostgreSQL skips this benchmark; CI installs it (.ci/run).
      if (process.env.CI === 'true' || process.env.CI === '1') throw error;
      return { name: 'postgres', figures: { skipped: `no PostgreSQL server: ${(error as Error).message}` }, targets: [] };
    }
  }
  const url = process.env.LEADS_BENCH_DATABASE_URL ?? server!.url;
  const psql = server ? path.join(server.binDir, 'psql') : 'psql';
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pg-'));
  try {
    await fillTable(admin, 'bench_leads', readRows);
    await fillTable(admin, 'bench_leads_tenth', tenth);
    await fillTable(admin, 'bench_writes', writeRows);
    const { readBare, readStageTenth, readStage, lines } = await measureReads({ url, psql, scratch, runs });

    const fresh = async () => {
      await admin.query(`UPDATE bench_writes SET title = NULL`);
      await admin.query(`VACUUM bench_writes`);
    };
    const writeRun = async (kind: string) => {
      await fresh();
      return writeChild(kind, url, 'bench_writes', writeRows, batch);
    };
    const writeBare = await medianRun(runs, () => writeRun('write-bare'));
    const writeStage = await medianRun(runs, () => writeRun('write-stage'));
    const writeUnjournaled = await medianRun(runs, () => writeRun('write-stage-unjournaled'));

    const rate = (rows: number, ms: number) => Math.round((rows / ms) * 1000);
    const readRatio = readBare.ms / readStage.ms;
    const writeRatio = rate(writeStage.rows, writeStage.ms) / rate(writeBare.rows, writeBare.ms);
    const rssRatio = readStage.rssMb / readStageTenth.rssMb;
    return {
      name: 'postgres',
      figures: {
        read_rows: readRows,
        read_jsonl_lines: lines,
        read_copy_plus_conversion_rows_per_s: rate(readRows, readBare.ms),
        read_stage_rows_per_s: rate(readRows, readStage.ms),
        read_stage_seconds: round(readStage.ms / 1000, 1),
        [`read_stage_seconds_at_${tenth}_rows`]: round(readStageTenth.ms / 1000, 1),
        read_stage_fetches: Math.ceil(readRows / 2000) + 1,
        read_stage_peak_rss_mb: round(readStage.rssMb, 1),
        [`read_stage_peak_rss_mb_at_${tenth}_rows`]: round(readStageTenth.rssMb, 1),
        write_updates: writeStage.rows,
        write_batch_size: batch,
        write_statements: writeRows + 2 * Math.ceil(writeRows / batch),
        write_bare_rows_per_s: rate(writeBare.rows, writeBare.ms),
        write_stage_rows_per_s: rate(writeStage.rows, writeStage.ms),
        write_stage_without_journal_rows_per_s: rate(writeUnjournaled.rows, writeUnjournaled.ms),
        write_stage_without_journal_vs_bare: round(rate(writeUnjournaled.rows, writeUnjournaled.ms) / rate(writeBare.rows, writeBare.ms)),
      },
      targets: [
        atLeast('read-postgres → write-jsonl rows/s ÷ psql \\copy to stdout + JSONL conversion', readRatio, 0.6),
        atLeast(`write-postgres updates/s (batch_size ${batch}, journaled) ÷ bare pg loop of the same UPDATEs, ${batch} per transaction`, writeRatio, 0.6),
        atMost(`read-postgres peak RSS at ${readRows} rows ÷ at ${tenth} rows`, rssRatio, 1.2),
      ],
    };
  } finally {
    await admin.query('DROP TABLE IF EXISTS bench_leads, bench_leads_tenth, bench_writes').catch(() => undefined);
    await admin.end();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  if (process.argv[2] === '--child') {
    const [, , , kind, table, rows, batch] = process.argv;
    process.stdout.write(JSON.stringify(await measureWrite(kind!, process.env.BENCH_URL!, table!, Number(rows), Number(batch))));
  } else if (process.argv[2] === '--convert') {
    await convertCopyText();
  } else {
    runAlone(() => benchPostgres());
  }
}
