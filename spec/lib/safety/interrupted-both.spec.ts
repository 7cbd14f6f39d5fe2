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
import { tableRows } from './support.js';

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

async function world(): Promise<World> {
  const dir = tempDir('safety-both-');
  const database = path.join(dir, 'leads.db');
  createSampleDatabase(database, { count: 24, seed: 8 });
  const emulator = await startEmulator({ rateLimit: { enabled: false } });
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
  const pipeline = path.join(dir, 'maintain.yaml');
  fs.writeFileSync(path.join(dir, 'maintenance.yaml'), 'maintenance_config:\n  synchronization: { conflict_resolution: airtable_wins, max_retries: 0 }\n');
  fs.writeFileSync(
    pipeline,
    [
      'config: maintenance.yaml',
      'steps:',
      '  - backup: { database: leads.db, backup_directory: backups }',
      '  - read-sqlite: { database: leads.db }',
      '  - read-airtable: {}',
      '  - normalize: {}',
      '  - diff: { review_file: review.jsonl }',
      '  - write-airtable: { typecast: true }',
      '  - write-sqlite: { database: leads.db, batch_size: 5 }',
    ].join('\n'),
  );
  const env = { AIRTABLE_TOKEN: 'emulator-token', AIRTABLE_BASE_ID: emulator.baseId, AIRTABLE_ENDPOINT_URL: emulator.url };
  return { dir, database, pipeline, emulator, env };
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
  const saved = { ...process.env };
  let reference: ReturnType<typeof state>;
  let batches = 0;

  const withEnv = async <T>(w: World, fn: () => Promise<T>): Promise<T> => {
    Object.assign(process.env, w.env);
    try {
      return await fn();
    } finally {
      for (const name of Object.keys(w.env)) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  };

  before(async () => {
    const w = await world();
    const summary = await withEnv(w, () => runPipeline(w.pipeline, { runId: 'reference', now: () => new Date(NOW) }));
    expect(summary.operations).to.deep.include({ 'airtable.create.applied': 16, 'local.create.applied': 8 });
    reference = state(w);
    expect(reference).to.deep.include({ linked: 32, distinctLinks: 32, airtableRecords: 32 });
    const journal = readJournal(summary.journal!);
    batches = new Set(journal.ops.map((op) => `${op.system}:${Math.floor(op.seq / (op.system === 'local' ? 5 : 10))}`)).size;
    await w.emulator.close();
  });
  after(() => {
    for (const name of ['AIRTABLE_TOKEN', 'AIRTABLE_BASE_ID', 'AIRTABLE_ENDPOINT_URL']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  /** Kills a run at each point, four at a time, each world with its own emulator. */
  async function eachKilled(
    points: Array<{ event: string; count: number }>,
    prefix: string,
    check: (w: World, runId: string, point: { event: string; count: number }, initial: Initial) => Promise<void>,
  ): Promise<number> {
    let unknown = 0;
    for (let i = 0; i < points.length; i += 4) {
      const group = await Promise.all(
        points.slice(i, i + 4).map(async (point, j) => {
          const w = await world();
          // Each world's emulator gives its records ids of its own, so each is compared with itself.
          const initial: Initial = { local: tableRows(w.database), airtable: airtableContent(w.emulator) };
          const runId = `${prefix}-${i + j}`;
          expect(await runKilled(w, runId, point), `${runId} killed at ${point.event} #${point.count}`).to.equal('SIGKILL');
          const journal = readJournal(journalPath(path.join(w.dir, '.lead-maintenance'), runId));
          unknown += journal.ops.filter((op) => !op.result).length;
          return { w, runId, point, initial };
        }),
      );
      for (const { w, runId, point, initial } of group) {
        try {
          await check(w, runId, point, initial);
        } finally {
          await w.emulator.close();
        }
      }
    }
    return unknown;
  }

  function points(seed: number): Array<{ event: string; count: number }> {
    const random = seededRandom(seed);
    return Array.from({ length: 20 }, () => ({ event: EVENTS[Math.floor(random() * EVENTS.length)]!, count: 1 + Math.floor(random() * batches) }));
  }

  it('resumed at each of 20 points, both systems end as after an uninterrupted run: no lead lost, none created twice', async () => {
    const unknown = await eachKilled(points(7), 'resume', async (w, runId, point) => {
      await withEnv(w, () => resumeRun(runId, { stateDir: path.join(w.dir, '.lead-maintenance'), env: w.env, run: { now: () => new Date(NOW) } }));
      expect(state(w), `after resume at ${point.event} #${point.count}`).to.deep.equal(reference);
    });
    expect(unknown).to.be.greaterThan(0);
  });

  it('rolled back at each of 20 points, both systems are as they were before the run', async () => {
    await eachKilled(points(7), 'rollback', async (w, runId, point, initial) => {
      const result = await rollbackRun(runId, { stateDir: path.join(w.dir, '.lead-maintenance'), env: w.env });
      expect(result.conflicts).to.deep.equal([]);
      const after = tableRows(w.database);
      expect(after, `local after rollback at ${point.event} #${point.count}`).to.deep.equal(initial.local);
      expect(airtableContent(w.emulator), `Airtable after rollback at ${point.event} #${point.count}`).to.deep.equal(initial.airtable);
    });
  });
});
