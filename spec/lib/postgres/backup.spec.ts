import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type pg from 'pg';
import { createBackup } from '../../../lib/safety/backup.js';
import { keyFromEnv } from '../../../lib/safety/crypto.js';
import { readManifest } from '../../../lib/safety/manifest.js';
import { restoreBackup } from '../../../lib/safety/restore.js';
import { verifyBackup } from '../../../lib/safety/verify.js';
import { postgresSide } from '../../../lib/postgres/side.js';
import { postgresOrSkip, type TestPostgres } from '../../support/postgres.js';
import { tempDir } from '../../helpers.js';
import { fillLeads, LEADS_DDL, tableText } from './support.js';

describe('lib/postgres backup and restore', function () {
  this.timeout(60_000);
  let db: TestPostgres;
  let client: pg.Client;
  before(async function () {
    db = await postgresOrSkip(this);
    client = await db.client();
  });
  after(async () => client?.end());
  beforeEach(async () => {
    await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    await client.query(LEADS_DDL);
    await fillLeads(client, 1234);
  });
  const side = () => postgresSide({ url: db.url, table: 'leads' });

  it('backs the table up from one snapshot, verifies it, and restores exactly the same rows after they were damaged', async () => {
    const dir = tempDir();
    const before = await tableText(client);
    const { manifestPath, manifest } = await createBackup({ directory: dir, runId: 'run-1', local: side() });
    expect(manifest.verified).to.equal(true);
    const rows = manifest.files.find((f) => f.kind === 'postgres-rows')!;
    expect(rows.records).to.equal(1234);
    expect(rows.source.database).to.match(/^postgres:\/\/lead_test@127\.0\.0\.1:\d+\/spec_/);
    expect(JSON.stringify(manifest)).not.to.contain(db.password);
    await client.query(`UPDATE leads SET name = 'damaged', extra = NULL WHERE id % 4 = 0`);
    await client.query('DELETE FROM leads WHERE id % 10 = 1');
    await client.query(`INSERT INTO leads (name) VALUES ('added after the backup')`);
    const plan = await restoreBackup(manifestPath, { local: side(), now: () => new Date('2026-03-01T12:00:00Z') });
    expect(await tableText(client)).to.deep.equal(before);
    expect(plan.local?.current_kept_as).to.equal('leads_before_restore_20260301t120000');
    const kept = await client.query<{ n: string }>('SELECT count(*) AS n FROM leads_before_restore_20260301t120000');
    expect(Number(kept.rows[0]!.n)).to.equal(1234 - 124 + 1);
    // The identity column goes on from where it was, so the next lead does not collide.
    const next = await client.query<{ id: string }>(`INSERT INTO leads (name) VALUES ('next') RETURNING id`);
    expect(Number(next.rows[0]!.id)).to.be.greaterThan(1234);
  });

  it('backs up and restores as a user granted only the table (no right on its identity sequence), and new rows go on past the restored ones', async () => {
    await client.query(`DROP ROLE IF EXISTS lead_writer; CREATE ROLE lead_writer LOGIN PASSWORD 'writer-pw-77';
      GRANT CREATE, USAGE ON SCHEMA public TO lead_writer; GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON leads TO lead_writer`);
    const writer = () => postgresSide({ url: db.url.replace(/\/\/[^@]*@/, '//lead_writer:writer-pw-77@'), table: 'leads' });
    const before = await tableText(client);
    const { manifestPath, manifest } = await createBackup({ directory: tempDir(), runId: 'run-w', local: writer() });
    expect(manifest.verified).to.equal(true);
    await client.query('DELETE FROM leads WHERE id % 3 = 0');
    await restoreBackup(manifestPath, { local: writer() });
    expect(await tableText(client)).to.deep.equal(before);
    const next = await client.query<{ id: string }>(`INSERT INTO leads (name) VALUES ('next') RETURNING id`);
    expect(Number(next.rows[0]!.id)).to.be.greaterThan(1234);
    await client.query('DROP OWNED BY lead_writer; DROP ROLE lead_writer');
  });

  it('recreates a dropped table with its indexes, constraints and generated column', async () => {
    const dir = tempDir();
    const before = await tableText(client);
    const { manifestPath } = await createBackup({ directory: dir, runId: 'run-2', local: side() });
    await client.query('DROP TABLE leads');
    const plan = await restoreBackup(manifestPath, { local: side() });
    expect(plan.local?.recreated).to.equal(true);
    expect(await tableText(client)).to.deep.equal(before);
    const indexes = await client.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE tablename = 'leads' ORDER BY 1`);
    expect(indexes.rows.map((r) => r.indexname)).to.include.members(['leads_email', 'leads_pkey', 'leads_airtable_id_key']);
    let refused: Error | undefined;
    await client.query(`INSERT INTO leads (email) VALUES ('')`).catch((error: Error) => (refused = error));
    expect(refused?.message).to.match(/check constraint/);
  });

  it('a dry run plans the restore and changes nothing', async () => {
    const dir = tempDir();
    const { manifestPath } = await createBackup({ directory: dir, runId: 'run-3', local: side() });
    await client.query(`UPDATE leads SET name = 'changed since' WHERE id = 5`);
    const now = await tableText(client);
    const plan = await restoreBackup(manifestPath, { local: side(), dryRun: true });
    expect(plan.local?.tables).to.deep.equal({ 'public.leads': 1234 });
    expect(await tableText(client)).to.deep.equal(now);
    const aside = await client.query(`SELECT 1 FROM pg_class WHERE relname LIKE 'leads_before_restore%'`);
    expect(aside.rowCount).to.equal(0);
  });

  it('reports a damaged backup file and restores nothing from it', async () => {
    const dir = tempDir();
    const { manifestPath, manifest } = await createBackup({ directory: dir, runId: 'run-4', local: side() });
    const rows = manifest.files.find((f) => f.kind === 'postgres-rows')!;
    const file = path.join(path.dirname(manifestPath), rows.path);
    const bytes = fs.readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    fs.writeFileSync(file, bytes);
    const report = await verifyBackup(manifestPath);
    expect(report.ok).to.equal(false);
    expect(report.problems.join(' ')).to.contain(`${rows.path} was altered`);
    await client.query(`UPDATE leads SET name = 'kept' WHERE id = 1`);
    let error: Error | undefined;
    await restoreBackup(manifestPath, { local: side() }).catch((e: Error) => (error = e));
    expect(error?.message).to.contain('does not verify');
    expect((await client.query(`SELECT name FROM leads WHERE id = 1`)).rows[0].name).to.equal('kept');
  });

  it('encrypts every file of the backup when a key is given, and restores from them', async () => {
    const dir = tempDir();
    const key = keyFromEnv('LEADS_BACKUP_KEY', { LEADS_BACKUP_KEY: 'b7'.repeat(32) });
    const before = await tableText(client);
    const { manifestPath } = await createBackup({ directory: dir, runId: 'run-5', local: side(), encryption: key });
    const manifest = readManifest(manifestPath);
    expect(manifest.files.map((f) => f.path).every((p) => p.endsWith('.enc'))).to.equal(true);
    for (const f of manifest.files) expect(fs.readFileSync(path.join(path.dirname(manifestPath), f.path)).includes(Buffer.from('Person 1'))).to.equal(false);
    await client.query('TRUNCATE leads');
    await restoreBackup(manifestPath, { local: side(), key });
    expect(await tableText(client)).to.deep.equal(before);
  });

  it('with pg_dump asked for, backs up through pg_dump from the same snapshot and restores through pg_restore, exactly', async () => {
    const dir = tempDir();
    const before = await tableText(client);
    const path0 = process.env.PATH;
    process.env.PATH = `${db.binDir}${path.delimiter}${path0}`;
    try {
      const dump = postgresSide({ url: db.url, table: 'leads', pgDump: true });
      const { manifestPath, manifest } = await createBackup({ directory: dir, runId: 'run-7', local: dump });
      expect(manifest.files.map((f) => [f.kind, f.records])).to.deep.include(['pg-dump', 1234]);
      await client.query(`UPDATE leads SET name = 'damaged'`);
      const plan = await restoreBackup(manifestPath, { local: dump, dryRun: true });
      expect(plan.local?.tables).to.deep.equal({ 'public.leads': 1234 });
      expect((await tableText(client))[0]).to.contain('damaged');
      await restoreBackup(manifestPath, { local: dump });
      expect(await tableText(client)).to.deep.equal(before);
    } finally {
      process.env.PATH = path0;
    }
  });

  it('refuses to restore a PostgreSQL backup into a SQLite file, saying what each is', async () => {
    const dir = tempDir();
    const { manifestPath } = await createBackup({ directory: dir, runId: 'run-6', local: side() });
    let error: Error | undefined;
    await restoreBackup(manifestPath, { database: path.join(dir, 'leads.db') }).catch((e: Error) => (error = e));
    expect(error?.message).to.contain('The backup holds a PostgreSQL table, but the database to restore to');
    expect(fs.existsSync(path.join(dir, 'leads.db'))).to.equal(false);
  });
});
