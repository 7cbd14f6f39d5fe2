import path from 'node:path';
import { expect } from 'chai';
import Airtable from 'airtable';
import Database from 'better-sqlite3';
import { startEmulator, type Emulator } from '../../../lib/airtable-emulator/index.js';
import type { Operation } from '../../../lib/core/operation.js';
import { readJournal } from '../../../lib/core/journal-read.js';
import { journalPath, RunJournal } from '../../../lib/core/journal.js';
import { rollbackRun } from '../../../lib/safety/rollback.js';
import { createSampleDatabase } from '../../../lib/sqlite/sample.js';
import { tempDir } from '../../helpers.js';
import { tableRows } from './support.js';

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

describe('resume and rollback on Airtable (journaled operations against the emulator)', () => {
  let emulator: Emulator;
  let ids: string[];
  let table: Airtable.Table<Airtable.FieldSet>;
  const env = () => ({ AIRTABLE_TOKEN: 'emulator-token', AIRTABLE_ENDPOINT_URL: emulator.url });
  before(async () => {
    emulator = await startEmulator({ rateLimit: { enabled: false } });
    table = new Airtable({ apiKey: 'emulator-token', endpointUrl: emulator.url }).base(emulator.baseId)('Leads');
  });
  after(async () => emulator.close());
  beforeEach(() => {
    emulator.reset({ records: true });
    ids = emulator.seed(
      'Leads',
      Array.from({ length: 6 }, (_, i) => ({ 'Full Name': `Lead ${i}`, Email: `lead${i}@acme.io`, Company: `Acme ${i}` })),
    );
  });

  /** A state directory with a journal whose targets are this base (and a local database linked to it). */
  function setup() {
    const dir = tempDir('airtable-recovery-');
    const database = path.join(dir, 'leads.db');
    createSampleDatabase(database, { count: 5, seed: 3 });
    const db = new Database(database);
    db.prepare('UPDATE leads SET airtable_id = ? WHERE rowid = 1').run(ids[1]);
    db.close();
    const stateDir = path.join(dir, 'state');
    const journal = new RunJournal(journalPath(stateDir, 'at-run'), 'at-run');
    journal.target({ system: 'local', database, table: 'leads', id_column: 'id', modified_column: 'updated_at', link_field: 'airtable_id' });
    journal.target({ system: 'airtable', base_id: emulator.baseId, table: 'Leads' });
    return { dir, database, stateDir, journal };
  }

  it('undoes updates, deletes (recreated, local links moved) and creates, including one whose outcome was never recorded', async () => {
    const { database, stateDir, journal } = setup();
    const snapshot = contents(emulator);
    const update = op({ id: ids[0], fields: { company: 'Renamed Co' }, replaces: { company: 'Acme 0' } });
    journal.settle(journal.intend([update]), [{ status: 'applied', id: ids[0] }]);
    await table.update(ids[0]!, { Company: 'Renamed Co' });

    const remove = op({ action: 'delete', id: ids[1], replaces: { name: 'Lead 1', email: 'lead1@acme.io', company: 'Acme 1' } });
    const removeSeqs = journal.intend([remove]);
    await table.destroy(ids[1]!);
    journal.settle(removeSeqs, [{ status: 'applied', id: ids[1] }]);

    // Applied, then the process died before marking it: the journal does not know it happened.
    journal.intend([op({ action: 'create', fields: { name: 'Zed Ghost', email: 'zed@ghost.io' } })]);
    await table.create({ 'Full Name': 'Zed Ghost', Email: 'zed@ghost.io' });
    // Journaled, never sent.
    journal.intend([op({ action: 'create', fields: { name: 'Never Sent', email: 'never@sent.io' } })]);
    journal.close();

    const result = await rollbackRun('at-run', { stateDir, env: env() });
    expect(result).to.deep.include({ undone: { local: 0, airtable: 3 }, not_applied: 1, conflicts: [], relinked: 1 });
    expect(contents(emulator)).to.deep.equal(snapshot);
    const recreated = emulator.dump('Leads').find((r) => r.fields.Email === 'lead1@acme.io')!;
    expect(recreated.id).to.not.equal(ids[1]);
    expect(tableRows(database).find((r) => r.airtable_id === recreated.id)).to.not.equal(undefined);
    const after = readJournal(journalPath(stateDir, 'at-run'));
    expect(after.end?.status).to.equal('rolled_back');
    expect(after.ops.map((o) => o.undo)).to.deep.equal(['undone', 'undone', 'undone', 'not_applied']);

    // Run again, it finds nothing left to undo.
    const again = await rollbackRun('at-run', { stateDir, env: env() });
    expect(again.undone).to.deep.equal({ local: 0, airtable: 0 });
  });

  it('rolls back one system only (partial rollback), then the other', async () => {
    const { database, stateDir, journal } = setup();
    const snapshot = contents(emulator);
    const localBefore = tableRows(database);
    const row = localBefore[2]!;
    const db = new Database(database);
    const localOp: Operation = { ...op({ system: 'local', id: String(row.id), fields: { title: 'Chief Tester' }, replaces: { title: row.title } }) };
    journal.settle(
      journal.intend([localOp], () => row),
      [{ status: 'applied', id: String(row.id) }],
    );
    db.prepare("UPDATE leads SET title = 'Chief Tester', updated_at = '2026-02-01T00:00:00.000Z' WHERE id = ?").run(row.id);
    db.close();
    journal.settle(journal.intend([op({ id: ids[3], fields: { name: 'Lead Three' }, replaces: { name: 'Lead 3' } })]), [{ status: 'applied', id: ids[3] }]);
    await table.update(ids[3]!, { 'Full Name': 'Lead Three' });
    journal.close();

    const airtableOnly = await rollbackRun('at-run', { stateDir, env: env(), systems: ['airtable'] });
    expect(airtableOnly.undone).to.deep.equal({ local: 0, airtable: 1 });
    expect(contents(emulator)).to.deep.equal(snapshot);
    expect(tableRows(database).find((r) => r.id === row.id)!.title).to.equal('Chief Tester');

    const localToo = await rollbackRun('at-run', { stateDir, env: env(), systems: ['local'] });
    expect(localToo.undone).to.deep.equal({ local: 1, airtable: 0 });
    expect(tableRows(database)).to.deep.equal(localBefore);
  });

  it('leaves a record changed after the run alone and reports the conflict, unless forced', async () => {
    const { stateDir, journal } = setup();
    journal.settle(journal.intend([op({ id: ids[4], fields: { company: 'Run Value' }, replaces: { company: 'Acme 4' } })]), [
      { status: 'applied', id: ids[4] },
    ]);
    journal.close();
    await table.update(ids[4]!, { Company: 'Edited By A Person' });
    const result = await rollbackRun('at-run', { stateDir, env: env(), systems: ['airtable'] });
    expect(result.conflicts).to.deep.equal([`Airtable record ${ids[4]} was changed since the run updated it; left as it is`]);
    expect(emulator.dump('Leads').find((r) => r.id === ids[4])!.fields.Company).to.equal('Edited By A Person');
    const forced = await rollbackRun('at-run', { stateDir, env: env(), systems: ['airtable'], force: true });
    expect(forced.undone.airtable).to.equal(1);
    expect(emulator.dump('Leads').find((r) => r.id === ids[4])!.fields.Company).to.equal('Acme 4');
  });
});
