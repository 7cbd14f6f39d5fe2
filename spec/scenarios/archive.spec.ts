import { expect } from 'chai';
import path from 'node:path';
import { DEFAULT_LEAD_SCHEMA, type BaseSchema } from '../../lib/airtable-emulator/index.js';
import { rollbackRun } from '../../lib/safety/index.js';
import { DEFAULT_TOKEN } from '../../lib/airtable-emulator/index.js';
import { useToken } from '../lib/airtable/setup.js';
import { localRows, person, scenario, sync, type Scenario } from './support.js';

/** The lead table with an "Archived" checkbox, as a team that archives instead of deleting has it. */
const WITH_ARCHIVE: BaseSchema = {
  ...DEFAULT_LEAD_SCHEMA,
  tables: DEFAULT_LEAD_SCHEMA.tables.map((t) => ({ ...t, fields: [...t.fields, { name: 'Archived', type: 'checkbox' }] })),
};

const ARCHIVE = { delete_mode: 'archive', archive_field: 'Archived' };

describe('delete_mode: archive (SQLite file + Airtable emulator, full pipeline)', function () {
  this.timeout(60_000);
  useToken();
  let s: Scenario | undefined;
  afterEach(async () => {
    await s?.em.close();
    s = undefined;
  });

  /** The same person twice in Airtable (a duplicate to remove) and once locally. */
  async function duplicated(): Promise<{ s: Scenario; ids: string[] }> {
    s = await scenario({ localOnly: [person(1)], airtableOnly: [person(1), person(1, { title: 'Engineer II' })], schema: WITH_ARCHIVE });
    return {
      s,
      ids: s.em
        .dump('Leads')
        .map((r) => r.id)
        .sort(),
    };
  }

  it('marks the losing Airtable duplicate archived instead of deleting it: every id is kept, and the next run reads it no more', async () => {
    const { s, ids } = await duplicated();
    const dry = await sync(s, { pipeline: 'full', airtable: ARCHIVE, dryRun: true });
    const run = await sync(s, { pipeline: 'full', airtable: ARCHIVE });
    expect(run.operations['airtable.delete.applied'] ?? 0).to.equal(0);
    expect(run.operations['airtable.update.applied']).to.be.greaterThan(0);
    expect(
      Object.values(dry.operations).reduce((a, b) => a + b, 0),
      'the dry run plans the archive as the live run applies it',
    ).to.equal(Object.values(run.operations).reduce((a, b) => a + b, 0));
    const records = s.em.dump('Leads');
    expect(records.map((r) => r.id).sort()).to.deep.equal(ids);
    const archived = records.filter((r) => r.fields.Archived === true);
    expect(archived).to.have.length(1);
    // The survivor is linked to the one local lead; the archived record to none.
    expect(localRows(s)).to.have.length(1);
    expect(localRows(s)[0]!.airtable_id).to.be.oneOf(ids.filter((id) => id !== archived[0]!.id));

    const again = await sync(s, { pipeline: 'full', airtable: ARCHIVE });
    expect(again.operations).to.deep.equal({});
    expect(again.requests.writes).to.equal(0);
  });

  it('a rollback of an archive is an update: the record is unmarked under its own id', async () => {
    const { s, ids } = await duplicated();
    const run = await sync(s, { pipeline: 'full', airtable: ARCHIVE });
    const result = await rollbackRun(run.summary.runId, {
      stateDir: path.join(s.dir, '.lead-maintenance'),
      env: { AIRTABLE_TOKEN: DEFAULT_TOKEN, AIRTABLE_ENDPOINT_URL: s.em.url },
    });
    expect(result.conflicts).to.deep.equal([]);
    expect(result.recreated).to.deep.equal([]);
    const records = s.em.dump('Leads');
    expect(records.map((r) => r.id).sort()).to.deep.equal(ids);
    expect(records.filter((r) => r.fields.Archived === true)).to.deep.equal([]);
  });

  it('names the missing field before any data moves when the table has no archive field', async () => {
    s = await scenario({ localOnly: [person(1)], airtableOnly: [person(1), person(1, { title: 'Engineer II' })] });
    const before = s.em.dump('Leads');
    let error: Error | undefined;
    try {
      await sync(s, { pipeline: 'full', airtable: ARCHIVE });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.contain("has no field 'Archived'").and.contain('checkbox');
    expect(s.em.dump('Leads')).to.deep.equal(before);
  });
});
