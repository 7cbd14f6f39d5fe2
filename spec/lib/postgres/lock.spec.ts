import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type pg from 'pg';
import { LockError } from '../../../lib/safety/errors.js';
import { postgresSide } from '../../../lib/postgres/side.js';
import { postgresOrSkip, type TestPostgres } from '../../support/postgres.js';
import { tempDir } from '../../helpers.js';

const HOLDER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hold-lock-child.js');

/** Tries to lock until it gets the lock (a released lock reaches the server a moment later); undefined if it never does. */
async function lockWithin(take: () => Promise<{ release(): void }>, tries: number): Promise<{ release(): void } | undefined> {
  for (let i = 0; i < tries; i++) {
    try {
      return await take();
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return undefined;
}

/** A process of its own (another machine, as far as the server can tell) holding a run's lock; resolves once it holds it. */
function holdInChild(url: string, table: string, runId: string, stateDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [HOLDER, table, runId, stateDir], {
    env: { ...process.env, LEADS_DATABASE_URL: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      if (c.toString().includes('locked')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`the lock holder exited (${code}): ${err}`)));
  });
}

async function lockError(promise: Promise<unknown>): Promise<LockError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LockError) return error;
    throw error;
  }
  throw new Error('the second run was not refused');
}

describe('lib/postgres advisory lock', function () {
  this.timeout(60_000);
  let db: TestPostgres;
  let client: pg.Client;
  before(async function () {
    db = await postgresOrSkip(this);
    client = await db.client();
    await client.query('CREATE TABLE leads (id text PRIMARY KEY); CREATE SCHEMA sales; CREATE TABLE sales.leads (id text PRIMARY KEY)');
  });
  after(async () => client?.end());
  const side = (table = 'leads') => postgresSide({ url: db.url, table });

  it('lets one run at a time hold a table, naming the run, its process and host to the second', async () => {
    const first = await side().lock(tempDir(), [], { runId: '20260101T000000-aaaaaaaa' });
    try {
      const refused = await lockError(side().lock(tempDir(), [], { runId: '20260101T000001-bbbbbbbb' }));
      expect(refused.message).to.contain('PostgreSQL table public.leads');
      expect(refused.message).to.contain(`is locked by run 20260101T000000-aaaaaaaa (pid ${process.pid} on ${os.hostname()}`);
      expect(refused.message).not.to.contain(db.password);
    } finally {
      first.release();
    }
    // Released: the next run gets it (the unlock reaches the server as the session ends).
    const next = await lockWithin(() => side().lock(tempDir(), [], { runId: 'run-c' }), 50);
    expect(next, 'the lock was never released').not.to.equal(undefined);
    next!.release();
  });

  it('locks a table whatever state directory a machine keeps, and another table not at all', async () => {
    const first = await side().lock(tempDir(), [], { runId: 'run-d' });
    try {
      await lockError(side('public.leads').lock(tempDir(), [], { runId: 'run-e' }));
      const other = await side('sales.leads').lock(tempDir(), [], { runId: 'run-f' });
      other.release();
    } finally {
      first.release();
    }
  });

  it('is released by the server when the run holding it is killed with -9, so nothing stale is left to clean up', async () => {
    const child = await holdInChild(db.url, 'leads', 'run-killed', tempDir());
    const refused = await lockError(side().lock(tempDir(), [], { runId: 'run-g' }));
    expect(refused.message).to.contain(`run run-killed (pid ${child.pid}`);
    child.kill('SIGKILL');
    const taken = await lockWithin(() => side().lock(tempDir(), [], { runId: 'run-g' }), 100);
    expect(taken, 'the killed run kept the lock').not.to.equal(undefined);
    taken!.release();
  });

  it('names a session that is not a maintenance run when one holds the key', async () => {
    const { advisoryKey } = await import('../../../lib/postgres/lock.js');
    const other = await db.client();
    try {
      await other.query(`SET application_name = 'psql'`);
      await other.query('SELECT pg_advisory_lock($1::bigint)', [advisoryKey('public.leads').toString()]);
      const refused = await lockError(side().lock(tempDir(), [], { runId: 'run-h' }));
      expect(refused.message).to.match(/locked by a session that is not a maintenance run \(server pid \d+ from 127\.0\.0\.1/);
    } finally {
      await other.end();
    }
  });
});
