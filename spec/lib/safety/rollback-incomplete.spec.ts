import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { startSampleData, type SampleData } from '../../../lib/maintenance/sample.js';
import { packagePath } from '../../../lib/core/paths.js';
import { loadPipeline } from '../../../lib/core/pipeline.js';
import { runPipeline } from '../../../lib/core/runner.js';
import { RollbackIncompleteError } from '../../../lib/safety/errors.js';
import { runGuarded, type RolledBackError } from '../../../lib/safety/guard.js';
import { readJournal } from '../../../lib/core/journal-read.js';
import { journalPath } from '../../../lib/core/journal.js';
import { rollbackRun } from '../../../lib/safety/rollback.js';
import { resumeRun } from '../../../lib/safety/resume.js';
import type { JournalObserver } from '../../../lib/core/journal.js';
import { createLogger } from '../../../lib/core/log.js';
import { cli, tempDir } from '../../helpers.js';
import { tableRows } from './support.js';

/**
 * Faults after the writes began, on the sample data (60 local leads, a base with duplicates of
 * its own), run through the bundled full maintenance with its backup: the monthly quota running
 * out mid-write, a database another program holds during the rollback, a resume that sets links.
 */
interface World {
  dir: string;
  sample: SampleData;
  stateDir: string;
  env: NodeJS.ProcessEnv;
}

async function world(): Promise<World> {
  const dir = tempDir('rollback-incomplete-');
  const sample = await startSampleData(dir, { count: 60 });
  return { dir, sample, stateDir: path.join(dir, '.lead-maintenance'), env: { ...sample.env, LEADS_DATA_DIR: dir } };
}

function pipeline(w: World) {
  return loadPipeline(packagePath('pipelines', 'full.yaml'), { env: w.env });
}

/** Every Airtable record's fields (computed ones left out), sorted: a rollback re-creates with new ids. */
function airtableContent(w: World): string[] {
  return w.sample.emulator
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

/** Local rows as a user compares them: the link column follows re-created records, so it is left out. */
function localContent(w: World): string[] {
  return tableRows(w.sample.database)
    .map(({ airtable_id: _a, ...rest }) => JSON.stringify(rest))
    .sort();
}

function writeRequests(w: World): number {
  return w.sample.emulator.requestLog().filter((r) => r.method !== 'GET' && !r.path.endsWith('/listRecords') && !r.path.startsWith('/v0/meta/')).length;
}

const saved = { ...process.env };
async function withEnv<T>(w: World, fn: () => Promise<T>): Promise<T> {
  Object.assign(process.env, w.env);
  try {
    return await fn();
  } finally {
    for (const name of Object.keys(w.env)) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  }
}

async function failure(run: Promise<unknown>): Promise<RolledBackError> {
  try {
    await run;
  } catch (error) {
    return error as RolledBackError;
  }
  throw new Error('the run passed');
}

describe('a rollback that cannot finish at once', function () {
  this.timeout(180_000);
  let w: World | undefined;
  afterEach(async () => {
    await w?.sample.close();
    w = undefined;
  });

  it('the monthly quota running out mid-write: the run names write-airtable, undoes the local side, says the rollback is incomplete and how to finish it', async () => {
    w = await world();
    const before = { local: localContent(w), airtable: airtableContent(w) };
    let settled = 0;
    const observer: JournalObserver = (event) => {
      // Some writes went through in both systems; then Airtable refuses every request (reads too).
      if (event === 'settled' && ++settled === 3) w!.sample.emulator.setMonthlyQuotaExceeded(true);
    };
    const error = await withEnv(w, () => failure(runGuarded(pipeline(w!), { runId: 'quota-run', stateDir: w!.stateDir, journalObserver: observer })));
    expect(error).to.be.instanceOf(RollbackIncompleteError);
    expect(error.message).to.match(/^write-airtable: /);
    expect(error.message)
      .to.contain('The automatic rollback did not finish')
      .and.contain('INCOMPLETE')
      .and.match(/still applied: 0 local and [1-9]\d* Airtable change\(s\)/)
      .and.contain('finish it with: db-maintenance --rollback quota-run');
    expect((error as unknown as { exitCode: number }).exitCode).to.equal(4);
    // What could be undone was: the local database is as before the run.
    expect(localContent(w)).to.deep.equal(before.local);
    const journal = readJournal(journalPath(w.stateDir, 'quota-run'));
    expect(journal.end?.status).to.equal('rollback_incomplete');
    expect(journal.failure?.message).to.match(/^write-airtable: /);
    // --status says the same: why the run failed, that its rollback is incomplete, and the command.
    const status = await cli('db-maintenance', ['--status', '--data-dir', w.dir], { env: { ...w.env, LEADS_STATE_DIR: '' } });
    expect(status.code, status.stderr).to.equal(0);
    expect(status.stdout)
      .to.match(/quota-run +\d+ change\(s\) applied +failed: write-airtable: /)
      .and.contain('ROLLBACK INCOMPLETE')
      .and.contain('finish it with: db-maintenance --rollback quota-run');

    // The quota is back: the command it named finishes the rollback, exactly.
    w.sample.emulator.setMonthlyQuotaExceeded(false);
    const finished = await rollbackRun('quota-run', { stateDir: w.stateDir, env: w.env });
    expect(finished.undone.airtable).to.be.greaterThan(0);
    expect(finished.conflicts).to.deep.equal([]);
    expect(airtableContent(w)).to.deep.equal(before.airtable);
    expect(localContent(w)).to.deep.equal(before.local);
  });

  it('a database another program holds: the rollback waits, then stops before undoing anything; run again it puts both systems back exactly', async () => {
    w = await world();
    const before = { local: localContent(w), airtable: airtableContent(w) };
    const summary = await withEnv(w, () => runGuarded(pipeline(w!), { runId: 'held-run', stateDir: w!.stateDir }));
    expect(Object.keys(summary.operations).join(' ')).to.match(/airtable\.delete\.applied/);
    const after = airtableContent(w);
    const holder = new Database(w.sample.database);
    holder.exec('BEGIN IMMEDIATE');
    let error: unknown;
    try {
      error = await rollbackRun('held-run', { stateDir: w.stateDir, env: w.env, busyTimeoutMs: 100, lockAttempts: 2 }).then(
        () => undefined,
        (e: unknown) => e,
      );
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(error).to.be.instanceOf(RollbackIncompleteError);
    expect((error as Error).message)
      .to.match(/^rollback: The rollback of run held-run is INCOMPLETE: .*is locked by another program/)
      .and.contain('Undone so far: 0 local and 0 Airtable change(s)')
      .and.contain('finish it with: db-maintenance --rollback held-run');
    expect(airtableContent(w), 'nothing undone while the database was held').to.deep.equal(after);

    w.sample.emulator.clearLog();
    const finished = await rollbackRun('held-run', { stateDir: w.stateDir, env: w.env });
    expect(finished.conflicts).to.deep.equal([]);
    // No record missing, none extra.
    expect(airtableContent(w)).to.deep.equal(before.airtable);
    expect(localContent(w)).to.deep.equal(before.local);
    const ids = new Set(w.sample.emulator.dump('Leads').map((r) => r.id));
    for (const row of tableRows(w.sample.database))
      if (row.airtable_id) expect(ids.has(String(row.airtable_id)), `${String(row.id)} links to a record that exists`).to.equal(true);
  });

  it('a database another program holds before the run: the run fails before Airtable is written', async () => {
    w = await world();
    const holder = new Database(w.sample.database);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const p = pipeline(w);
      for (const step of p.steps) if (step.stage.name === 'write-sqlite') step.options.busy_timeout_ms = 200;
      w.sample.emulator.clearLog();
      const error = await withEnv(w, () => failure(runGuarded(p, { runId: 'blocked-run', stateDir: w!.stateDir })));
      expect(error.message).to.match(/^write-sqlite: The database .* is locked by another program/);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(writeRequests(w)).to.equal(0);
  });

  it('a resumed run sets the missing links with their modified time, as an uninterrupted run does, and logs the pipeline by name', async () => {
    w = await world();
    // Stopped (as by Ctrl-C) right after the first Airtable batch is marked applied, before its links are stored locally.
    const controller = new AbortController();
    const file = journalPath(w.stateDir, 'link-run');
    const observer: JournalObserver = (event, seqs) => {
      if (event !== 'settled' || controller.signal.aborted) return;
      const ops = readJournal(file).ops.filter((op) => seqs.includes(op.seq));
      if (ops.some((op) => op.system === 'airtable' && op.action === 'create')) controller.abort();
    };
    const interrupted = await withEnv(w, () =>
      failure(runPipeline(pipeline(w!), { runId: 'link-run', stateDir: w!.stateDir, journalObserver: observer, signal: controller.signal })),
    );
    expect(interrupted.name).to.equal('AbortedError');
    const created = readJournal(journalPath(w.stateDir, 'link-run')).ops.filter(
      (op) => op.system === 'airtable' && op.action === 'create' && op.result?.status === 'applied' && op.link?.system === 'local',
    );
    expect(created.length, 'the first batch was Airtable creates for local leads').to.be.greaterThan(0);
    // The rest of the run is not this spec's subject: a pipeline that reads only.
    const readOnly = path.join(w.dir, 'read.yaml');
    fs.writeFileSync(readOnly, `steps:\n  - read-sqlite: { database: ${JSON.stringify(w.sample.database)} }\n`);
    const lines: string[] = [];
    const log = createLogger({
      level: 'info',
      format: 'json',
      stream: new Writable({
        write(chunk, _encoding, callback) {
          lines.push(String(chunk));
          callback();
        },
      }),
    });
    const LINKED_AT = '2026-03-02T00:00:00.000Z';
    const result = await resumeRun('link-run', { stateDir: w.stateDir, env: w.env, log, pipeline: readOnly, now: () => new Date(LINKED_AT) });
    expect(result.linked).to.equal(created.length);
    const rows = new Map(tableRows(w.sample.database).map((r) => [String(r.id), r]));
    for (const op of created) expect(rows.get(op.link!.id), `local ${op.link!.id}`).to.include({ airtable_id: op.result!.id, updated_at: LINKED_AT });
    const resuming = lines.find((l) => l.includes('Resuming the run.'));
    expect(resuming, 'the resume is logged').to.be.a('string');
    expect(resuming!.length).to.be.below(1000);
    expect(resuming).to.contain('read.yaml');
  });
});
