import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { closeRun, newCounters, openRun, stageContext } from '../lib/core/context.js';
import type { Operation } from '../lib/core/operation.js';
import type { Lead } from '../lib/core/record.js';
import type { RecordTransform, StageContext } from '../lib/core/stage.js';
import { createSampleDatabase } from '../lib/sqlite/sample.js';
import { atLeast, atMost, isMain, ROOT, round, runAlone, type BenchResult } from './harness.js';
import readSqlite from '../stages/read-sqlite.js';
import writeSqlite from '../stages/write-sqlite.js';

/**
 * read-sqlite over 1,000,000 rows and write-sqlite applying 100,000 updates, each against a bare
 * better-sqlite3 loop (iterate a prepared SELECT; run a prepared UPDATE in one transaction) on
 * the same file in the same run. The write targets hold the stage as pipelines run it, with the
 * run journal (which records what each update replaces, read by the update itself); the stage
 * without a journal is measured too, to show what the journal costs. Every measurement runs in a
 * child process of its own, so its peak RSS is its own; each figure is the median of three runs.
 * Memory is "flat" when reading ten times the rows does not grow the peak.
 */

const SEED = 42;
const here = fileURLToPath(import.meta.url);

interface Measurement {
  rows: number;
  ms: number;
  /** CPU time of the process over the same span (user + system): on a shared machine, steadier than `ms`. */
  cpu_ms: number;
  max_rss_mb: number;
}

/** A real stage context (the one a pipeline run gives), whose cleanups the caller runs. */
function context(closers: Array<() => unknown> = [], journal = true): StageContext {
  // With the journal, as every pipeline run writes (beside the database); without, as a script that embeds the stage may.
  const run = openRun({ rejects: path.join(os.tmpdir(), 'bench-sqlite-rejects.jsonl'), ...(journal ? {} : { stateDir: false as const }) });
  closers.push(() => closeRun(run));
  return stageContext(run, 'bench', 0, newCounters('bench'), 'tag');
}

/** One measurement, run inside a child process. */
async function measure(kind: string, file: string, limit: number, batch: number): Promise<Measurement> {
  const started = performance.now();
  let cpu = process.cpuUsage();
  const cpuMs = () => {
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / 1000;
  };
  let rows = 0;
  if (kind === 'read-bare') {
    const db = new Database(file, { readonly: true });
    for (const row of db.prepare(`SELECT * FROM leads LIMIT ?`).iterate(limit)) if (row) rows++;
    db.close();
  } else if (kind === 'read-stage') {
    const source = (await readSqlite.create({ database: file, busy_timeout_ms: 5000 }, context())) as AsyncIterable<Lead>;
    for await (const record of source) {
      if (record._meta) rows++;
      if (rows === limit) break;
    }
  } else {
    const ids = idsOf(file, limit);
    const stamp = new Date().toISOString();
    // Both sides are timed up to closing the connection, which checkpoints the WAL into the file.
    if (kind === 'write-bare') {
      const db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('wal_autocheckpoint = 10000'); // as write-sqlite's connection: compare code, not settings
      const update = db.prepare('UPDATE leads SET title = ?, updated_at = ? WHERE id = ?');
      const t0 = performance.now();
      cpu = process.cpuUsage();
      const transaction = db.transaction((chunk: string[]) => {
        for (const id of chunk) rows += update.run(`Title ${id.slice(0, 4)}`, stamp, id).changes;
      });
      for (let i = 0; i < ids.length; i += batch) transaction.immediate(ids.slice(i, i + batch));
      db.close();
      return { rows, ms: performance.now() - t0, cpu_ms: cpuMs(), max_rss_mb: process.resourceUsage().maxRSS / 1024 };
    }
    const closers: Array<() => unknown> = [];
    const writer = (await writeSqlite.create(
      { database: file, busy_timeout_ms: 5000, batch_size: batch, create: false, link_field: 'airtable_id' },
      context(closers, kind !== 'write-stage-unjournaled'),
    )) as RecordTransform;
    const t0 = performance.now();
    cpu = process.cpuUsage();
    const count = (out: unknown) => {
      for (const item of Array.isArray(out) ? out : out ? [out] : []) if ((item as Operation).result?.status === 'applied') rows++;
    };
    for (const id of ids) {
      const op: Operation = {
        kind: 'operation',
        action: 'update',
        system: 'local',
        id,
        fields: { title: `Title ${id.slice(0, 4)}` },
        replaces: {},
        reason: 'standardize',
        entity: id,
      };
      count(await writer.transform(op));
    }
    count(await writer.flush?.());
    for (const close of closers) await close();
    return { rows, ms: performance.now() - t0, cpu_ms: cpuMs(), max_rss_mb: process.resourceUsage().maxRSS / 1024 };
  }
  return { rows, ms: performance.now() - started, cpu_ms: cpuMs(), max_rss_mb: process.resourceUsage().maxRSS / 1024 };
}

function idsOf(file: string, limit: number): string[] {
  const db = new Database(file, { readonly: true });
  const ids = db.prepare('SELECT id FROM leads LIMIT ?').pluck().all(limit) as string[];
  db.close();
  return ids;
}

/** The median run of `count` (three by default, by time): one run on a shared 2-core machine is too noisy to judge by. */
function medianOf(count: number, run: () => Measurement): Measurement {
  const runs = Array.from({ length: count }, run).sort((a, b) => a.ms - b.ms);
  return runs[count >> 1]!;
}

function child(kind: string, file: string, limit: number, batch = limit): Measurement {
  const run = spawnSync(process.execPath, [here, '--child', kind, file, String(limit), String(batch)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (run.status !== 0) throw new Error(`Benchmark child ${kind} failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Measurement;
}

/** The sample database of `rows` leads, cached in `dir` (bench/out/) between runs (same seed, same file). */
function sampleDatabase(rows: number, dir = path.join(ROOT, 'bench', 'out')): string {
  const file = path.join(dir, `sqlite-${rows}-seed${SEED}.db`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    createSampleDatabase(`${file}.tmp`, { count: rows, seed: SEED });
    // One self-contained file, so a plain copy of it is the whole database.
    const db = new Database(`${file}.tmp`);
    db.pragma('journal_mode = DELETE');
    db.close();
    fs.renameSync(`${file}.tmp`, file);
  }
  return file;
}

const rate = (m: Measurement) => Math.round((m.rows / m.ms) * 1000);

/**
 * Runs the benchmark; each figure comes from its own child process. `cacheDir` holds the sample
 * databases (bench/out/ by default, kept between runs); `runs` is how many runs each median takes.
 */
export async function benchSqlite(options: { readRows?: number; writeRows?: number; runs?: number; cacheDir?: string } = {}): Promise<BenchResult> {
  const readRows = options.readRows ?? Number(process.env.BENCH_SQLITE_READ_ROWS ?? 1_000_000);
  const writeRows = options.writeRows ?? Number(process.env.BENCH_SQLITE_WRITE_ROWS ?? 100_000);
  const median3 = (run: () => Measurement) => medianOf(options.runs ?? 3, run);
  const readFile = sampleDatabase(readRows, options.cacheDir);
  const tenth = Math.max(1, Math.floor(readRows / 10));
  child('read-bare', readFile, readRows); // warm the page cache so neither side pays for the disk
  const readBare = median3(() => child('read-bare', readFile, readRows));
  const readStage = median3(() => child('read-stage', readFile, readRows));
  const readStageTenth = child('read-stage', readFile, tenth);

  const writeSource = sampleDatabase(writeRows, options.cacheDir);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sqlite-'));
  const copy = (name: string) => {
    const file = path.join(scratch, name);
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
    fs.copyFileSync(writeSource, file);
    return file;
  };
  let writeBare: Measurement;
  let writeStage: Measurement;
  let writeBareSmall: Measurement;
  let writeStageSmall: Measurement;
  let writeUnjournaled: Measurement;
  try {
    // Each run starts from a fresh copy, so every run updates the same rows of the same file.
    writeBare = median3(() => child('write-bare', copy('bare.db'), writeRows));
    writeStage = median3(() => child('write-stage', copy('stage.db'), writeRows));
    writeBareSmall = median3(() => child('write-bare', copy('bare-50.db'), writeRows, 50));
    writeStageSmall = median3(() => child('write-stage', copy('stage-50.db'), writeRows, 50));
    // What the run journal costs: the same stage in a context without one.
    writeUnjournaled = median3(() => child('write-stage-unjournaled', copy('unjournaled.db'), writeRows));
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }

  const readRatio = rate(readStage) / rate(readBare);
  const writeRatio = rate(writeStage) / rate(writeBare);
  const writeRatioSmall = rate(writeStageSmall) / rate(writeBareSmall);
  const rssGrowth = readStage.max_rss_mb - readStageTenth.max_rss_mb;
  return {
    name: 'sqlite',
    figures: {
      read_rows: readStage.rows,
      read_bare_rows_per_s: rate(readBare),
      read_stage_rows_per_s: rate(readStage),
      read_bare_peak_rss_mb: round(readBare.max_rss_mb, 1),
      read_stage_peak_rss_mb: round(readStage.max_rss_mb, 1),
      [`read_stage_peak_rss_mb_at_${tenth}_rows`]: round(readStageTenth.max_rss_mb, 1),
      write_updates: writeStage.rows,
      write_bare_rows_per_s: rate(writeBare),
      write_stage_rows_per_s: rate(writeStage),
      write_bare_50_per_transaction_rows_per_s: rate(writeBareSmall),
      write_stage_batch_size_50_rows_per_s: rate(writeStageSmall),
      write_stage_without_journal_rows_per_s: rate(writeUnjournaled),
      write_stage_without_journal_vs_bare: round(rate(writeUnjournaled) / rate(writeBare)),
      write_bare_peak_rss_mb: round(writeBare.max_rss_mb, 1),
      write_stage_peak_rss_mb: round(writeStage.max_rss_mb, 1),
      write_stage_batch_size_50_peak_rss_mb: round(writeStageSmall.max_rss_mb, 1),
    },
    targets: [
      atLeast('read-sqlite rows/s ÷ bare iterate loop', readRatio, 0.6),
      atLeast('write-sqlite updates/s (batch_size: all in one transaction) ÷ bare prepared UPDATE in one transaction', writeRatio, 0.6),
      atLeast('write-sqlite updates/s (batch_size: 50, the config default) ÷ bare loop committing every 50', writeRatioSmall, 0.6),
      atMost(`read-sqlite peak RSS growth from ${tenth} to ${readRows} rows (MiB; flat)`, rssGrowth, 32),
    ],
  };
}

if (isMain(import.meta.url)) {
  if (process.argv[2] === '--child') {
    const [, , , kind, file, limit, batch] = process.argv;
    process.stdout.write(JSON.stringify(await measure(kind!, file!, Number(limit), Number(batch))));
  } else {
    runAlone(() => benchSqlite());
  }
}
