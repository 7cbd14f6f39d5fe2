import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { expect } from 'chai';
import Database from 'better-sqlite3';
import readSqlite, { type ReadSqliteOptions } from '../../stages/read-sqlite.js';
import { ConfigError } from '../../lib/core/errors.js';
import { stageStream } from '../../lib/core/adapter.js';
import { closeRun, newCounters, openRun, stageContext } from '../../lib/core/context.js';
import { runStage } from '../helpers.js';
import { defaultDatabase, fixtureDatabase, makeContext, packageRoot, readAll, tempDir } from '../lib/sqlite/support.js';

const options = (database: string, more: Partial<ReadSqliteOptions> = {}): ReadSqliteOptions => ({ database, busy_timeout_ms: 5000, ...more });

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

describe('read-sqlite', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('options', () => {
    it('defaults to data/leads.db, the mapping file and a five-second busy timeout, each described', () => {
      expect(readSqlite.options.database.default).to.equal('data/leads.db');
      expect(readSqlite.options.busy_timeout_ms.default).to.equal(5000);
      for (const [name, spec] of Object.entries(readSqlite.options)) expect(spec.description, name).to.match(/^[A-Z].*\.$/);
    });

    it('rejects a since that is not a time and an empty where list before data moves', () => {
      expect(readSqlite.check!(options('x.db', { since: 'yesterday', where: { status: [] } }))).to.deep.equal([
        { path: 'since', message: "'yesterday' is not a time; give an ISO 8601 time such as 2026-01-31T00:00:00Z." },
        { path: 'where.status', message: 'Give a value, null, or a non-empty list of values.' },
      ]);
    });
  });

  describe('records', () => {
    it('emits each row with canonical fields and _meta: source, id, times and the values as read', async () => {
      const file = await defaultDatabase(dir, [ANN]);
      const [record, ...rest] = await readAll(readSqlite, options(file));
      expect(rest).to.have.length(0);
      expect(record).to.include({ name: 'Ann Lee', email: 'ann@acme.com', company: 'Acme Inc.', status: 'new', linkedin_url: null, enriched: 0 });
      expect(record).to.not.have.any.keys('id', 'created_at', 'updated_at');
      const { original, ...meta } = record!._meta!;
      expect(meta).to.deep.equal({ source: 'local', id: 'lead-a', modified_at: '2026-01-05T00:00:00.000Z', created_at: '2026-01-01T00:00:00.000Z' });
      const { _meta, ...fields } = record!;
      expect(original).to.deep.equal(fields);
      expect(original).to.not.equal(fields);
    });

    it('reads columns named like Object.prototype members as ordinary fields, __proto__ included', async () => {
      const file = await defaultDatabase(dir, [ANN]);
      const db = new Database(file);
      for (const column of ['toString', '__proto__', 'constructor']) db.exec(`ALTER TABLE leads ADD COLUMN "${column}" TEXT`);
      db.exec(`UPDATE leads SET "toString" = 't', "__proto__" = 'p', "constructor" = 'c'`);
      db.close();
      const [record] = await readAll(readSqlite, options(file));
      for (const [key, value] of [
        ['toString', 't'],
        ['__proto__', 'p'],
        ['constructor', 'c'],
      ]) {
        expect(Object.getOwnPropertyDescriptor(record, key)?.value, key).to.equal(value);
        expect(Object.getOwnPropertyDescriptor(record!._meta!.original, key)?.value, key).to.equal(value);
      }
    });

    it('carries an integer past 2^53 as its exact text with a problem, instead of rounding it', async () => {
      const file = await defaultDatabase(dir, [ANN]);
      const db = new Database(file);
      db.exec('ALTER TABLE leads ADD COLUMN external_id INTEGER');
      db.prepare('UPDATE leads SET external_id = ?, lead_score = 42').run(BigInt('9007199254740993'));
      db.close();
      const [record] = await readAll(readSqlite, options(file));
      expect(record).to.include({ external_id: '9007199254740993', lead_score: 42 });
      expect(record!._meta!.original).to.include({ external_id: '9007199254740993' });
      expect(record!._meta!.problems).to.deep.equal([
        {
          field: 'external_id',
          problem: 'inexact_number',
          value: '9007199254740993',
          message:
            'Column external_id holds 9007199254740993, past what a JSON number holds exactly; it is carried as that text (SQLite stores it back as the same integer), not rounded.',
        },
      ]);
    });

    it('filters with where on field values, lists and null, bound as parameters', async () => {
      const file = await defaultDatabase(dir, [ANN, BOB, { id: 'lead-c', name: 'Cy', status: 'new', sync_status: 'failed' }]);
      const ids = async (where: Record<string, unknown>) => (await readAll(readSqlite, options(file, { where }))).map((r) => r._meta!.id);
      expect(await ids({ sync_status: ['pending', 'failed'] })).to.deep.equal(['lead-a', 'lead-c']);
      expect(await ids({ email: null })).to.deep.equal(['lead-b', 'lead-c']);
      expect(await ids({ status: 'new', email: 'ann@acme.com' })).to.deep.equal(['lead-a']);
      expect(await ids({ name: "x' OR '1'='1" })).to.deep.equal([]);
      expect(await ids({ name: "Bob Roy'; DROP TABLE leads; --" })).to.deep.equal([]);
      expect(await ids({})).to.have.length(3);
    });

    it('reads only rows modified since a time, whatever timestamp format the column holds', async () => {
      const file = await defaultDatabase(dir, [ANN, BOB, { id: 'lead-c', name: 'Cy', updated_at: '2026-01-20 08:00:00' }]);
      const records = await readAll(readSqlite, options(file, { since: '2026-01-10T00:00:00Z' }));
      expect(records.map((r) => [r._meta!.id, r._meta!.modified_at])).to.deep.equal([
        ['lead-b', '2026-02-01T00:00:00.000Z'],
        ['lead-c', '2026-01-20T08:00:00.000Z'],
      ]);
    });

    it('names a where field the table lacks, with the fields it has', async () => {
      const file = await defaultDatabase(dir, [ANN]);
      const error = await readAll(readSqlite, options(file, { where: { Email: 'x', emial: 'x' } })).catch((e) => e);
      expect(error).to.be.instanceOf(ConfigError);
      expect(error.message).to.match(/^read-sqlite\.where\.emial: Table 'leads' has no field or column 'emial'; its fields are: name, email, company,/);
    });
  });

  describe('drifted schemas', () => {
    it('reads full_name as name, keeps extra columns and text booleans as stored, and flags a bad timestamp', async () => {
      const file = fixtureDatabase(dir, 'drifted-leads.sql');
      const records = await readAll(readSqlite, options(file, { columns: { full_name: 'name', name: 'legacy_name', job_title: 'title' } }));
      expect(records.map((r) => r.name)).to.deep.equal(['Amélie Tremblay', 'Jean CÃ´tÃ©', 'Priya Shah']);
      expect(records[0]).to.include({
        legacy_name: 'Amelie Tremblay',
        title: 'CTO',
        uuid: 'u-1',
        raw_data: '{"source":"serpapi"}',
        needs_enrichment: 'true',
        airtable_synced: 1,
      });
      expect(records[1]).to.include({ needs_enrichment: 'FALSE', email: null, engagement_status: 'auto_send' });
      expect(records[2]).to.include({ needs_enrichment: 'yes', airtable_synced: 'true' });
      expect(records[0]!._meta).to.include({ modified_at: '2025-08-14T10:00:00.000Z', created_at: '2025-08-13T09:15:00.000Z' });
      expect(records[2]!._meta!.modified_at).to.equal(undefined);
      expect(records[2]!._meta!.problems).to.deep.equal([
        {
          field: 'updated_at',
          problem: 'invalid_timestamp',
          value: 'not a date',
          message:
            "Column updated_at holds 'not a date', which is not a time; most_recent comparisons will treat this record as oldest. Fix the value in the database.",
        },
      ]);
    });

    it('fails before reading when a mapped column is missing, naming the columns the table has', async () => {
      const file = fixtureDatabase(dir, 'drifted-leads.sql');
      const error = await readAll(readSqlite, options(file, { columns: { fullname: 'name' } })).catch((e) => e);
      expect(error).to.be.instanceOf(ConfigError);
      expect(error.message).to.contain("has no column 'fullname'; its columns are: id, uuid, full_name, name, email,");
    });

    it('reads a table whose name and columns need quoting, with unicode and SQL metacharacters in values', async () => {
      const file = fixtureDatabase(dir, 'unicode-columns.sql');
      const records = await readAll(
        readSqlite,
        options(file, {
          table: 'lead "list"',
          created_column: undefined,
          columns: { 'Nom complet': 'name', société: 'company' },
        }).valueOf() as ReadSqliteOptions,
      ).catch((e) => e);
      // The mapping file names created_at, which this table lacks: the step must say so.
      expect(records).to.be.instanceOf(ConfigError);
      const fieldMapping = path.join(dir, 'mapping.yaml');
      fs.writeFileSync(fieldMapping, 'field_mapping:\n  database_to_airtable: {}\n  airtable_to_database: {}\n  local:\n    created_column: null\n');
      const read = await readAll(
        readSqlite,
        options(file, {
          field_mapping: fieldMapping,
          table: 'lead "list"',
          columns: { 'Nom complet': 'name', société: 'company' },
          where: { order: 'DROP TABLE leads; --' },
        }),
      );
      expect(read).to.have.length(1);
      expect(read[0]).to.include({ name: "Zoë O'Brien", company: 'Müller & Söhne GmbH', order: 'DROP TABLE leads; --', 'e-mail': 'zoe@example.org' });
      expect(read[0]!._meta!.id).to.equal("a'1");
      const all = await readAll(readSqlite, options(file, { field_mapping: fieldMapping, table: 'lead "list"' }));
      expect(all[1]).to.include({ 'Nom complet': '李小龍 🐉', société: '"Quoted" Co', order: '%_\\' });
      expect(all[1]!._meta!.id).to.equal('b;2');
    });
  });

  describe('errors', () => {
    it('says a corrupt file is not a database and writes nothing to it', async () => {
      const file = path.join(dir, 'leads.db');
      fs.writeFileSync(file, 'id,name\n1,Ann\n');
      const error = await readAll(readSqlite, options(file)).catch((e) => e);
      expect(error.message).to.contain(`read-sqlite: The file ${file} is not a SQLite database or is corrupt`);
      expect(fs.readFileSync(file, 'utf8')).to.equal('id,name\n1,Ann\n');
    });

    it('says which file is missing', async () => {
      const error = await readAll(readSqlite, options(path.join(dir, 'nope.db'))).catch((e) => e);
      expect(error.message).to.contain('nope.db does not exist');
    });
  });

  describe('stream', () => {
    it('runs through the pipeline adapter from the registry, in table order, counting what it sends', async () => {
      const file = await defaultDatabase(dir, [BOB, ANN]);
      const { output, counters } = await runStage('read-sqlite', { database: file }, []);
      expect(output.map((r) => r._meta!.id)).to.deep.equal(['lead-b', 'lead-a']);
      expect(counters).to.include({ stage: 'read-sqlite', sent: 2, rejected: 0, errored: 0 });
    });

    it('reads rows only as fast as downstream takes them', async () => {
      const file = await defaultDatabase(
        dir,
        Array.from({ length: 1000 }, (_, i) => ({ id: `lead-${String(i).padStart(4, '0')}` })),
      );
      const run = openRun({});
      const counters = newCounters('read-sqlite');
      try {
        const ctx = stageContext(run, 'read-sqlite', 0, counters, 'fail');
        const stream = stageStream(await readSqlite.create(options(file), ctx), ctx, counters, true);
        const first = await new Promise((resolve) =>
          stream.once('data', (record) => {
            stream.pause();
            resolve(record);
          }),
        );
        expect((first as { _meta: { id: string } })._meta.id).to.equal('lead-0000');
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(counters.sent).to.be.at.most(1 + 16 + 1);
        stream.destroy();
      } finally {
        await closeRun(run);
      }
    });

    it('yields rows one at a time and closes its connection when the consumer stops early', async () => {
      const file = await defaultDatabase(
        dir,
        Array.from({ length: 50 }, (_, i) => ({ id: `lead-${String(i).padStart(2, '0')}`, name: `N${i}` })),
      );
      const ctx = makeContext({ stage: 'read-sqlite' });
      const source = (await readSqlite.create(options(file), ctx)) as AsyncIterable<Record<string, unknown>>;
      const seen: string[] = [];
      for await (const record of source) {
        seen.push(record.name as string);
        if (seen.length === 3) break;
      }
      expect(seen).to.deep.equal(['N0', 'N1', 'N2']);
      // With the reader closed, a writer can checkpoint and truncate the WAL: nothing holds the file.
      const db = new Database(file);
      expect(db.pragma('wal_checkpoint(TRUNCATE)')).to.deep.equal([{ busy: 0, log: 0, checkpointed: 0 }]);
      db.close();
      await ctx.close();
    });

    it('keeps reading while another process writes to the same database', async () => {
      const file = await defaultDatabase(
        dir,
        Array.from({ length: 2000 }, (_, i) => ({ id: `lead-${String(i).padStart(4, '0')}`, name: `N${i}` })),
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
        for (let i = 0; i < 200; i++) db.transaction(() => insert.run('child-' + i)).immediate();
        db.close();
      `,
        ],
        { cwd: packageRoot(), stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const exited = new Promise((resolve) => child.on('exit', resolve));
      await new Promise((resolve) => child.stdout.once('data', resolve));
      const ctx = makeContext({ stage: 'read-sqlite' });
      const source = (await readSqlite.create(options(file), ctx)) as AsyncIterable<Record<string, unknown>>;
      let count = 0;
      for await (const record of source) {
        if (record._meta) count++;
        if (count % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await ctx.close();
      const code = await exited;
      expect(code).to.equal(0);
      // The read saw one consistent snapshot: the rows that existed when it began, plus whole child transactions only.
      expect(count).to.be.at.least(2000).and.at.most(2200);
      const after = await readAll(readSqlite, options(file, { where: { name: 'from child' } }));
      expect(after).to.have.length(200);
    });
  });
});
