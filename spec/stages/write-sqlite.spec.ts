import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { expect } from 'chai';
import Database from 'better-sqlite3';
import writeSqlite, { type WriteSqliteOptions } from '../../stages/write-sqlite.js';
import readSqlite from '../../stages/read-sqlite.js';
import { isOperation, type Operation } from '../../lib/core/operation.js';
import type { StreamItem } from '../../lib/core/types.js';
import type { Lead } from '../../lib/core/record.js';
import { runStage, writeJsonl } from '../helpers.js';
import { definePipeline } from '../../lib/core/embed.js';
import { runPipeline } from '../../lib/core/runner.js';
import { readJournal } from '../../lib/core/journal-read.js';
import { RunJournal } from '../../lib/core/journal.js';
import { defaultDatabase, fixtureDatabase, makeContext, packageRoot, readAll, rows, runThrough, tempDir } from '../lib/sqlite/support.js';

const options = (database: string, more: Partial<WriteSqliteOptions> = {}): WriteSqliteOptions => ({
  database,
  busy_timeout_ms: 5000,
  batch_size: 50,
  create: false,
  link_field: 'airtable_id',
  ...more,
});

function op(action: Operation['action'], id: string | undefined, fields: Record<string, unknown> = {}, more: Partial<Operation> = {}): Operation {
  return { kind: 'operation', action, system: 'local', id, fields, replaces: {}, reason: 'standardize', entity: `e-${id ?? 'new'}`, ...more };
}

const NOW = '2026-03-01T12:00:00.000Z';
const ANN = {
  id: 'lead-a',
  name: 'Ann Lee',
  email: 'ANN@acme.com',
  company: 'Acme Inc.',
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
};
const BOB = {
  id: 'lead-b',
  name: 'Bob Roy',
  email: 'bob@initech.com',
  company: 'Initech',
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
};

function resultOf(item: StreamItem | undefined): Operation['result'] {
  return isOperation(item) ? item.result : undefined;
}

describe('write-sqlite', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('options', () => {
    it('takes batch_size from synchronization.batch_size and describes every option', () => {
      expect(writeSqlite.options.batch_size).to.include({ default: 50, config: 'synchronization.batch_size', min: 1 });
      expect(writeSqlite.options.create.default).to.equal(false);
      for (const [name, spec] of Object.entries(writeSqlite.options)) expect(spec.description, name).to.match(/^[A-Z].*\.$/);
    });
  });

  describe('operations', () => {
    it('updates only the changed fields, sets updated_at and leaves other columns as they are', async () => {
      const file = await defaultDatabase(dir, [ANN, BOB]);
      const out = await runThrough(writeSqlite, options(file), [op('update', 'lead-a', { email: 'ann@acme.com' }, { replaces: { email: 'ANN@acme.com' } })]);
      expect(resultOf(out[0])).to.deep.equal({ status: 'applied', id: 'lead-a' });
      const [ann, bob] = rows(file);
      expect(ann).to.include({ email: 'ann@acme.com', name: 'Ann Lee', company: 'Acme Inc.', created_at: ANN.created_at, updated_at: NOW });
      expect(bob).to.include({ email: 'bob@initech.com', updated_at: BOB.updated_at });
    });

    it('does not overwrite a column another program changed meanwhile when the operation does not touch it', async () => {
      const file = await defaultDatabase(dir, [ANN]);
      const other = new Database(file);
      other.prepare("UPDATE leads SET company = 'Acme Corp' WHERE id = 'lead-a'").run();
      other.close();
      await runThrough(writeSqlite, options(file), [op('update', 'lead-a', { email: 'ann@acme.com' })]);
      expect(rows(file)[0]).to.include({ company: 'Acme Corp', email: 'ann@acme.com' });
    });

    it('creates records with a new uuid, or the id the operation gives, and stores empty values as NULL', async () => {
      const file = await defaultDatabase(dir, []);
      const out = await runThrough(writeSqlite, options(file), [
        op('create', undefined, { name: 'New Lead', email: '', linkedin_url: 'https://linkedin.com/in/new' }),
        op('create', 'given-id', { name: 'Given', enriched: true }),
      ]);
      const created = resultOf(out[0])!;
      expect(created.status).to.equal('applied');
      expect(created.id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(resultOf(out[1])).to.deep.equal({ status: 'applied', id: 'given-id' });
      const byId = Object.fromEntries(rows(file).map((r) => [r.id, r]));
      expect(byId[created.id!]).to.include({
        name: 'New Lead',
        email: null,
        linkedin_url: 'https://linkedin.com/in/new',
        created_at: NOW,
        updated_at: NOW,
        sync_status: 'pending',
      });
      expect(byId['given-id']).to.include({ name: 'Given', enriched: 1 });
    });

    it('deletes records, and counts deleting one already gone as skipped', async () => {
      const file = await defaultDatabase(dir, [ANN, BOB]);
      const out = await runThrough(writeSqlite, options(file), [op('delete', 'lead-a'), op('delete', 'lead-zz')]);
      expect(out.map(resultOf)).to.deep.equal([
        { status: 'applied', id: 'lead-a' },
        { status: 'skipped', id: 'lead-zz', error: 'already deleted' },
      ]);
      expect(rows(file).map((r) => r.id)).to.deep.equal(['lead-b']);
    });

    it('stores the Airtable link the Airtable writer sends back as a local update', async () => {
      const file = await defaultDatabase(dir, [ANN]);
      await runThrough(writeSqlite, options(file), [
        op('update', 'lead-a', { airtable_id: 'recAnn0001', sync_status: 'synced', airtable_synced: NOW }, { reason: 'sync' }),
      ]);
      expect(rows(file)[0]).to.include({ airtable_id: 'recAnn0001', sync_status: 'synced', airtable_synced: NOW });
    });

    it('links a local record to the Airtable record write-airtable created for it', async () => {
      const file = await defaultDatabase(dir, [ANN, BOB]);
      const created = op(
        'create',
        undefined,
        { name: 'Ann Lee' },
        { system: 'airtable', link: { system: 'local', id: 'lead-a' }, result: { status: 'applied', id: 'recNew0001' } },
      );
      const notApplied = op(
        'create',
        undefined,
        { name: 'Bob Roy' },
        { system: 'airtable', link: { system: 'local', id: 'lead-b' }, result: { status: 'dry_run' } },
      );
      const out = await runThrough(writeSqlite, options(file), [created, notApplied]);
      expect(out[0]).to.equal(created);
      expect(out[1]).to.deep.include({
        action: 'update',
        system: 'local',
        id: 'lead-a',
        fields: { airtable_id: 'recNew0001' },
        reason: 'sync',
        result: { status: 'applied', id: 'lead-a' },
      });
      expect(out[2]).to.equal(notApplied);
      expect(out).to.have.length(3);
      expect(rows(file).map((r) => [r.id, r.airtable_id])).to.deep.equal([
        ['lead-a', 'recNew0001'],
        ['lead-b', null],
      ]);
    });

    it('passes records and Airtable operations through untouched, in order, with local outcomes set', async () => {
      const file = await defaultDatabase(dir, [ANN]);
      const record = { name: 'just a record' };
      const remote = op('update', 'recX', { name: 'x' }, { system: 'airtable' });
      const out = await runThrough(writeSqlite, options(file, { batch_size: 2 }), [
        record,
        op('update', 'lead-a', { title: 'CTO' }),
        remote,
        { name: 'after' },
      ]);
      expect(out[0]).to.equal(record);
      expect(resultOf(out[1])!.status).to.equal('applied');
      expect(out[2]).to.equal(remote);
      expect(resultOf(out[2])).to.equal(undefined);
      expect(out[3]).to.deep.equal({ name: 'after' });
    });

    it('runs through the pipeline adapter: order kept, failures in the rejects file with id and reason', async () => {
      const file = await defaultDatabase(dir, [ANN, BOB]);
      const items = [
        op('update', 'lead-a', { title: 'CEO' }),
        { name: 'a record' },
        op('update', 'ghost', { title: 'x' }),
        op('delete', 'lead-b'),
        op('create', 'lead-n', { name: 'New' }),
        { name: 'last' },
      ];
      const { output, counters, rejects } = await runStage('write-sqlite', { database: file, batch_size: 2, on_error: 'tag' }, items, {
        now: () => new Date(NOW),
      });
      expect(output.map((o) => resultOf(o)?.status ?? o.name)).to.deep.equal(['applied', 'a record', 'failed', 'applied', 'applied', 'last']);
      expect(counters).to.include({ received: 6, sent: 6, rejected: 1 });
      expect(rejects).to.have.length(1);
      expect(rejects[0]).to.include({ reason: 'write_failed' });
      expect(rejects[0]!.message).to.match(/^Local update of record ghost failed: There is no local record with id ghost/);
      expect(rows(file).map((r) => [r.id, r.title, r.updated_at])).to.deep.equal([
        ['lead-a', 'CEO', NOW],
        ['lead-n', null, NOW],
      ]);
    });

    it('takes batch_size from the configuration file and sets failures aside under the default on_error', async () => {
      const file = await defaultDatabase(dir, [ANN]);
      const { output, rejects } = await runStage('write-sqlite', { database: file }, [
        op('update', 'ghost', { title: 'x' }),
        op('update', 'lead-a', { title: 'CTO' }),
      ]);
      expect(output.map((o) => resultOf(o)!.status)).to.deep.equal(['applied']);
      expect(rejects).to.have.length(1);
    });

    it('applies a batch as soon as batch_size objects are queued, holding no more than that', async () => {
      const file = await defaultDatabase(dir, [ANN, BOB]);
      const ctx = makeContext({ stage: 'write-sqlite' });
      const writer = (await writeSqlite.create(options(file, { batch_size: 2 }), ctx)) as { transform(l: StreamItem): unknown; flush(): unknown };
      expect(writer.transform(op('update', 'lead-a', { title: 'A' }))).to.deep.equal([]);
      expect(rows(file)[0]!.title).to.equal(null);
      const emitted = writer.transform(op('update', 'lead-b', { title: 'B' })) as StreamItem[];
      expect(emitted).to.have.length(2);
      expect(rows(file).map((r) => r.title)).to.deep.equal(['A', 'B']);
      expect(writer.transform(op('update', 'lead-a', { title: 'C' }))).to.deep.equal([]);
      expect(writer.flush()).to.have.length(1);
      expect(rows(file)[0]!.title).to.equal('C');
      await ctx.close();
    });
  });

  describe('failures', () => {
    it('rejects a failing operation with the record id and reason and applies the rest of its batch', async () => {
      const file = await defaultDatabase(dir, [ANN, BOB, { id: 'lead-c', name: 'Cy', airtable_id: 'recTaken' }]);
      const ctx = makeContext({ stage: 'write-sqlite', onError: 'tag' });
      const out = await runThrough(
        writeSqlite,
        options(file),
        [
          op('update', 'lead-a', { title: 'CEO' }),
          op('update', 'lead-b', { airtable_id: 'recTaken' }),
          op('update', 'lead-missing', { title: 'x' }),
          op('update', 'lead-a', { favourite_colour: 'blue' }),
          op('update', 'lead-b', { title: 'CFO' }),
        ],
        ctx,
      );
      expect(out.map((o) => resultOf(o)!.status)).to.deep.equal(['applied', 'failed', 'failed', 'failed', 'applied']);
      expect(ctx.rejects.map((r) => [r.reason, r.message])).to.deep.equal([
        ['write_failed', 'Local update of record lead-b failed: UNIQUE constraint failed: leads.airtable_id'],
        [
          'write_failed',
          "Local update of record lead-missing failed: There is no local record with id lead-missing in table 'leads'; it may have been deleted since it was read.",
        ],
        [
          'write_failed',
          `Local update of record lead-a failed: Table 'leads' has no column for field 'favourite_colour'. Add the column (ALTER TABLE "leads" ADD COLUMN "favourite_colour") or map it in config/field-mapping.yaml (local.columns).`,
        ],
      ]);
      expect(rows(file).map((r) => [r.id, r.title, r.airtable_id])).to.deep.equal([
        ['lead-a', 'CEO', null],
        ['lead-b', 'CFO', null],
        ['lead-c', null, 'recTaken'],
      ]);
    });

    it('stops the run after the batch under on_error: fail, and sets the failure aside under skip', async () => {
      const file = await defaultDatabase(dir, [ANN]);
      const failing = [op('update', 'lead-a', { title: 'CEO' }), op('update', 'nobody', { title: 'x' })];
      const error = await runThrough(writeSqlite, options(file), failing, makeContext({ stage: 'write-sqlite', onError: 'fail' })).catch((e) => e);
      expect(error.message).to.match(/^write-sqlite: Local update of record nobody failed: There is no local record with id nobody/);
      expect(rows(file)[0]!.title).to.equal('CEO');
      const ctx = makeContext({ stage: 'write-sqlite', onError: 'skip' });
      const out = await runThrough(writeSqlite, options(file), [op('update', 'lead-a', { title: 'CTO' }), op('update', 'nobody', { title: 'x' })], ctx);
      expect(out).to.have.length(1);
      expect(ctx.rejects).to.have.length(1);
    });

    it("under on_error: skip passes on another writer's failed operation (that writer rejected it; the report and audit log still need it)", async () => {
      const file = await defaultDatabase(dir, [ANN]);
      const failedInAirtable: Operation = {
        ...op('update', 'recAnn', { title: 'CEO' }),
        system: 'airtable',
        result: { status: 'failed', id: 'recAnn', error: 'INVALID_VALUE_FOR_COLUMN' },
      };
      const ctx = makeContext({ stage: 'write-sqlite', onError: 'skip' });
      const out = await runThrough(writeSqlite, options(file), [op('update', 'lead-a', { title: 'CTO' }), failedInAirtable], ctx);
      expect(out.map((o) => (o as Operation).id)).to.deep.equal(['lead-a', 'recAnn']);
      expect(resultOf(out[1])!.status).to.equal('failed');
      expect(ctx.rejects).to.have.length(0);
    });

    it('waits for another process holding the database and then writes', async () => {
      const file = await defaultDatabase(dir, [ANN]);
      const child = spawn(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `
        import Database from 'better-sqlite3';
        const db = new Database(${JSON.stringify(file)});
        db.exec('BEGIN IMMEDIATE');
        db.prepare("UPDATE leads SET company = 'held' WHERE id = 'lead-a'").run();
        process.stdout.write('locked\\n');
        setTimeout(() => { db.exec('COMMIT'); db.close(); }, 400);
      `,
        ],
        { cwd: packageRoot(), stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const exited = new Promise((resolve) => child.on('exit', resolve));
      await new Promise((resolve) => child.stdout.once('data', resolve));
      const started = Date.now();
      const out = await runThrough(writeSqlite, options(file), [op('update', 'lead-a', { title: 'CEO' })]);
      expect(Date.now() - started).to.be.at.least(200);
      expect(resultOf(out[0])!.status).to.equal('applied');
      expect(await exited).to.equal(0);
      expect(rows(file)[0]).to.include({ company: 'held', title: 'CEO' });
    });

    it('fails at set-up, before any operation, when another program holds the database past the busy timeout', async () => {
      const file = await defaultDatabase(dir, [ANN, BOB]);
      const holder = new Database(file);
      holder.exec('BEGIN IMMEDIATE');
      const ctx = makeContext({ stage: 'write-sqlite', onError: 'tag' });
      const items = [op('update', 'lead-a', { title: 'CEO' }), op('update', 'lead-b', { title: 'CFO' }), { name: 'a record' }, op('delete', 'lead-a')];
      const started = Date.now();
      try {
        const error = await runThrough(writeSqlite, options(file, { busy_timeout_ms: 100, batch_size: 2 }), items, ctx).catch((e) => e);
        expect(error.message).to.match(
          /^write-sqlite: The database .*leads\.db is locked by another program and stayed locked past the busy timeout .*raise busy_timeout_ms\.$/,
        );
      } finally {
        holder.exec('ROLLBACK');
        holder.close();
      }
      // One wait for the lock.
      expect(Date.now() - started).to.be.below(1000);
      expect(ctx.rejects).to.deep.equal([]);
      expect(rows(file).map((r) => r.title)).to.deep.equal([null, null]);
    });

    it('stops at the first database failure under on_error: fail', async () => {
      const file = await defaultDatabase(dir, [ANN]);
      const holder = new Database(file);
      holder.exec('BEGIN EXCLUSIVE');
      try {
        const error = await runThrough(
          writeSqlite,
          options(file, { busy_timeout_ms: 50, batch_size: 1 }),
          [op('update', 'lead-a', { title: 'x' }), op('update', 'lead-a', { title: 'y' })],
          makeContext({ stage: 'write-sqlite', onError: 'fail' }),
        ).catch((e) => e);
        expect(error.message).to.contain('is locked by another program');
      } finally {
        holder.exec('ROLLBACK');
        holder.close();
      }
    });

    it("runs alongside another process writing the same database, losing neither side's writes", async () => {
      const ids = Array.from({ length: 600 }, (_, i) => `lead-${String(i).padStart(3, '0')}`);
      const file = await defaultDatabase(
        dir,
        ids.map((id) => ({ id, name: id })),
      );
      const child = spawn(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `
        import Database from 'better-sqlite3';
        const db = new Database(${JSON.stringify(file)}, { timeout: 5000 });
        const insert = db.prepare("INSERT INTO leads (id, name) VALUES (?, 'from child')");
        process.stdout.write('ready\\n');
        for (let i = 0; i < 300; i++) db.transaction(() => insert.run('child-' + i)).immediate();
        db.close();
      `,
        ],
        { cwd: packageRoot(), stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const exited = new Promise((resolve) => child.on('exit', resolve));
      await new Promise((resolve) => child.stdout.once('data', resolve));
      const out = await runThrough(
        writeSqlite,
        options(file, { batch_size: 10 }),
        ids.map((id) => op('update', id, { title: 'updated' })),
      );
      expect(await exited).to.equal(0);
      expect(out.filter((o) => resultOf(o)!.status === 'applied')).to.have.length(600);
      expect(rows(file, "SELECT count(*) AS n FROM leads WHERE title = 'updated'")[0]!.n).to.equal(600);
      expect(rows(file, "SELECT count(*) AS n FROM leads WHERE name = 'from child'")[0]!.n).to.equal(300);
    });

    it('writes while read-sqlite is still reading the same database, even one that was not in WAL mode', async () => {
      const file = fixtureDatabase(dir, 'drifted-leads.sql');
      expect(rows(file, 'PRAGMA journal_mode')).to.deep.equal([{ journal_mode: 'delete' }]);
      const mapping = { columns: { full_name: 'name', name: 'legacy_name' } };
      // As a pipeline does: every stage is created before data moves.
      const readCtx = makeContext({ stage: 'read-sqlite' });
      const writeCtx = makeContext({ stage: 'write-sqlite' });
      const source = (await readSqlite.create({ database: file, busy_timeout_ms: 1000, ...mapping }, readCtx)) as AsyncIterable<Lead>;
      const writer = (await writeSqlite.create(options(file, { ...mapping, batch_size: 1, busy_timeout_ms: 1000 }), writeCtx)) as {
        transform(l: StreamItem): StreamItem[];
      };
      const seen: string[] = [];
      for await (const record of source) {
        seen.push(record.name as string);
        const [done] = writer.transform(op('update', record._meta!.id, { name: String(record.name).toUpperCase() }));
        expect(resultOf(done)!.status).to.equal('applied');
      }
      await readCtx.close();
      await writeCtx.close();
      expect(seen).to.deep.equal(['Amélie Tremblay', 'Jean CÃ´tÃ©', 'Priya Shah']);
      expect(rows(file).map((r) => r.full_name)).to.deep.equal(['AMÉLIE TREMBLAY', 'JEAN CÃ´TÃ©', 'PRIYA SHAH']);
    });

    it('refuses a read-only database file before writing anything', async () => {
      const file = await defaultDatabase(dir, [ANN]);
      fs.chmodSync(file, 0o444);
      const before = fs.readFileSync(file);
      const error = await runThrough(writeSqlite, options(file), [op('update', 'lead-a', { title: 'x' })]).catch((e) => e);
      expect(error.message).to.equal(
        `write-sqlite: The database ${file} is read-only (mode 0444). Make it writable (chmod u+w ${file}) or run with --dry-run.`,
      );
      expect(fs.readFileSync(file).equals(before)).to.equal(true);
    });

    it('fails on a misconfigured table before touching the file, journal mode included', async () => {
      const file = fixtureDatabase(dir, 'drifted-leads.sql');
      const before = fs.readFileSync(file);
      const error = await runThrough(writeSqlite, options(file, { columns: { fullname: 'name' } }), [op('update', 'lead-1', { name: 'x' })]).catch((e) => e);
      expect(error.message).to.contain("write-sqlite.columns.fullname: Table 'leads' in");
      expect(fs.readFileSync(file).equals(before)).to.equal(true);
      expect(rows(file, 'PRAGMA journal_mode')).to.deep.equal([{ journal_mode: 'delete' }]);
    });

    it('refuses a corrupt database file and leaves it as it was', async () => {
      const file = path.join(dir, 'leads.db');
      const bytes = Buffer.alloc(8192, 0xab);
      fs.writeFileSync(file, bytes);
      const error = await runThrough(writeSqlite, options(file), [op('create', undefined, { name: 'x' })]).catch((e) => e);
      expect(error.message).to.contain('is not a SQLite database or is corrupt');
      expect(fs.readFileSync(file).equals(bytes)).to.equal(true);
    });
  });

  describe('journal', () => {
    /** A context whose run journal is a real journal file in the test directory. */
    function journaled(observer?: (event: string, seqs: number[]) => void) {
      const file = path.join(dir, 'journal.jsonl');
      const journal = new RunJournal(file, 'run-test', {}, observer);
      const ctx = makeContext({ stage: 'write-sqlite', journal: () => journal });
      ctx.onClose(() => journal.close());
      return { ctx, read: () => readJournal(file) };
    }

    it('journals what each update and delete replaced as the database held it when written, not as the operation says', async () => {
      const file = await defaultDatabase(dir, [ANN, BOB]);
      // Another program changes Ann after the operations were planned from an older read.
      const other = new Database(file);
      other.prepare("UPDATE leads SET email = 'ann@elsewhere.com', updated_at = '2026-02-01T00:00:00.000Z' WHERE id = 'lead-a'").run();
      other.close();
      const { ctx, read } = journaled();
      await runThrough(
        writeSqlite,
        options(file),
        [op('update', 'lead-a', { email: 'ann@acme.com' }, { replaces: { email: 'ANN@acme.com' } }), op('delete', 'lead-b')],
        ctx,
      );
      const [update, remove] = read().ops;
      expect(update).to.deep.include({
        action: 'update',
        id: 'lead-a',
        replaces: { email: 'ANN@acme.com' },
        before: { email: 'ann@elsewhere.com', updated_at: '2026-02-01T00:00:00.000Z' },
      });
      expect(update!.result).to.deep.equal({ status: 'applied', id: 'lead-a' });
      expect(remove!.before).to.deep.include({ ...BOB, enriched: 0 });
      expect(rows(file)).to.have.length(1);
    });

    it('journals a large batch applied again without its failing operation once: one line per operation, in order, with what each replaced', async () => {
      const leads = Array.from({ length: 1500 }, (_, i) => ({ id: `lead-${String(i).padStart(4, '0')}`, name: `Lead ${i}`, title: `old ${i}` }));
      const file = await defaultDatabase(dir, leads);
      const seventh = rows(file)[7]!;
      const { ctx, read } = journaled();
      const long = 'Head of '.repeat(100);
      // More than a megabyte of journal before the failure: the first attempt's lines reach the file and are taken back.
      const ops = [...leads.map((l) => op('update', l.id, { title: long })), op('update', 'lead-gone', { title: long })];
      const out = await runThrough(writeSqlite, options(file, { batch_size: 2000 }), ops, ctx);
      expect(out.map((o) => resultOf(o)!.status).filter((s) => s !== 'applied')).to.deep.equal(['failed']);
      const journal = read();
      expect(journal.ops.map((o) => o.seq)).to.deep.equal(Array.from({ length: 1501 }, (_, i) => i + 1));
      expect(journal.ops.map((o) => o.id)).to.deep.equal(ops.map((o) => (o as unknown as Operation).id));
      expect(journal.ops[7]!.before).to.deep.equal({ title: 'old 7', updated_at: seventh.updated_at });
      expect(journal.ops[1500]!.result).to.deep.include({ status: 'failed', id: 'lead-gone' });
      expect(journal.ops[1500]!.before).to.equal(undefined);
      expect(fs.readFileSync(path.join(dir, 'journal.jsonl'), 'utf8').split('"t":"op"')).to.have.length(1502);
      expect(rows(file).filter((r) => r.title === long)).to.have.length(1500);
    });

    it('writes a batch to the journal before it commits: a failure at that point leaves the batch unapplied and the earlier ones applied', async () => {
      const file = await defaultDatabase(dir, [ANN, BOB]);
      let intended = 0;
      const { ctx, read } = journaled((event) => {
        if (event === 'intended' && ++intended === 2) throw new Error('the journal disk is full');
      });
      const error = await runThrough(
        writeSqlite,
        options(file, { batch_size: 1 }),
        [op('update', 'lead-a', { email: 'ann@acme.com' }), op('update', 'lead-b', { email: 'bob@initech.io' })],
        ctx,
      ).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).to.contain('the journal disk is full');
      expect(rows(file).map((r) => r.email)).to.deep.equal(['ann@acme.com', 'bob@initech.com']);
      // The second batch is journaled with no outcome: resume will look and find it not applied.
      expect(read().ops.map((o) => [o.id, o.result?.status])).to.deep.equal([
        ['lead-a', 'applied'],
        ['lead-b', undefined],
      ]);
    });
  });

  describe('dry run', () => {
    it('applies nothing, leaves the file unchanged and marks what would be applied or fail', async () => {
      const file = await defaultDatabase(dir, [ANN]);
      const before = fs.readFileSync(file);
      const ctx = makeContext({ stage: 'write-sqlite', dryRun: true });
      const out = await runThrough(
        writeSqlite,
        options(file),
        [op('update', 'lead-a', { title: 'CEO' }), op('create', 'x', { name: 'X' }), op('delete', 'lead-a'), op('update', 'lead-a', { nope: 1 })],
        ctx,
      );
      expect(out.map((o) => resultOf(o)!.status)).to.deep.equal(['dry_run', 'dry_run', 'dry_run', 'failed']);
      expect(fs.readFileSync(file).equals(before)).to.equal(true);
      expect(fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0).to.equal(0);
      expect(rows(file)).to.have.length(1);
    });

    it('does not create a missing database', async () => {
      const file = path.join(dir, 'new.db');
      const out = await runThrough(
        writeSqlite,
        options(file, { create: true }),
        [op('create', undefined, { name: 'X' })],
        makeContext({ stage: 'write-sqlite', dryRun: true }),
      );
      expect(resultOf(out[0])!.status).to.equal('dry_run');
      expect(fs.existsSync(file)).to.equal(false);
    });
  });

  describe('round trip', () => {
    it('reads back what it wrote: read, create in a new database, read again gives the same records', async () => {
      const source = await defaultDatabase(dir, [
        { ...ANN, linkedin_url: 'https://ca.linkedin.com/in/ann/', enriched: 1, lead_score: 42 },
        { ...BOB, name: "Zoë O'Brien; DROP TABLE leads; --", company: 'Müller & Söhne 李', notes: '%_\\"' },
        { id: 'lead-c', name: null, created_at: '2025-05-05T05:05:05.000Z', updated_at: '2026-01-01T00:00:00.000Z' },
      ]);
      const first = await readAll(readSqlite, { database: source, busy_timeout_ms: 5000 });
      const target = path.join(dir, 'copy.db');
      const creates = first.map((r) => {
        const { _meta, ...fields } = r;
        return op('create', _meta!.id, { ...fields, created_at: _meta!.created_at });
      });
      await runThrough(writeSqlite, options(target, { create: true }), creates);
      const second = await readAll(readSqlite, { database: target, busy_timeout_ms: 5000 });
      const strip = (records: Lead[]) => records.map(({ _meta, ...fields }) => ({ fields, id: _meta!.id, created_at: _meta!.created_at }));
      expect(strip(second)).to.deep.equal(strip(first));
      expect(second.every((r) => r._meta!.modified_at === NOW)).to.equal(true);
    });

    it('writes a drifted table through its mapping: full_name as name, booleans as the column stores them', async () => {
      const file = fixtureDatabase(dir, 'drifted-leads.sql');
      const mapping = { columns: { full_name: 'name', name: 'legacy_name', job_title: 'title' } };
      const out = await runThrough(writeSqlite, options(file, mapping), [
        op('update', 'lead-2', { name: 'Jean Côté', needs_enrichment: false, airtable_synced: true, raw_data: { tags: ['a'] } }),
        op('create', 'lead-4', { name: 'Dana', title: 'COO', needs_enrichment: true }),
      ]);
      expect(out.map((o) => resultOf(o)!.status)).to.deep.equal(['applied', 'applied']);
      const byId = Object.fromEntries(rows(file).map((r) => [r.id, r]));
      expect(byId['lead-2']).to.include({
        full_name: 'Jean Côté',
        name: null,
        needs_enrichment: 'false',
        airtable_synced: 1,
        raw_data: '{"tags":["a"]}',
        updated_at: NOW,
      });
      expect(byId['lead-4']).to.include({ full_name: 'Dana', job_title: 'COO', needs_enrichment: 'true', created_at: NOW });
      expect(byId['lead-1']).to.include({ updated_at: '2025-08-14 10:00:00', needs_enrichment: 'true' });
    });

    it('lets SQLite number new rows of a table with an INTEGER primary key', async () => {
      const file = path.join(dir, 'unified.db');
      const db = new Database(file);
      db.exec('CREATE TABLE leads (id INTEGER PRIMARY KEY AUTOINCREMENT, full_name TEXT, created_at TEXT, updated_at TEXT)');
      db.close();
      const out = await runThrough(writeSqlite, options(file, { columns: { full_name: 'name' } }), [
        op('create', undefined, { name: 'A' }),
        op('create', undefined, { name: 'B' }),
      ]);
      expect(out.map((o) => resultOf(o)!.id)).to.deep.equal(['1', '2']);
      const read = await readAll(readSqlite, { database: file, busy_timeout_ms: 5000, columns: { full_name: 'name' } });
      expect(read.map((r) => [r._meta!.id, r.name])).to.deep.equal([
        ['1', 'A'],
        ['2', 'B'],
      ]);
    });

    it('writes tables and columns whose names need quoting', async () => {
      const file = fixtureDatabase(dir, 'unicode-columns.sql');
      const mapping = path.join(dir, 'mapping.yaml');
      fs.writeFileSync(mapping, 'field_mapping:\n  database_to_airtable: {}\n  airtable_to_database: {}\n  local:\n    created_column: null\n');
      const out = await runThrough(writeSqlite, options(file, { field_mapping: mapping, table: 'lead "list"', columns: { société: 'company' } }), [
        op('update', "a'1", { company: 'L\'Oréal "SA"; --', order: 'x' }),
      ]);
      expect(resultOf(out[0])!.status).to.equal('applied');
      expect(rows(file, 'SELECT * FROM "lead ""list""" ORDER BY id')[0]).to.include({ société: 'L\'Oréal "SA"; --', order: 'x', updated_at: NOW });
    });
  });

  describe('in a pipeline', () => {
    it('applies what diff plans from both systems: read-jsonl (Airtable export) → read-sqlite → diff → write-sqlite', async () => {
      const file = await defaultDatabase(dir, [
        { ...ANN, title: 'CTO', airtable_id: 'recAnn', updated_at: '2026-01-01T00:00:00.000Z' },
        { ...BOB, title: 'CFO', airtable_id: 'recBob', updated_at: '2026-01-01T00:00:00.000Z' },
      ]);
      const airtable = writeJsonl(dir, 'airtable.jsonl', [
        {
          name: 'Ann Lee',
          email: 'ANN@acme.com',
          company: 'Acme Inc.',
          title: 'CEO',
          _meta: { source: 'airtable', id: 'recAnn', modified_at: '2026-02-01T00:00:00.000Z' },
        },
        {
          name: 'Bob Roy',
          email: 'bob@initech.com',
          company: 'Initech',
          title: 'CFO',
          _meta: { source: 'airtable', id: 'recBob', modified_at: '2025-12-01T00:00:00.000Z' },
        },
        { name: 'Cy New', email: 'cy@new.io', _meta: { source: 'airtable', id: 'recCy', modified_at: '2026-02-01T00:00:00.000Z' } },
      ]);
      const pipeline = definePipeline(
        [
          { 'read-jsonl': { path: airtable } },
          { 'read-sqlite': { database: file } },
          { diff: { direction: 'to_local', review_file: path.join(dir, 'review.jsonl') } },
          { 'write-sqlite': { database: file, on_error: 'fail' } },
        ],
        { rejects: path.join(dir, 'rejects.jsonl') },
      );
      await runPipeline(pipeline, { now: () => new Date(NOW) });
      const stored = rows(file, 'SELECT name, email, title, airtable_id, updated_at FROM leads ORDER BY name');
      expect(stored).to.deep.equal([
        { name: 'Ann Lee', email: 'ANN@acme.com', title: 'CEO', airtable_id: 'recAnn', updated_at: NOW },
        { name: 'Bob Roy', email: 'bob@initech.com', title: 'CFO', airtable_id: 'recBob', updated_at: '2026-01-01T00:00:00.000Z' },
        { name: 'Cy New', email: 'cy@new.io', title: null, airtable_id: 'recCy', updated_at: NOW },
      ]);
      expect(fs.existsSync(path.join(dir, 'rejects.jsonl'))).to.equal(false);
    });
  });
});
