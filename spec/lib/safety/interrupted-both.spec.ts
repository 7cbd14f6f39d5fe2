import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { startEmulator, type Emulator } from '../../../lib/airtable-emulator/index.js';
import { runPipeline } from '../../../lib/core/runner.js';
import { readJournal } from '../../../lib/core/journal-read.js';
import { journalPath } from '../../../lib/core/journal.js';
import { resumeRun } from '../../../lib/safety/resume.js';
import { rollbackRun } from '../../../lib/safety/rollback.js';
import { createSampleDatabase, generateSampleLeads } from '../../../lib/sqlite/sample.js';
import { tempDir } from '../../helpers.js';
import { seededRandom } from '../../../lib/core/random.js';
import { eachAtMost, tableRows } from './support.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'kill-child.js');
const NOW = '2026-02-01T09:00:00.000Z';
const EVENTS = ['intended', 'settling', 'settled'] as const;

/**
 * Both systems: a local database of 24 leads, 8 of them linked to their Airtable record (with
 * different values, so both sides get updates), and 8 leads only Airtable has. A run creates the
 * 16 unlinked local leads in Airtable (and stores their new ids locally), creates the 8
 * Airtable-only leads locally, and standardizes both.
 */
interface World {
  dir: string;
  database: string;
  pipeline: string;
  emulator: Emulator;
  env: NodeJS.ProcessEnv;
}

/** The emulator's token, the same for every world (each world names its base and endpoint in its pipeline). */
const TOKEN = { AIRTABLE_TOKEN: 'emulator-token' };

/** The emulator of a world, its base kept in the world's directory (so a copy of the directory is a copy of both systems). */
function emulatorOf(dir: string): Promise<Emulator> {
  return startEmulator({ rateLimit: { enabled: false }, dataFile: path.join(dir, 'airtable-base.db') });
}

async function world(): Promise<World> {
  const dir = tempDir('safety-both-');
  const database = path.join(dir, 'leads.db');
  createSampleDatabase(database, { count: 24, seed: 8 });
  const emulator = await emulatorOf(dir);
  const db = new Database(database);
  const local = db.prepare('SELECT id, name, email, company FROM leads ORDER BY id LIMIT 8').all() as Array<{
    id: string;
    name: string;
    email: string;
    company: string;
  }>;
  const linked = emulator.seed(
    'Leads',
    local.map((r) => ({ 'Full Name': r.name, Email: r.email?.toUpperCase() ?? null, Company: `${r.company ?? 'Acme'} Inc.` })),
  );
  local.forEach((r, i) => {
    db.prepare('UPDATE leads SET airtable_id = ? WHERE id = ?').run(linked[i], r.id);
  });
  db.close();
  emulator.seed(
    'Leads',
    [...generateSampleLeads(8, { seed: 99 })].map(({ record }) => ({ 'Full Name': record.name, Email: record.email, Company: record.company })),
  );
  fs.writeFileSync(path.join(dir, 'maintenance.yaml'), 'maintenance_config:\n  synchronization: { conflict_resolution: airtable_wins, max_retries: 0 }\n');
  return { dir, database, ...connected(dir, emulator) };
}

/** Points the world in `dir` at `emulator` (its pipeline names the endpoint, which changes when the emulator restarts). */
function connected(dir: string, emulator: Emulator): Pick<World, 'pipeline' | 'emulator' | 'env'> {
  const pipeline = path.join(dir, 'maintain.yaml');
  fs.writeFileSync(
    pipeline,
    [
      'config: maintenance.yaml',
      'steps:',
      '  - backup: { database: leads.db, backup_directory: backups }',
      '  - read-sqlite: { database: leads.db }',
      // The base and endpoint in the pipeline, not the environment: worlds run side by side in one process.
      `  - read-airtable: { base_id: ${emulator.baseId}, endpoint_url: "${emulator.url}" }`,
      '  - normalize: {}',
      '  - diff: { review_file: review.jsonl }',
      `  - write-airtable: { typecast: true, base_id: ${emulator.baseId}, endpoint_url: "${emulator.url}" }`,
      '  - write-sqlite: { database: leads.db, batch_size: 5 }',
    ].join('\n'),
  );
  return { pipeline, emulator, env: { ...TOKEN, AIRTABLE_BASE_ID: emulator.baseId, AIRTABLE_ENDPOINT_URL: emulator.url } };
}

/** The Airtable table's content: every record's fields (computed ones left out), sorted. */
function airtableContent(emulator: Emulator): string[] {
  return emulator
    .dump('Leads')
    .map((r) => {
      const { 'Created At': _c, 'Last Modified': _m, ...fields } = r.fields;
      return JSON.stringify(
        Object.keys(fields)
          .sort()
          .map((k) => [k, fields[k]]),
      );
    })
    .sort();
}

/**
 * What a user compares after a run: local rows without their ids and links (new records get
 * fresh ids), the Airtable content, and the links themselves: every local lead points at exactly
 * one Airtable record and no Airtable record is pointed at twice or left out.
 */
function state(w: World) {
  const rows = tableRows(w.database);
  const ids = new Set(w.emulator.dump('Leads').map((r) => r.id));
  const links = rows.map((r) => r.airtable_id);
  return {
    local: rows.map(({ id: _i, airtable_id: _a, ...rest }) => JSON.stringify(rest)).sort(),
    airtable: airtableContent(w.emulator),
    linked: links.filter((l) => typeof l === 'string' && ids.has(l)).length,
    distinctLinks: new Set(links.filter(Boolean)).size,
    airtableRecords: ids.size,
  };
}

interface Initial {
  local: Array<Record<string, unknown>>;
  airtable: string[];
}

/** A world killed at a point: its directory (a copy as at the kill beside it, `<dir>-killed`), its run, what it held before. */
interface Killed {
  dir: string;
  runId: string;
  point: { event: string; count: number };
  initial: Initial;
  /** Operations the journal shows intended but never marked. */
  unknown: number;
}

function runKilled(w: World, runId: string, point: { event: string; count: number }): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, w.pipeline, runId, point.event, String(point.count), NOW], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...w.env },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => (code ? reject(new Error(`the child failed: ${stderr}`)) : resolve(signal)));
  });
}

describe('an interrupted run on both systems (kill -9 at random points)', function () {
  this.timeout(240_000);
  const saved = process.env.AIRTABLE_TOKEN;
  let reference: ReturnType<typeof state>;
  let batches = 0;
  let killed: Killed[] = [];

  before(async () => {
    Object.assign(process.env, TOKEN);
    const w = await world();
    const summary = await runPipeline(w.pipeline, { runId: 'reference', now: () => new Date(NOW) });
    expect(summary.operations).to.deep.include({ 'airtable.create.applied': 16, 'local.create.applied': 8 });
    reference = state(w);
    expect(reference).to.deep.include({ linked: 32, distinctLinks: 32, airtableRecords: 32 });
    const journal = readJournal(summary.journal!);
    batches = new Set(journal.ops.map((op) => `${op.system}:${Math.floor(op.seq / (op.system === 'local' ? 5 : 10))}`)).size;
    await w.emulator.close();
    await killAll();
  });
  after(() => {
    if (saved === undefined) delete process.env.AIRTABLE_TOKEN;
    else process.env.AIRTABLE_TOKEN = saved;
  });

  /**
   * A world killed at each point, kept as a copy of its directory (database, journal, backups and
   * the emulator's base), so both the resume and the rollback start from the very same kill.
   */
  async function killAll(): Promise<void> {
    const random = seededRandom(7);
    const points = Array.from({ length: 20 }, () => ({
      event: EVENTS[Math.floor(random() * EVENTS.length)]!,
      count: 1 + Math.floor(random() * batches),
    }));
    killed = await eachAtMost(points, 4, async (point, i) => {
      const w = await world();
      try {
        // Each world's emulator gives its records ids of its own, so each is compared with itself.
        const initial: Initial = { local: tableRows(w.database), airtable: airtableContent(w.emulator) };
        const runId = `killed-${i}`;
        expect(await runKilled(w, runId, point), `${runId} killed at ${point.event} #${point.count}`).to.equal('SIGKILL');
        const journal = readJournal(journalPath(path.join(w.dir, '.lead-maintenance'), runId));
        return { dir: w.dir, runId, point, initial, unknown: journal.ops.filter((op) => !op.result).length };
      } finally {
        await w.emulator.close();
        fs.cpSync(w.dir, `${w.dir}-killed`, { recursive: true });
      }
    });
  }

  /** Puts each killed world back as it was at its kill, runs `check` on it, four at a time. */
  async function eachKilled(check: (w: World, k: Killed) => Promise<void>): Promise<void> {
    await eachAtMost(killed, 4, async (k) => {
      fs.rmSync(k.dir, { recursive: true, force: true });
      fs.cpSync(`${k.dir}-killed`, k.dir, { recursive: true });
      const w: World = { dir: k.dir, database: path.join(k.dir, 'leads.db'), ...connected(k.dir, await emulatorOf(k.dir)) };
      try {
        await check(w, k);
      } finally {
        await w.emulator.close();
      }
    });
  }

  it('resumed at each of 20 points, both systems end as after an uninterrupted run: no lead lost, none created twice', async () => {
    await eachKilled(async (w, { runId, point }) => {
      await resumeRun(runId, { stateDir: path.join(w.dir, '.lead-maintenance'), env: w.env, run: { now: () => new Date(NOW) } });
      expect(state(w), `after resume at ${point.event} #${point.count}`).to.deep.equal(reference);
    });
    // Some kills fell between a write and its mark: those outcomes had to be looked up.
    expect(killed.reduce((n, k) => n + k.unknown, 0)).to.be.greaterThan(0);
  });

  it('rolled back at each of 20 points, both systems are as they were before the run', async () => {
    await eachKilled(async (w, { runId, point, initial }) => {
      const result = await rollbackRun(runId, { stateDir: path.join(w.dir, '.lead-maintenance'), env: w.env });
      expect(result.conflicts).to.deep.equal([]);
      const after = tableRows(w.database);
      expect(after, `local after rollback at ${point.event} #${point.count}`).to.deep.equal(initial.local);
      expect(airtableContent(w.emulator), `Airtable after rollback at ${point.event} #${point.count}`).to.deep.equal(initial.airtable);
    });
  });
});
