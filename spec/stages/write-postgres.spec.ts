import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type pg from 'pg';
import writePostgres, { type WritePostgresOptions } from '../../stages/write-postgres.js';
import readPostgres from '../../stages/read-postgres.js';
import { isOperation, type Operation } from '../../lib/core/operation.js';
import type { StreamItem } from '../../lib/core/types.js';
import { readJournal } from '../../lib/core/journal-read.js';
import { RunJournal } from '../../lib/core/journal.js';
import { runStage, tempDir } from '../helpers.js';
import { makeContext, readAll, runThrough } from '../lib/sqlite/support.js';
import { leadsTable, postgresOrSkip, type TestPostgres } from '../support/postgres.js';

const options = (more: Partial<WritePostgresOptions> = {}): WritePostgresOptions => ({
  batch_size: 50,
  link_field: 'airtable_id',
  retries: 3,
  connect_timeout_ms: 10000,
  ...more,
});

function op(action: Operation['action'], id: string | undefined, fields: Record<string, unknown> = {}, more: Partial<Operation> = {}): Operation {
  return { kind: 'operation', action, system: 'local', id, fields, replaces: {}, reason: 'standardize', entity: `e-${id ?? 'new'}`, ...more };
}

const NOW = '2026-03-01T12:00:00.000Z';
const OLD = '2026-01-01T00:00:00.000Z';
const ANN = { id: 'lead-a', name: 'Ann Lee', email: 'ANN@acme.com', company: 'Acme Inc.', created_at: OLD, updated_at: OLD };
const BOB = { id: 'lead-b', name: 'Bob Roy', email: 'bob@initech.com', company: 'Initech', created_at: OLD, updated_at: OLD };

const resultOf = (item: StreamItem | undefined): Operation['result'] => (isOperation(item) ? item.result : undefined);

describe('write-postgres', () => {
  let db: TestPostgres;
  let admin: pg.Client;
  let savedUrl: string | undefined;
  let dir: string;
  before(async function () {
    db = await postgresOrSkip(this);
    admin = await db.client();
    savedUrl = process.env.LEADS_DATABASE_URL;
    process.env.LEADS_DATABASE_URL = db.url;
  });
  after(async () => {
    await admin?.end();
    if (savedUrl === undefined) delete process.env.LEADS_DATABASE_URL;
    else process.env.LEADS_DATABASE_URL = savedUrl;
  });
  beforeEach(() => {
    dir = tempDir('pg-write-');
  });

  const rows = async (sql = "SELECT *, to_json(updated_at) #>> '{}' AS updated FROM leads ORDER BY id"): Promise<Array<Record<string, unknown>>> =>
    (await admin.query(sql)).rows;
  const iso = (value: unknown): string => new Date(value as string).toISOString();

  function journaled(observer?: (event: string, seqs: number[]) => void) {
    const file = path.join(dir, 'journal.jsonl');
    const journal = new RunJournal(file, 'run-test', {}, observer);
    const ctx = makeContext({ stage: 'write-postgres', journal: () => journal });
    ctx.onClose(() => journal.close());
    return { ctx, file, journal, read: () => readJournal(file) };
  }

  describe('options', () => {
    it('takes batch_size from synchronization.batch_size and describes every option', () => {
      expect(writePostgres.options.batch_size).to.include({ default: 50, config: 'synchronization.batch_size', min: 1 });
      for (const [name, spec] of Object.entries(writePostgres.options)) expect(spec.description, name).to.match(/^[A-Z].*\.$/);
    });
  });

  describe('operations', () => {
    it('updates only the changed fields, sets the modified column and leaves other rows and columns as they are', async () => {
      await leadsTable(admin, [ANN, BOB]);
      await admin.query(`UPDATE leads SET company = 'Acme Corp' WHERE id = 'lead-a'`);
      const out = await runThrough(writePostgres, options(), [op('update', 'lead-a', { email: 'ann@acme.com' }, { replaces: { email: 'ANN@acme.com' } })]);
      expect(resultOf(out[0])).to.deep.equal({ status: 'applied', id: 'lead-a' });
      const [ann, bob] = await rows();
      expect(ann).to.include({ email: 'ann@acme.com', name: 'Ann Lee', company: 'Acme Corp' });
      expect(iso(ann!.updated_at)).to.equal(NOW);
      expect(iso(bob!.updated_at)).to.equal(OLD);
    });

    it('creates records with a new uuid, or the id given, stores empty values as NULL and booleans as booleans', async () => {
      await leadsTable(admin, []);
      const out = await runThrough(writePostgres, options(), [
        op('create', undefined, { name: 'New Lead', email: '', lead_score: '42' }),
        op('create', 'given-id', { name: 'Given', enriched: true }),
      ]);
      const created = resultOf(out[0])!;
      expect(created.id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(resultOf(out[1])).to.deep.equal({ status: 'applied', id: 'given-id' });
      const byId = Object.fromEntries((await rows()).map((r) => [r.id, r]));
      expect(byId[created.id!]).to.include({ name: 'New Lead', email: null, lead_score: 42, sync_status: 'pending', enriched: false });
      expect(iso(byId[created.id!]!.created_at)).to.equal(NOW);
      expect(byId['given-id']).to.include({ name: 'Given', enriched: true });
    });

    it('lets the server number new rows of a table with an identity key', async () => {
      await admin.query('DROP TABLE IF EXISTS numbered');
      await admin.query('CREATE TABLE numbered (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text)');
      const out = await runThrough(writePostgres, options({ table: 'numbered', modified_column: '', created_column: '' }), [
        op('create', undefined, { name: 'One' }),
        op('create', undefined, { name: 'Two' }),
      ]);
      expect(out.map(resultOf)).to.deep.equal([
        { status: 'applied', id: '1' },
        { status: 'applied', id: '2' },
      ]);
      expect((await rows('SELECT id::int, name FROM numbered ORDER BY id')).map((r) => [r.id, r.name])).to.deep.equal([
        [1, 'One'],
        [2, 'Two'],
      ]);
    });

    it('links a local record to the Airtable record write-airtable created for it, after passing that create on', async () => {
      await leadsTable(admin, [ANN, BOB]);
      const created = op(
        'create',
        undefined,
        { name: 'Ann Lee' },
        { system: 'airtable', link: { system: 'local', id: 'lead-a' }, result: { status: 'applied', id: 'recNew0001' } },
      );
      const failed = op(
        'create',
        undefined,
        { name: 'Bob Roy' },
        { system: 'airtable', link: { system: 'local', id: 'lead-b' }, result: { status: 'failed', error: 'x' } },
      );
      const out = await runThrough(writePostgres, options(), [created, failed]);
      expect(out[0]).to.equal(created);
      expect(out[1]).to.deep.include({ action: 'update', system: 'local', id: 'lead-a', fields: { airtable_id: 'recNew0001' } });
      expect(resultOf(out[1])).to.deep.equal({ status: 'applied', id: 'lead-a' });
      expect(out[2]).to.equal(failed);
      expect((await rows()).map((r) => [r.id, r.airtable_id])).to.deep.equal([
        ['lead-a', 'recNew0001'],
        ['lead-b', null],
      ]);
    });

    it('deletes records, and counts deleting one already gone as skipped', async () => {
      await leadsTable(admin, [ANN, BOB]);
      const out = await runThrough(writePostgres, options(), [op('delete', 'lead-a'), op('delete', 'lead-zz')]);
      expect(out.map(resultOf)).to.deep.equal([
        { status: 'applied', id: 'lead-a' },
        { status: 'skipped', id: 'lead-zz', error: 'already deleted' },
      ]);
      expect((await rows()).map((r) => r.id)).to.deep.equal(['lead-b']);
    });

    it('runs through the pipeline adapter: order kept, batches of batch_size, failures in the rejects file with id and reason', async () => {
      await leadsTable(admin, [ANN, BOB, { id: 'lead-c', name: 'Cy', airtable_id: 'recTaken' }]);
      const items = [
        op('update', 'lead-a', { title: 'CEO' }),
        { name: 'a record' },
        op('update', 'ghost', { title: 'x' }),
        op('update', 'lead-b', { airtable_id: 'recTaken' }),
        op('update', 'lead-a', { favourite_colour: 'blue' }),
        op('create', 'lead-n', { name: 'O\'Brien "; DROP TABLE leads; --' }),
        op('update', 'lead-b', { notes: 'bad\u0000byte' }),
        { name: 'last' },
      ];
      const { output, counters, rejects } = await runStage('write-postgres', { batch_size: 2, on_error: 'tag' }, items, { now: () => new Date(NOW) });
      expect(output.map((o) => resultOf(o)?.status ?? o.name)).to.deep.equal([
        'applied',
        'a record',
        'failed',
        'failed',
        'failed',
        'applied',
        'failed',
        'last',
      ]);
      expect(counters).to.include({ received: 8, sent: 8, rejected: 4 });
      expect(rejects.map((r) => r.message)).to.deep.equal([
        "Local update of record ghost failed: There is no local record with id ghost in table 'leads'; it may have been deleted since it was read.",
        'Local update of record lead-b failed: duplicate key value violates unique constraint "leads_airtable_id_key"',
        `Local update of record lead-a failed: Table 'leads' has no column for field 'favourite_colour'. Add the column (ALTER TABLE "leads" ADD COLUMN "favourite_colour" text) or map it in the field mapping (local.columns).`,
        "Local update of record lead-b failed: Field 'notes': PostgreSQL text cannot hold a NUL character (\\u0000); remove it from the value.",
      ]);
      expect((await rows()).map((r) => [r.id, r.title, r.airtable_id, r.name])).to.deep.equal([
        ['lead-a', 'CEO', null, 'Ann Lee'],
        ['lead-b', null, null, 'Bob Roy'],
        ['lead-c', null, 'recTaken', 'Cy'],
        ['lead-n', null, null, 'O\'Brien "; DROP TABLE leads; --'],
      ]);
    });

    it('writes a schema-qualified table and columns whose names need quoting', async () => {
      await admin.query('DROP SCHEMA IF EXISTS "crm ""x""" CASCADE');
      await admin.query('CREATE SCHEMA "crm ""x"""');
      await admin.query(`CREATE TABLE "crm ""x"""."le.ads" (id text PRIMARY KEY, "Full Name" text, "upd""at" timestamptz)`);
      await admin.query(`INSERT INTO "crm ""x"""."le.ads" VALUES ('a', 'Old', NULL)`);
      const out = await runThrough(
        writePostgres,
        options({ table: '"crm ""x"""."le.ads"', modified_column: 'upd"at', created_column: '', columns: { 'Full Name': 'name' } }),
        [op('update', 'a', { name: 'Zoë 🚀' }), op('create', 'b', { name: "'; DROP SCHEMA public; --" })],
      );
      expect(out.map((o) => resultOf(o)!.status)).to.deep.equal(['applied', 'applied']);
      expect((await rows(`SELECT id, "Full Name" AS name FROM "crm ""x"""."le.ads" ORDER BY id`)).map((r) => r.name)).to.deep.equal([
        'Zoë 🚀',
        "'; DROP SCHEMA public; --",
      ]);
    });
  });

  describe('journal and dropped connections', () => {
    it('journals what each update and delete replaced as the server held it when written, and never the password', async () => {
      await leadsTable(admin, [ANN, BOB]);
      await admin.query(`UPDATE leads SET email = 'ann@elsewhere.com' WHERE id = 'lead-a'`);
      const { ctx, file, read } = journaled();
      await runThrough(
        writePostgres,
        options(),
        [op('update', 'lead-a', { email: 'ann@acme.com' }, { replaces: { email: 'ann@elsewhere.com' } }), op('delete', 'lead-b')],
        ctx,
      );
      const journal = read();
      const [update, remove] = journal.ops;
      expect(update).to.deep.include({ action: 'update', id: 'lead-a', before: { email: 'ann@elsewhere.com', updated_at: OLD } });
      expect(update!.result).to.deep.equal({ status: 'applied', id: 'lead-a' });
      expect(remove!.before).to.deep.include({ id: 'lead-b', name: 'Bob Roy', email: 'bob@initech.com', enriched: false });
      expect(journal.targets[0]).to.deep.include({ system: 'local', table: 'leads', id_column: 'id', modified_column: 'updated_at' });
      expect(fs.readFileSync(file, 'utf8')).to.include(`127.0.0.1:${db.port}/${db.database}`).and.not.include(db.password);
    });

    it('applies a batch again on a new connection when its connection is terminated mid-batch: every operation once', async () => {
      await leadsTable(
        admin,
        Array.from({ length: 6 }, (_, i) => ({ id: `lead-${i}`, title: `old ${i}` })),
      );
      await admin.query(`DROP SEQUENCE IF EXISTS stall_once; CREATE SEQUENCE stall_once;
        CREATE OR REPLACE FUNCTION stall() RETURNS trigger AS $$ BEGIN
          IF NEW.title = 'stall' AND nextval('stall_once') = 1 THEN PERFORM pg_sleep(30); END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
        CREATE TRIGGER stall BEFORE UPDATE ON leads FOR EACH ROW EXECUTE FUNCTION stall();`);
      const { ctx, read } = journaled();
      const ops = [
        op('update', 'lead-0', { title: 'T0' }),
        op('create', 'lead-new', { name: 'New' }),
        op('update', 'lead-2', { title: 'stall' }),
        op('update', 'lead-3', { title: 'T3' }),
      ];
      const running = runThrough(writePostgres, options({ batch_size: 4 }), ops, ctx);
      let terminated = 0;
      for (let i = 0; i < 200 && terminated === 0; i++) {
        await new Promise((r) => setTimeout(r, 25));
        const { rows: killed } = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'lead-maintenance' AND wait_event = 'PgSleep' AND datname = current_database()`,
        );
        terminated = killed.length;
      }
      const out = await running;
      expect(terminated).to.equal(1);
      expect(out.map((o) => resultOf(o)!.status)).to.deep.equal(['applied', 'applied', 'applied', 'applied']);
      expect((await rows()).map((r) => [r.id, r.title ?? r.name])).to.deep.equal([
        ['lead-0', 'T0'],
        ['lead-1', 'old 1'],
        ['lead-2', 'stall'],
        ['lead-3', 'T3'],
        ['lead-4', 'old 4'],
        ['lead-5', 'old 5'],
        ['lead-new', 'New'],
      ]);
      const journal = read();
      expect(journal.ops.map((o) => [o.seq, o.id, o.result?.status])).to.deep.equal([
        [1, 'lead-0', 'applied'],
        [2, 'lead-new', 'applied'],
        [3, 'lead-2', 'applied'],
        [4, 'lead-3', 'applied'],
      ]);
      expect(journal.ops[0]!.before).to.deep.equal({ title: 'old 0', updated_at: journal.ops[0]!.before!.updated_at });
    });

    it('keeps the lines another writer journaled while a batch was retried after its connection was terminated', async () => {
      await leadsTable(
        admin,
        Array.from({ length: 3 }, (_, i) => ({ id: `lead-${i}`, title: `old ${i}` })),
      );
      await admin.query(`DROP SEQUENCE IF EXISTS stall_once; CREATE SEQUENCE stall_once;
        CREATE OR REPLACE FUNCTION stall() RETURNS trigger AS $$ BEGIN
          IF NEW.title = 'stall' AND nextval('stall_once') = 1 THEN PERFORM pg_sleep(30); END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
        CREATE TRIGGER stall BEFORE UPDATE ON leads FOR EACH ROW EXECUTE FUNCTION stall();`);
      const { ctx, journal, read } = journaled();
      const running = runThrough(
        writePostgres,
        options({ batch_size: 3 }),
        [op('update', 'lead-0', { title: 'T0' }), op('update', 'lead-1', { title: 'stall' }), op('update', 'lead-2', { title: 'T2' })],
        ctx,
      );
      let terminated = 0;
      for (let i = 0; i < 200 && terminated === 0; i++) {
        await new Promise((r) => setTimeout(r, 25));
        const stalled = await admin.query(
          `SELECT pid FROM pg_stat_activity WHERE application_name = 'lead-maintenance' AND wait_event = 'PgSleep' AND datname = current_database()`,
        );
        if (!stalled.rowCount) continue;
        // write-airtable, in the same run, journals a request while the local batch waits on the server.
        const airtable: Operation = { ...op('update', 'recAirtable1', { Title: 'x' }), system: 'airtable' };
        const [seq] = journal.intend([airtable]);
        journal.settle([seq!], [{ status: 'applied', id: 'recAirtable1' }]);
        terminated = (await admin.query('SELECT pg_terminate_backend($1)', [stalled.rows[0].pid])).rowCount ?? 0;
      }
      await running;
      expect(terminated).to.equal(1);
      const ops = read().ops;
      expect(ops.map((o) => [o.system, o.id, o.result?.status])).to.deep.equal([
        ['airtable', 'recAirtable1', 'applied'],
        ['local', 'lead-0', 'applied'],
        ['local', 'lead-1', 'applied'],
        ['local', 'lead-2', 'applied'],
      ]);
      expect(new Set(ops.map((o) => o.seq)).size).to.equal(4);
    });

    it('leaves a batch whose connection is terminated as it commits wholly unapplied, says so, and keeps the batches before it', async () => {
      await leadsTable(admin, [ANN, BOB, { id: 'lead-c', name: 'Cy' }]);
      const psql = path.join(db.binDir, 'psql');
      let intended = 0;
      const { ctx, read } = journaled((event) => {
        if (event !== 'intended' || ++intended !== 2) return;
        // Synchronously, between the batch's last statement and its COMMIT.
        spawnSync(psql, [db.url, '-qAtc', `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'lead-maintenance'`]);
      });
      const error = await runThrough(
        writePostgres,
        options({ batch_size: 2 }),
        [
          op('update', 'lead-a', { title: 'A' }),
          op('update', 'lead-b', { title: 'B' }),
          op('update', 'lead-c', { title: 'C' }),
          op('create', 'lead-d', { name: 'D' }),
        ],
        ctx,
      ).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).to.match(
        /connection was lost as the batch committed, and the server rolled it back \(transaction \d+: aborted\): none of it was applied/,
      );
      expect((await rows()).map((r) => [r.id, r.title])).to.deep.equal([
        ['lead-a', 'A'],
        ['lead-b', 'B'],
        ['lead-c', null],
      ]);
      expect(read().ops.map((o) => [o.id, o.result?.status])).to.deep.equal([
        ['lead-a', 'applied'],
        ['lead-b', 'applied'],
        ['lead-c', undefined],
        ['lead-d', undefined],
      ]);
    });
  });

  describe('set-up', () => {
    it('refuses, before anything is written, a user who may not write the table, naming the GRANT', async () => {
      await leadsTable(admin, [ANN]);
      const role = `reader_${process.pid}`;
      await admin.query(`DROP ROLE IF EXISTS ${role}; CREATE ROLE ${role} LOGIN PASSWORD 'reader-pw-1'; GRANT SELECT ON leads TO ${role}`);
      const url = db.url.replace(`${db.user}:${encodeURIComponent(db.password)}`, `${role}:reader-pw-1`);
      try {
        process.env.LEADS_DATABASE_URL = url;
        const error = await runThrough(writePostgres, options(), [op('update', 'lead-a', { title: 'x' })]).then(
          () => undefined,
          (e: Error) => e,
        );
        expect(error?.message)
          .to.include('may not INSERT, UPDATE, DELETE table')
          .and.include(`GRANT INSERT, UPDATE, DELETE ON "leads"`)
          .and.not.include('reader-pw-1');
        const records = await readAll(readPostgres, { fetch_size: 100 });
        expect(records).to.have.length(1);
      } finally {
        process.env.LEADS_DATABASE_URL = db.url;
        await admin.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
      }
      expect((await rows())[0]!.title).to.equal(null);
    });

    it('in a dry run, applies nothing and marks what would be applied or fail', async () => {
      await leadsTable(admin, [ANN]);
      const before = await rows();
      const ctx = makeContext({ stage: 'write-postgres', dryRun: true });
      const out = await runThrough(
        writePostgres,
        options(),
        [op('update', 'lead-a', { title: 'CEO' }), op('create', 'x', { name: 'X' }), op('delete', 'lead-a'), op('update', 'lead-a', { nope: 1 })],
        ctx,
      );
      expect(out.map((o) => resultOf(o)!.status)).to.deep.equal(['dry_run', 'dry_run', 'dry_run', 'failed']);
      expect(await rows()).to.deep.equal(before);
    });
  });

  describe('round trip', () => {
    it('reads back what it wrote: read, create in an empty table, read again gives the same records', async () => {
      await leadsTable(admin, [ANN, BOB, { id: 'lead-c', name: 'Zoë "Q" \\ 🚀', lead_score: 7, enriched: true }]);
      const first = await readAll(readPostgres, { fetch_size: 2 });
      await leadsTable(admin, [], 'copy');
      const creates = first.map((r) => {
        const { _meta, ...fields } = r;
        return op('create', _meta!.id, fields);
      });
      await runThrough(writePostgres, options({ table: 'copy' }), creates);
      const second = await readAll(readPostgres, { fetch_size: 2, table: 'copy' });
      const fieldsOf = (records: typeof first) => records.map(({ _meta, ...fields }) => [_meta!.id, fields]);
      expect(fieldsOf(second)).to.deep.equal(fieldsOf(first));
    });
  });
});
