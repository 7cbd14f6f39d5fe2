import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type pg from 'pg';
import readPostgres, { type ReadPostgresOptions } from '../../stages/read-postgres.js';
import { ConfigError, StageError } from '../../lib/core/errors.js';
import { cli, runStage, tempDir } from '../helpers.js';
import { makeContext, readAll } from '../lib/sqlite/support.js';
import { leadsTable, postgresOrSkip, type TestPostgres } from '../support/postgres.js';

const options = (more: Partial<ReadPostgresOptions> = {}): ReadPostgresOptions => ({ fetch_size: 2000, connect_timeout_ms: 10000, ...more });

const ANN = {
  id: 'lead-a',
  name: 'Ann Lee',
  email: 'ann@acme.com',
  company: 'Acme Inc.',
  status: 'new',
  sync_status: 'pending',
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-05T00:00:00.000Z',
};
const BOB = {
  id: 'lead-b',
  name: 'Bob Roy',
  email: null,
  company: 'Initech LLC',
  status: 'contacted',
  sync_status: 'synced',
  airtable_id: 'recBob',
  created_at: '2026-01-02T00:00:00.000Z',
  updated_at: '2026-02-01T00:00:00.000Z',
};

describe('read-postgres', () => {
  let db: TestPostgres;
  let admin: pg.Client;
  let savedUrl: string | undefined;
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

  const ids = (records: Array<{ _meta?: { id?: string } }>): Array<string | undefined> => records.map((r) => r._meta?.id);

  describe('options', () => {
    it('describes every option and rejects a since that is not a time before data moves', () => {
      for (const [name, spec] of Object.entries(readPostgres.options)) expect(spec.description, name).to.match(/^[A-Z].*\.$/);
      expect(readPostgres.check!(options({ since: 'yesterday', where: { status: [] } }))).to.deep.equal([
        { path: 'since', message: "'yesterday' is not a time; give an ISO 8601 time such as 2026-01-31T00:00:00Z." },
        { path: 'where.status', message: 'Give a value, null, or a non-empty list of values.' },
      ]);
    });
  });

  describe('records', () => {
    it('emits each row with canonical fields and _meta: source, id, times as ISO 8601 UTC and the values as read', async () => {
      await leadsTable(admin, [ANN]);
      const [record, ...rest] = await readAll(readPostgres, options());
      expect(rest).to.have.length(0);
      expect(record).to.include({ name: 'Ann Lee', email: 'ann@acme.com', company: 'Acme Inc.', status: 'new', linkedin_url: null, enriched: false });
      expect(record).to.not.have.any.keys('id', 'created_at', 'updated_at');
      const { original, ...meta } = record!._meta!;
      expect(meta).to.deep.equal({ source: 'local', id: 'lead-a', modified_at: '2026-01-05T00:00:00.000Z', created_at: '2026-01-01T00:00:00.000Z' });
      const { _meta, ...fields } = record!;
      expect(original).to.deep.equal(fields);
    });

    it('reads columns named like Object.prototype members as ordinary fields, __proto__ included', async () => {
      await leadsTable(admin, [ANN]);
      await admin.query(
        `ALTER TABLE leads ADD COLUMN "toString" text DEFAULT 't', ADD COLUMN "__proto__" text DEFAULT 'p', ADD COLUMN "constructor" text DEFAULT 'c'`,
      );
      const [record] = await readAll(readPostgres, options());
      for (const [key, value] of [
        ['toString', 't'],
        ['__proto__', 'p'],
        ['constructor', 'c'],
      ]) {
        expect(Object.getOwnPropertyDescriptor(record, key)?.value, key).to.equal(value);
        expect(Object.getOwnPropertyDescriptor(record!._meta!.original, key)?.value, key).to.equal(value);
      }
    });

    it('carries a bigint past 2^53 and a numeric past a double as exact text with a problem, and dates as the calendar date', async () => {
      await leadsTable(admin, [ANN]);
      await admin.query('ALTER TABLE leads ADD COLUMN external_id bigint, ADD COLUMN revenue numeric, ADD COLUMN small bigint, ADD COLUMN met date');
      await admin.query(`UPDATE leads SET external_id = 9007199254740993, revenue = 12345678901234567890.5, small = 42, met = '2026-02-03'`);
      const [record] = await readAll(readPostgres, options());
      expect(record).to.include({ external_id: '9007199254740993', revenue: '12345678901234567890.5', small: 42, met: '2026-02-03' });
      expect(record!._meta!.problems!.map((p) => `${p.field}:${p.problem}`)).to.deep.equal(['external_id:inexact_number', 'revenue:inexact_number']);
    });

    it('filters with where on field values, lists and null, bound as parameters', async () => {
      await leadsTable(admin, [ANN, BOB, { id: 'lead-c', name: 'Cy', status: 'new', sync_status: 'failed' }]);
      const read = async (where: Record<string, unknown>) => ids(await readAll(readPostgres, options({ where })));
      expect(await read({ sync_status: ['pending', 'failed'] })).to.deep.equal(['lead-a', 'lead-c']);
      expect(await read({ email: null })).to.deep.equal(['lead-b', 'lead-c']);
      expect(await read({ status: 'new', email: 'ann@acme.com' })).to.deep.equal(['lead-a']);
      expect(await read({ enriched: false })).to.have.length(3);
      expect(await read({ name: "x' OR '1'='1" })).to.deep.equal([]);
      expect(await read({ name: "Bob Roy'; DROP TABLE leads; --" })).to.deep.equal([]);
      expect((await admin.query('SELECT count(*)::int AS n FROM leads')).rows[0].n).to.equal(3);
    });

    it("reads times as ISO 8601 UTC whatever the server's zone and date style", async () => {
      await leadsTable(admin, [ANN]);
      await admin.query(`ALTER DATABASE ${db.database} SET TimeZone = 'Asia/Kolkata'`);
      await admin.query(`ALTER DATABASE ${db.database} SET DateStyle = 'SQL, DMY'`);
      try {
        const [record] = await readAll(readPostgres, options());
        expect(record!._meta).to.include({ modified_at: '2026-01-05T00:00:00.000Z', created_at: '2026-01-01T00:00:00.000Z' });
      } finally {
        await admin.query(`ALTER DATABASE ${db.database} RESET TimeZone; ALTER DATABASE ${db.database} RESET DateStyle`);
      }
    });

    it('reads only rows modified since a time, comparing times whatever their zone', async () => {
      await leadsTable(admin, [ANN, BOB]);
      await admin.query(`UPDATE leads SET updated_at = '2026-02-01 01:00:00+02' WHERE id = 'lead-b'`);
      expect(ids(await readAll(readPostgres, options({ since: '2026-01-31T23:00:00Z' })))).to.deep.equal(['lead-b']);
      expect(ids(await readAll(readPostgres, options({ since: '2026-01-31T23:00:01Z' })))).to.deep.equal([]);
    });

    it('names a where field the table lacks, and a mapped column it lacks, with what it has', async () => {
      await leadsTable(admin, [ANN]);
      const failure = (o: ReadPostgresOptions) =>
        readAll(readPostgres, o).then(
          () => expect.fail('read'),
          (e: Error) => e,
        );
      const where = await failure(options({ where: { nickname: 'x' } }));
      expect(where).to.be.instanceOf(ConfigError);
      expect(where.message).to.include("has no field or column 'nickname'").and.include('email');
      const column = await failure(options({ modified_column: 'changed_at' }));
      expect(column.message).to.include("Table 'leads'").and.include("no column 'changed_at'").and.include('updated_at');
    });

    it('says which table is missing and lists the tables the user can see', async () => {
      await leadsTable(admin, []);
      const error = await readAll(readPostgres, options({ table: 'crm.people' })).then(
        () => expect.fail('read'),
        (e: Error) => e,
      );
      expect(error.message).to.include("no table 'crm.people'").and.include('its tables are: leads');
    });

    it('reads a schema-qualified table whose names need quoting, with unicode and SQL metacharacters in values', async () => {
      await admin.query('DROP SCHEMA IF EXISTS "we.ird ""sch""" CASCADE');
      await admin.query('CREATE SCHEMA "we.ird ""sch"""');
      await admin.query(
        `CREATE TABLE "we.ird ""sch"""."Lead's; DROP" ("key ""id""" text PRIMARY KEY, "e-mail" text, "naïve" text, created_at timestamptz DEFAULT now(), "upd; at" timestamptz DEFAULT now())`,
      );
      await admin.query(`INSERT INTO "we.ird ""sch"""."Lead's; DROP" ("key ""id""", "e-mail", "naïve") VALUES ($1, $2, $3)`, [
        'k1',
        'o\'brien@x.com"; DROP TABLE x; --',
        'Zoë 🚀 \\ \n tab\t',
      ]);
      const none = await readAll(
        readPostgres,
        options({
          table: '"we.ird ""sch"""."Lead\'s; DROP"',
          id_column: 'key "id"',
          modified_column: 'upd; at',
          columns: { 'e-mail': 'email' },
          where: { naïve: "x'; DROP TABLE leads; --" },
        }),
      );
      expect(none).to.deep.equal([]);
      const records = await readAll(
        readPostgres,
        options({
          table: '"we.ird ""sch"""."Lead\'s; DROP"',
          id_column: 'key "id"',
          modified_column: 'upd; at',
          columns: { 'e-mail': 'email' },
          since: '2000-01-01T00:00:00Z',
        }),
      );
      expect(records).to.have.length(1);
      expect(records[0]).to.include({ email: 'o\'brien@x.com"; DROP TABLE x; --', naïve: 'Zoë 🚀 \\ \n tab\t' });
      expect(records[0]!._meta!.id).to.equal('k1');
    });

    it('reads a table wider than a JSON row can be built from, cell by cell, with the same values', async () => {
      await leadsTable(admin, [ANN]);
      const extra = Array.from({ length: 100 }, (_, i) => `ADD COLUMN extra_${i} integer DEFAULT ${i}`).join(', ');
      await admin.query(`ALTER TABLE leads ${extra}, ADD COLUMN big bigint DEFAULT 9007199254740993`);
      const [record] = await readAll(readPostgres, options());
      expect(record).to.include({ name: 'Ann Lee', extra_0: 0, extra_99: 99, big: '9007199254740993', enriched: false });
      expect(record!._meta).to.include({ modified_at: '2026-01-05T00:00:00.000Z' });
    });

    it('runs through the pipeline adapter from the registry, in id order, counting what it sends', async () => {
      await leadsTable(admin, [BOB, ANN]);
      const { output, counters } = await runStage('read-postgres', {}, []);
      expect(ids(output)).to.deep.equal(['lead-a', 'lead-b']);
      expect(counters).to.include({ stage: 'read-postgres', sent: 2, rejected: 0, errored: 0 });
    });
  });

  describe('streaming', () => {
    const manyLeads = async (n: number): Promise<void> => {
      await leadsTable(admin, []);
      await admin.query(`INSERT INTO leads (id, name) SELECT 'lead-' || lpad(i::text, 5, '0'), 'N' || i FROM generate_series(0, $1 - 1) AS i`, [n]);
    };
    const readers = async (): Promise<number> =>
      (await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'lead-maintenance' AND datname = current_database()`))
        .rows[0].n;

    it('reads the table as it was when the read began, whatever others write meanwhile', async () => {
      await manyLeads(500);
      const ctx = makeContext({ stage: 'read-postgres' });
      const source = (await readPostgres.create(options({ fetch_size: 10 }), ctx)) as AsyncIterable<Record<string, unknown>>;
      const names = new Map<string, unknown>();
      for await (const record of source) {
        const id = (record._meta as { id: string }).id;
        names.set(id, record.name);
        if (names.size === 1) {
          await admin.query(`UPDATE leads SET name = 'changed' WHERE id = 'lead-00400'`);
          await admin.query(`INSERT INTO leads (id, name) VALUES ('lead-99999', 'late')`);
          await admin.query(`DELETE FROM leads WHERE id = 'lead-00300'`);
        }
      }
      await ctx.close();
      expect(names.size).to.equal(500);
      expect(names.get('lead-00400')).to.equal('N400');
      expect(names.has('lead-99999')).to.equal(false);
      expect(names.get('lead-00300')).to.equal('N300');
    });

    it('closes its connection and cursor when the consumer stops early', async () => {
      await manyLeads(1000);
      const ctx = makeContext({ stage: 'read-postgres' });
      const source = (await readPostgres.create(options({ fetch_size: 50 }), ctx)) as AsyncIterable<Record<string, unknown>>;
      const seen: unknown[] = [];
      for await (const record of source) {
        seen.push(record.name);
        if (seen.length === 3) {
          expect(await readers()).to.equal(1);
          break;
        }
      }
      await ctx.close();
      expect(seen).to.deep.equal(['N0', 'N1', 'N2']);
      for (let i = 0; i < 50 && (await readers()) > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await readers()).to.equal(0);
    });

    it('fails with a clear error, not a partial silent read, when its connection is terminated mid-read', async () => {
      await manyLeads(300);
      const ctx = makeContext({ stage: 'read-postgres' });
      const source = (await readPostgres.create(options({ fetch_size: 10 }), ctx)) as AsyncIterable<Record<string, unknown>>;
      let count = 0;
      const error = await (async () => {
        for await (const _ of source) {
          if (++count === 15)
            await admin.query(
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'lead-maintenance' AND datname = current_database()`,
            );
        }
      })().then(
        () => undefined,
        (e: Error) => e,
      );
      await ctx.close();
      expect(error).to.be.instanceOf(StageError);
      expect(error!.message).to.match(/read-postgres: The connection to PostgreSQL at .* was lost/);
      expect(count).to.be.below(300);
    });
  });

  describe('credentials', () => {
    it('refuses wrong credentials with a clear message and no secret in the output or any file the run leaves', async () => {
      const dir = tempDir('pg-bad-credentials-');
      const pipeline = path.join(dir, 'read.yaml');
      fs.writeFileSync(pipeline, ['steps:', '  - read-postgres', '  - write-jsonl:', '      path: out.jsonl', ''].join('\n'));
      const wrong = 'Wr0ng-S3cret-Pa55';
      const result = await cli('run-pipeline', [pipeline], {
        cwd: dir,
        env: { LEADS_DATABASE_URL: db.url.replace(encodeURIComponent(db.password), wrong), DATABASE_URL: '' },
      });
      expect(result.code).to.not.equal(0);
      expect(result.stderr).to.include('refused the credentials').and.include(`${db.user}@127.0.0.1:${db.port}/${db.database}`);
      const everything = [result.stdout, result.stderr, ...filesUnder(dir).map((f) => fs.readFileSync(f, 'utf8'))].join('\n');
      expect(everything).to.not.include(wrong);
      expect(everything).to.not.include(db.password);
    });
  });
});

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}
