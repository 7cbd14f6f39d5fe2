import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import Airtable from 'airtable';
import Database from 'better-sqlite3';
import { startEmulator, type Emulator } from '../../../lib/airtable-emulator/index.js';
import type { Operation } from '../../../lib/core/operation.js';
import { createBackup } from '../../../lib/safety/backup.js';
import { journalPath, RunJournal } from '../../../lib/core/journal.js';
import { restoreBackup } from '../../../lib/safety/restore.js';
import { rollbackRun } from '../../../lib/safety/rollback.js';
import { resumeRun } from '../../../lib/safety/resume.js';
import { createSampleDatabase } from '../../../lib/sqlite/sample.js';
import { SyncState } from '../../../lib/sync/state.js';
import { tempDir } from '../../helpers.js';

const op = (fields: Partial<Operation>): Operation => ({
  kind: 'operation',
  action: 'update',
  system: 'airtable',
  fields: {},
  replaces: {},
  reason: 'sync',
  entity: 'e',
  ...fields,
});

/**
 * Resume and rollback of a run on a table without a link column (links kept in the sync state):
 * journaled operations against a real SQLite file and the emulator, as in airtable-recovery.spec.
 */
describe('resume and rollback with the links in the sync state (a table without a link column)', () => {
  let emulator: Emulator;
  let table: Airtable.Table<Airtable.FieldSet>;
  const env = () => ({ AIRTABLE_TOKEN: 'emulator-token', AIRTABLE_ENDPOINT_URL: emulator.url });
  before(async () => {
    emulator = await startEmulator({ rateLimit: { enabled: false } });
    table = new Airtable({ apiKey: 'emulator-token', endpointUrl: emulator.url }).base(emulator.baseId)('Leads');
  });
  after(async () => emulator.close());
  beforeEach(() => emulator.reset({ records: true }));

  function setup() {
    const dir = tempDir('state-links-');
    const database = path.join(dir, 'leads.db');
    createSampleDatabase(database, { count: 3, seed: 5 });
    const db = new Database(database);
    db.exec('DROP INDEX IF EXISTS leads_airtable_id; ALTER TABLE leads DROP COLUMN airtable_id');
    const localIds = db.prepare('SELECT id FROM leads ORDER BY id').pluck().all() as string[];
    db.close();
    const stateFile = path.join(dir, 'sync-state.db');
    const stateDir = path.join(dir, 'state');
    const journal = new RunJournal(journalPath(stateDir, 'run-1'), 'run-1');
    journal.target({ system: 'local', database, table: 'leads', id_column: 'id', modified_column: 'updated_at', link_field: '', state_file: stateFile });
    journal.target({ system: 'airtable', base_id: emulator.baseId, table: 'Leads' });
    return { dir, database, stateFile, stateDir, journal, localIds };
  }

  it('resume puts the link of an Airtable record the interrupted run created into the sync state, and writes no column', async () => {
    const { dir, stateFile, stateDir, journal, localIds } = setup();
    const created = await table.create({ 'Full Name': 'New Lead', Email: 'new@lead.io' });
    journal.settle(
      journal.intend([op({ action: 'create', fields: { name: 'New Lead', email: 'new@lead.io' }, link: { system: 'local', id: localIds[0]! } })]),
      [{ status: 'applied', id: created.id }],
    );
    journal.close();
    const pipeline = path.join(dir, 'again.yaml');
    fs.writeFileSync(path.join(dir, 'empty.jsonl'), '');
    fs.writeFileSync(pipeline, 'steps:\n  - read-jsonl: { path: empty.jsonl }\n  - write-jsonl: { path: out.jsonl }\n');
    const result = await resumeRun('run-1', { stateDir, env: env(), pipeline });
    expect(result.linked).to.equal(1);
    const state = new SyncState(stateFile);
    try {
      expect(state.airtableIdOf(localIds[0]!)).to.equal(created.id);
    } finally {
      state.close();
    }
  });

  it('rollback drops the links to records it removed and moves those to records it recreated to their new ids', async () => {
    const { stateFile, stateDir, journal, localIds } = setup();
    const [kept, gone] = (
      await table.create([{ fields: { 'Full Name': 'Kept', Email: 'kept@lead.io' } }, { fields: { 'Full Name': 'Gone', Email: 'gone@lead.io' } }])
    ).map((r) => r.id);
    // The run deleted `gone` (linked to the first local lead) and created a record for the second local lead; validate saved the links.
    journal.settle(journal.intend([op({ action: 'delete', id: gone, replaces: { name: 'Gone', email: 'gone@lead.io' } })]), [{ status: 'applied', id: gone }]);
    await table.destroy(gone!);
    const created = await table.create({ 'Full Name': 'Made', Email: 'made@lead.io' });
    journal.settle(journal.intend([op({ action: 'create', fields: { name: 'Made', email: 'made@lead.io' }, link: { system: 'local', id: localIds[1]! } })]), [
      { status: 'applied', id: created.id },
    ]);
    journal.close();
    const saved = new SyncState(stateFile);
    saved.save({
      started_at: '2026-02-01T00:00:00Z',
      full_scan: true,
      links: [
        [localIds[0]!, gone!],
        [localIds[1]!, created.id],
        [localIds[2]!, kept!],
      ],
    });
    saved.close();

    const result = await rollbackRun('run-1', { stateDir, env: env() });
    expect(result.recreated).to.have.length(1);
    const { old_id: oldId, new_id: newId } = result.recreated[0]!;
    expect(oldId).to.equal(gone);
    expect((await table.find(newId)).get('Email')).to.equal('gone@lead.io');
    const state = new SyncState(stateFile);
    try {
      expect(state.airtableIdOf(localIds[0]!), 'moved to the recreated record').to.equal(newId);
      expect(state.airtableIdOf(localIds[1]!), 'the record the run created is gone').to.equal(undefined);
      expect(state.airtableIdOf(localIds[2]!), 'untouched').to.equal(kept);
    } finally {
      state.close();
    }
    const report = JSON.parse(fs.readFileSync(result.report!, 'utf8')) as { recreated: unknown };
    expect(report.recreated).to.deep.equal(result.recreated);
  });

  it("restore moves the sync state's links to the Airtable records it recreated under new ids", async () => {
    const dir = tempDir('state-links-restore-');
    const [id] = emulator.seed('Leads', [{ 'Full Name': 'Ada', Email: 'ada@x.io' }]);
    const { manifestPath } = await createBackup({
      directory: dir,
      runId: 'r',
      airtable: { token: 'emulator-token', baseId: emulator.baseId, endpointUrl: emulator.url, table: 'Leads' },
    });
    await table.destroy(id!);
    const stateFile = path.join(dir, 'sync-state.db');
    const saved = new SyncState(stateFile);
    saved.save({ started_at: '2026-02-01T00:00:00Z', full_scan: true, links: [['L1', id!]] });
    saved.close();
    const plan = await restoreBackup(manifestPath, { env: env(), state_file: stateFile });
    const newId = plan.airtable!.recreated![0]!.new_id;
    const state = new SyncState(stateFile);
    try {
      expect(state.airtableIdOf('L1')).to.equal(newId).and.not.equal(id);
    } finally {
      state.close();
    }
  });
});
