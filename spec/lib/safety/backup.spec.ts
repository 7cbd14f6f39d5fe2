import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { startEmulator, type Emulator } from '../../../lib/airtable-emulator/index.js';
import { createBackup } from '../../../lib/safety/backup.js';
import { keyFromEnv } from '../../../lib/safety/crypto.js';
import { readManifest } from '../../../lib/safety/manifest.js';
import { restoreBackup } from '../../../lib/safety/restore.js';
import { verifyBackup } from '../../../lib/safety/verify.js';
import { createSampleDatabase } from '../../../lib/sqlite/sample.js';
import { tempDir } from '../../helpers.js';
import { filesBelow, tableRows } from './support.js';

const KEY_HEX = 'a3'.repeat(32);

function sampleDatabase(dir: string, count = 40): string {
  const file = path.join(dir, 'leads.db');
  createSampleDatabase(file, { count, seed: 11 });
  return file;
}

function airtableLeads(n: number): Array<Record<string, unknown>> {
  return Array.from({ length: n }, (_, i) => ({
    'Full Name': `Person ${i}`,
    Email: `person${i}@acme-${i % 7}.com`,
    Company: `Acme ${i % 7}`,
    'Needs Enrichment': i % 2 === 0,
  }));
}

/** Fields of every record, computed fields left out, sorted, for comparing tables by content. */
function contents(emulator: Emulator): string[] {
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

describe('lib/safety backups', () => {
  let emulator: Emulator;
  before(async () => {
    emulator = await startEmulator({ rateLimit: { enabled: false } });
  });
  after(async () => emulator.close());
  beforeEach(() => emulator.reset({ records: true }));
  const target = () => ({ token: 'emulator-token', baseId: emulator.baseId, endpointUrl: emulator.url, table: 'Leads' });

  describe('backup and restore round trip', () => {
    it('restores the database byte for byte, keeping the current file aside, with files 0600 in a 0700 directory', async () => {
      const dir = tempDir();
      const database = sampleDatabase(dir);
      const rowsBefore = tableRows(database);
      const { manifestPath, manifest } = await createBackup({ directory: path.join(dir, 'backups'), runId: 'run-1', database });
      expect(manifest).to.include({ run_id: 'run-1', encrypted: false, verified: true, tool_version: '0.1.0' });
      expect(manifest.files[0]).to.deep.include({ path: 'leads.db', kind: 'sqlite', records: { leads: 40, schema_migrations: 1 } });
      expect(manifest.files[0]!.sha256).to.match(/^[0-9a-f]{64}$/);
      for (const file of filesBelow(path.join(dir, 'backups'))) expect(fs.statSync(file).mode & 0o777, file).to.equal(0o600);
      expect(fs.statSync(path.dirname(manifestPath)).mode & 0o777).to.equal(0o700);

      const db = new Database(database);
      db.prepare('DELETE FROM leads WHERE rowid % 3 = 0').run();
      db.prepare("UPDATE leads SET name = 'changed'").run();
      db.close();
      const plan = await restoreBackup(path.dirname(manifestPath), { now: () => new Date('2026-02-01T10:00:00Z') });
      expect(plan.local).to.deep.include({ database, current_kept_as: `${database}.before-restore-20260201T100000` });
      expect(fs.readFileSync(database).equals(fs.readFileSync(path.join(path.dirname(manifestPath), 'leads.db')))).to.equal(true);
      expect(tableRows(database)).to.deep.equal(rowsBefore);
      expect(tableRows(plan.local!.current_kept_as!).every((r) => r.name === 'changed')).to.equal(true);
    });

    it('brings the Airtable table back record for record: deleted ones recreated, changed ones reverted, new ones removed', async () => {
      const dir = tempDir();
      const ids = emulator.seed('Leads', airtableLeads(25));
      const snapshot = contents(emulator);
      const { manifestPath, manifest } = await createBackup({ directory: dir, runId: 'run-2', airtable: target() });
      expect(manifest.files.map((f) => [f.kind, f.records])).to.deep.equal([
        ['schema', undefined],
        ['records', 25],
      ]);

      const airtable = new (await import('airtable')).default({ apiKey: 'emulator-token', endpointUrl: emulator.url }).base(emulator.baseId)('Leads');
      await airtable.update([
        { id: ids[0]!, fields: { Company: 'Changed Inc' } },
        { id: ids[1]!, fields: { Email: null as unknown as string } },
      ]);
      await airtable.destroy([ids[2]!, ids[3]!, ids[4]!]);
      await airtable.create([{ fields: { 'Full Name': 'New One' } }]);
      expect(contents(emulator)).to.not.deep.equal(snapshot);

      const dry = await restoreBackup(manifestPath, { dryRun: true, env: { AIRTABLE_TOKEN: 'emulator-token', AIRTABLE_ENDPOINT_URL: emulator.url } });
      expect(dry.airtable).to.deep.include({ create: 3, update: 2, delete: 1, unchanged: 20 });
      expect(dry.airtable!.examples.create).to.deep.equal([ids[2], ids[3], ids[4]].sort());
      expect(emulator.dump('Leads')).to.have.length(23);

      const done = await restoreBackup(manifestPath, { env: { AIRTABLE_TOKEN: 'emulator-token', AIRTABLE_ENDPOINT_URL: emulator.url } });
      expect(done.airtable!.recreated).to.have.length(3);
      expect(contents(emulator)).to.deep.equal(snapshot);
    });
  });

  describe('verify', () => {
    it('names a truncated file, an altered file and a missing file as such', async () => {
      const dir = tempDir();
      const database = sampleDatabase(dir);
      emulator.seed('Leads', airtableLeads(12));
      const { manifestPath } = await createBackup({ directory: path.join(dir, 'b'), runId: 'r', database, airtable: target() });
      expect((await verifyBackup(manifestPath)).ok).to.equal(true);
      const backupDir = path.dirname(manifestPath);
      const copy = path.join(backupDir, 'leads.db');
      const records = path.join(backupDir, 'airtable-Leads.jsonl.gz');
      fs.truncateSync(records, fs.statSync(records).size - 10);
      const bytes = fs.readFileSync(copy);
      bytes[bytes.length - 100] ^= 0xff;
      fs.writeFileSync(copy, bytes);
      fs.rmSync(path.join(backupDir, 'airtable-Leads.schema.json'));
      const report = await verifyBackup(manifestPath);
      expect(report.ok).to.equal(false);
      expect(report.problems).to.have.members([
        "leads.db was altered: its SHA-256 differs from the manifest's.",
        `airtable-Leads.jsonl.gz is truncated: ${fs.statSync(records).size} of ${fs.statSync(records).size + 10} bytes.`,
        'airtable-Leads.schema.json is missing from the backup.',
      ]);
      const error = await restoreBackup(manifestPath).catch((e: Error) => e);
      expect((error as Error).message).to.contain('does not verify, so it is not restored');
    });

    it('catches a copy that matches its manifest but does not hold what the manifest says', async () => {
      const dir = tempDir();
      const { manifestPath } = await createBackup({ directory: dir, runId: 'r', database: sampleDatabase(dir) });
      const manifest = readManifest(manifestPath);
      (manifest.files[0]!.records as Record<string, number>).leads = 41;
      fs.writeFileSync(manifestPath, JSON.stringify(manifest));
      expect((await verifyBackup(manifestPath)).problems).to.deep.equal(['leads.db holds 40 rows in table leads, the manifest says 41.']);
      fs.writeFileSync(manifestPath, '{"format": 1, "run_id": ');
      const error = await verifyBackup(manifestPath).catch((e: Error) => e);
      expect((error as Error).message).to.match(/The backup manifest .*manifest.json is damaged \(not JSON/);
    });
  });

  describe('encryption', () => {
    it("writes no plaintext: the backup directory holds none of the leads' emails, names or the key", async () => {
      const dir = tempDir();
      const database = sampleDatabase(dir);
      emulator.seed('Leads', airtableLeads(15));
      const key = keyFromEnv('TEST_BACKUP_KEY', { TEST_BACKUP_KEY: KEY_HEX });
      const { manifestPath, manifest } = await createBackup({
        directory: path.join(dir, 'backups'),
        runId: 'enc',
        database,
        airtable: target(),
        encryption: key,
      });
      expect(manifest).to.include({ encrypted: true, key_env: 'TEST_BACKUP_KEY', verified: true });
      expect(manifest.files.map((f) => f.path)).to.deep.equal(['leads.db.enc', 'airtable-Leads.schema.json.enc', 'airtable-Leads.jsonl.gz.enc']);
      const secrets = [
        ...tableRows(database)
          .flatMap((r) => [r.email, r.name])
          .filter((v): v is string => typeof v === 'string' && v.length > 4),
        'person3@acme-3.com',
        'Full Name',
        'SQLite format 3',
        KEY_HEX,
      ];
      const files = filesBelow(path.join(dir, 'backups'));
      expect(files).to.have.length(4);
      for (const file of files) {
        const text = fs.readFileSync(file).toString('latin1');
        for (const secret of secrets) expect(text.includes(secret), `${secret} in ${file}`).to.equal(false);
      }
      const plan = await restoreBackup(manifestPath, { systems: ['local'], database: path.join(dir, 'restored.db'), key });
      expect(tableRows(plan.local!.database)).to.deep.equal(tableRows(database));
    });

    it('refuses a wrong key, a tampered byte and a missing key, each with a clear message', async () => {
      const dir = tempDir();
      const key = keyFromEnv('K', { K: 'a long enough passphrase' });
      const { manifestPath } = await createBackup({ directory: dir, runId: 'enc', database: sampleDatabase(dir), encryption: key });
      const wrong = await verifyBackup(manifestPath, { key: keyFromEnv('K', { K: 'another long passphrase' }) });
      expect(wrong.problems).to.deep.equal([
        'leads.db.enc failed authentication: the key in K is not the one it was encrypted with, or the file was altered after it was written.',
      ]);
      const missing = await verifyBackup(manifestPath, { env: {} });
      expect(missing.problems[0]).to.equal(
        'The backup is encrypted and its contents cannot be checked: backup: Backup encryption is on but the environment variable K is not set. Set it to the backup key (64 hex characters, 32 bytes in base64, or a passphrase of at least 12 characters).',
      );

      // Tamper with the ciphertext and fix up the manifest, so only authentication can notice.
      const file = path.join(path.dirname(manifestPath), 'leads.db.enc');
      const bytes = fs.readFileSync(file);
      bytes[Math.floor(bytes.length / 2)] ^= 0x01;
      fs.writeFileSync(file, bytes);
      const manifest = readManifest(manifestPath);
      manifest.files[0]!.sha256 = (await import('node:crypto')).createHash('sha256').update(bytes).digest('hex');
      fs.writeFileSync(manifestPath, JSON.stringify(manifest));
      const tampered = await verifyBackup(manifestPath, { key });
      expect(tampered.problems).to.deep.equal([
        'leads.db.enc failed authentication: the key in K is not the one it was encrypted with, or the file was altered after it was written.',
      ]);
      expect(() => keyFromEnv('K', { K: 'short' })).to.throw('The backup key in K is too short');
    });
  });

  describe('failures while writing', () => {
    it('a disk that fills up mid-backup leaves no partial backup and says the disk is full', async () => {
      const dir = tempDir();
      const database = sampleDatabase(dir, 200);
      emulator.seed('Leads', airtableLeads(30));
      let written = 0;
      const fullDisk = (file: string) =>
        new Writable({
          write(chunk: Buffer, _e, callback) {
            written += chunk.length;
            if (written > 4096) {
              const error = Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), { code: 'ENOSPC' });
              return callback(error);
            }
            fs.appendFileSync(file, chunk);
            callback();
          },
        });
      const error = await createBackup({
        directory: path.join(dir, 'backups'),
        runId: 'full',
        database,
        airtable: target(),
        encryption: keyFromEnv('K', { K: KEY_HEX }),
        openOutput: fullDisk,
      }).catch((e: Error) => e);
      expect((error as Error).message).to.match(
        /^backup: Writing the backup to .*backups failed: ENOSPC: no space left on device, write '.*leads\.db\.enc'\. The disk is full: free space or point backup_directory at another disk\. No backup was kept/,
      );
      expect(fs.readdirSync(path.join(dir, 'backups'))).to.deep.equal([]);
    });

    it('a backup directory that cannot be created fails with what to do, and a backup is never overwritten', async () => {
      const dir = tempDir();
      const database = sampleDatabase(dir);
      fs.writeFileSync(path.join(dir, 'backups'), 'a file, not a directory');
      const error = await createBackup({ directory: path.join(dir, 'backups', 'nested'), runId: 'x', database }).catch((e: Error) => e);
      expect((error as Error).message).to.match(
        /^backup: Writing the backup to .*backups\/nested failed: .*(ENOTDIR|EEXIST).*A file stands where the backup directory should be: move it or choose another backup_directory\. No backup was kept/,
      );
      await createBackup({ directory: path.join(dir, 'ok'), runId: 'same', database });
      const again = await createBackup({ directory: path.join(dir, 'ok'), runId: 'same', database }).catch((e: Error) => e);
      expect((again as Error).message).to.contain('A backup for run same already exists');
    });
  });
});
