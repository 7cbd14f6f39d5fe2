import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { runStage } from '../helpers.js';
import { useToken } from '../lib/airtable/setup.js';
import {
  airtable,
  airtableByEmail,
  airtableRows,
  applied,
  deleteLocal,
  editLocal,
  localByEmail,
  localRows,
  person,
  scenario,
  state,
  sync,
  type Scenario,
} from './support.js';

/** Both systems hold the same people, each local lead linked to its own Airtable record. */
function expectInStep(s: Scenario): void {
  const local = localRows(s);
  const remote = new Map(airtableRows(s).map((r) => [r.id, r]));
  expect(local.length, 'as many leads in both systems').to.equal(remote.size);
  for (const row of local) {
    const other = remote.get(row.airtable_id as string);
    expect(other, `local ${row.id} linked to an existing record`).to.not.equal(undefined);
    for (const field of ['name', 'email', 'company', 'title']) expect(other![field] ?? null, `${row.id}.${field}`).to.equal(row[field] ?? null);
  }
}

const minutesAgo = (n: number): string => new Date(Date.now() - n * 60_000).toISOString();

describe('synchronization scenarios (SQLite file + Airtable emulator, bundled pipelines)', function () {
  this.timeout(60_000);
  useToken();
  let s: Scenario | undefined;
  afterEach(async () => {
    await s?.em.close();
    s = undefined;
  });

  it('creates a lead new on either side in the other system, links the two, and saves the links', async () => {
    s = await scenario({ linked: [person(1)], localOnly: [person(2)], airtableOnly: [person(3)] });
    const run = await sync(s);
    expect(run.operations).to.include({ 'airtable.create.applied': 1, 'local.create.applied': 1 });
    expect(airtableByEmail(s, 'person2@firm2.io')).to.include({ name: 'Person 2', company: 'Firm 2' });
    expect(localByEmail(s, 'person3@firm3.io')).to.include({ name: 'Person 3', airtable_id: airtableByEmail(s, 'person3@firm3.io')!.id });
    expect(localByEmail(s, 'person2@firm2.io')!.airtable_id).to.equal(airtableByEmail(s, 'person2@firm2.io')!.id);
    expectInStep(s);
    const saved = state(s);
    expect(saved.localIdOf(airtableByEmail(s, 'person1@firm1.io')!.id as string)).to.equal('L0');
    expect(saved.watermark()).to.be.a('string');
    saved.close();
  });

  it('one way on request: to_airtable creates local-only leads in Airtable, leaves Airtable-only ones alone, and validates', async () => {
    s = await scenario({ linked: [person(1)], localOnly: [person(2)], airtableOnly: [person(3)] });
    const toAirtable = await sync(s, { diff: { direction: 'to_airtable' } });
    expect(toAirtable.operations).to.deep.equal({ 'airtable.create.applied': 1, 'local.update.applied': 1 }); // the create, and its link stored locally
    expect(airtableByEmail(s, 'person2@firm2.io')).to.include({ name: 'Person 2' });
    expect(localByEmail(s, 'person3@firm3.io')).to.equal(undefined);
    const toLocal = await sync(s, { diff: { direction: 'to_local' } });
    expect(toLocal.operations).to.deep.equal({ 'local.create.applied': 1 });
    expect(localByEmail(s, 'person3@firm3.io')!.airtable_id).to.equal(airtableByEmail(s, 'person3@firm3.io')!.id);
    expectInStep(s);
  });

  it('carries an edit made on either side to the other', async () => {
    s = await scenario({ linked: [person(1), person(2)] });
    editLocal(s, 'L0', { title: 'CTO' });
    await airtable(s, 'PATCH', localByEmail(s, 'person2@firm2.io')!.airtable_id as string, { company: 'Firm Two' });
    const run = await sync(s);
    expect(run.operations).to.deep.equal({ 'airtable.update.applied': 1, 'local.update.applied': 1 });
    expect(airtableByEmail(s, 'person1@firm1.io')!.title).to.equal('CTO');
    expect(localByEmail(s, 'person2@firm2.io')!.company).to.equal('Firm Two');
    expectInStep(s);
  });

  describe('an edit of the same field on both sides (local edited 30 minutes ago, Airtable now)', () => {
    const cases: Array<[string, string]> = [
      ['most_recent', 'Airtable Title'],
      ['local_wins', 'Local Title'],
      ['airtable_wins', 'Airtable Title'],
    ];
    for (const [strategy, kept] of cases) {
      it(`${strategy}: both systems end with ${kept}`, async () => {
        s = await scenario({ linked: [person(1)] });
        editLocal(s, 'L0', { title: 'Local Title' }, minutesAgo(30));
        await airtable(s, 'PATCH', localByEmail(s, 'person1@firm1.io')!.airtable_id as string, { title: 'Airtable Title' });
        const run = await sync(s, { diff: { conflict_resolution: strategy } });
        expect(applied(run)).to.equal(1);
        expect(localByEmail(s, 'person1@firm1.io')!.title).to.equal(kept);
        expect(airtableByEmail(s, 'person1@firm1.io')!.title).to.equal(kept);
      });
    }

    it('manual: the conflict goes to the review file, the field is left alone on both sides, and the run still checks out', async () => {
      s = await scenario({ linked: [person(1)] });
      editLocal(s, 'L0', { title: 'Local Title' }, minutesAgo(30));
      await airtable(s, 'PATCH', localByEmail(s, 'person1@firm1.io')!.airtable_id as string, { title: 'Airtable Title' });
      const run = await sync(s, { diff: { conflict_resolution: 'manual' } });
      expect(run.operations).to.deep.equal({});
      expect(airtableByEmail(s, 'person1@firm1.io')!.title).to.equal('Airtable Title');
      expect(localByEmail(s, 'person1@firm1.io')!.title).to.equal('Local Title');
      const review = fs
        .readFileSync(path.join(s.dir, 'review', 'conflicts.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(review).to.have.length(1);
      expect(review[0]).to.include({
        field_name: 'title',
        local_value: 'Local Title',
        airtable_value: 'Airtable Title',
        conflict_type: 'value_mismatch',
        suggested_resolution: 'keep_airtable',
        resolution: 'manual',
      });
      expect(fs.existsSync(path.join(s.dir, 'sync-state.db')), 'validate passed and saved the state').to.equal(true);
    });
  });

  it('after a successful run, carries a deletion made on either side to the other', async () => {
    s = await scenario({ linked: [person(1), person(2), person(3)] });
    await sync(s);
    const gone = airtableByEmail(s, 'person2@firm2.io')!.id as string;
    deleteLocal(s, 'L0');
    await airtable(s, 'DELETE', gone);
    const run = await sync(s);
    expect(run.operations).to.deep.equal({ 'airtable.delete.applied': 1, 'local.delete.applied': 1 });
    expect(localRows(s).map((r) => r.email)).to.deep.equal(['person3@firm3.io']);
    expect(airtableRows(s).map((r) => r.email)).to.deep.equal(['person3@firm3.io']);
  });

  it('before any successful run, a lead whose counterpart is missing is created again rather than deleted', async () => {
    s = await scenario({ linked: [person(1), person(2)] });
    const gone = localByEmail(s, 'person2@firm2.io')!.airtable_id as string;
    await airtable(s, 'DELETE', gone);
    const run = await sync(s);
    expect(run.operations).to.include({ 'airtable.create.applied': 1 });
    expect(localRows(s)).to.have.length(2);
    const again = airtableByEmail(s, 'person2@firm2.io')!;
    expect(again.id).to.not.equal(gone);
    expect(localByEmail(s, 'person2@firm2.io')!.airtable_id).to.equal(again.id);
    expectInStep(s);
  });

  it('full maintenance merges duplicates of one person on both sides into one linked lead each', async () => {
    s = await scenario({
      linked: [person(1, { title: '' as unknown as string })],
      localOnly: [person(1, { title: 'Founder' }), person(4)],
      airtableOnly: [person(1, { company: 'Firm 1' })],
    });
    const run = await sync(s, { pipeline: 'full' });
    expect(run.operations['local.delete.applied']).to.equal(1);
    expect(run.operations['airtable.delete.applied']).to.equal(1);
    expect(localRows(s).filter((r) => r.email === 'person1@firm1.io')).to.have.length(1);
    expect(airtableRows(s).filter((r) => r.email === 'person1@firm1.io')).to.have.length(1);
    expectInStep(s);
  });

  it('is idempotent: a second run right after a successful one has zero operations and sends no write request', async () => {
    s = await scenario({ linked: [person(1), person(2)], localOnly: [person(3)], airtableOnly: [person(4)] });
    const first = await sync(s, { pipeline: 'full' });
    expect(applied(first)).to.be.greaterThan(0);
    const second = await sync(s, { pipeline: 'full' });
    expect(second.operations).to.deep.equal({});
    expect(second.requests.writes).to.equal(0);
  });

  it('an incremental run reads and writes in proportion to the changes, not to the table', async () => {
    const people = Array.from({ length: 450 }, (_, i) => person(i));
    s = await scenario({ linked: people });
    const incremental = { incremental: true, overlap_seconds: 1 };
    const full = await sync(s, { readAirtable: incremental });
    expect(applied(full)).to.equal(0);
    // Later edits: two on each side.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    editLocal(s, 'L3', { title: 'CTO' });
    editLocal(s, 'L50', { title: 'CEO' });
    await airtable(s, 'PATCH', localByEmail(s, 'person7@firm7.io')!.airtable_id as string, { company: 'Seven' });
    await airtable(s, 'PATCH', localByEmail(s, 'person99@firm99.io')!.airtable_id as string, { company: 'Ninety-Nine' });
    // The edits used this second's requests; the run starts with the base's budget whole, so no 429 retry blurs the count.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const run = await sync(s, { readAirtable: incremental });
    expect(run.operations).to.deep.equal({ 'airtable.update.applied': 2, 'local.update.applied': 2 });
    const readAirtable = run.summary.stages.find((c) => c.stage === 'read-airtable')!;
    // 450 local leads pass through; Airtable adds only the 2 it changed and the 2 counterparts.
    expect(readAirtable.sent - readAirtable.received).to.equal(4);
    // One listing of the changes, one fetch of the counterparts, one write, one check by id.
    expect(run.requests.total).to.be.at.most(4);
    // The full run listed 5 pages, and validate listed them again.
    expect(full.requests.total).to.be.at.least(10);
    expect(airtableByEmail(s, 'person3@firm3.io')!.title).to.equal('CTO');
    expect(localByEmail(s, 'person99@firm99.io')!.company).to.equal('Ninety-Nine');
    expectInStep(s);
    // The incremental run moved the watermark, kept the last full scan and every link.
    const saved = state(s);
    expect(saved.watermark()! > saved.lastFullScan()!).to.equal(true);
    expect(saved.airtableIdOf('L449')).to.equal(localByEmail(s, 'person449@firm449.io')!.airtable_id);
    saved.close();
  });

  it('an incremental run after a rule change standardizes a linked lead on both sides, though its Airtable record did not change', async () => {
    // The last sync ran under rules that left ALL-CAPS names alone: both systems hold the name as typed, in step.
    s = await scenario({ linked: [person(1, { name: 'ANNA SCHMIDT' }), person(2), person(3)] });
    const rows = localRows(s);
    const saved = state(s);
    const lastRun = minutesAgo(1);
    saved.save({
      started_at: lastRun,
      checked_at: lastRun,
      full_scan: true,
      links: rows.map((r) => [r.id as string, r.airtable_id as string] as [string, string]),
    });
    saved.close();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const run = await sync(s, { readAirtable: { incremental: true, overlap_seconds: 1 } });
    expect(run.operations).to.deep.equal({ 'airtable.update.applied': 1, 'local.update.applied': 1 });
    expect(localByEmail(s, 'person1@firm1.io')!.name).to.equal('Anna Schmidt');
    expect(airtableByEmail(s, 'person1@firm1.io')!.name).to.equal('Anna Schmidt');
    expectInStep(s);
    // One listing of the changes (none), one fetch of the lead's Airtable record, one write, one check by id.
    expect(run.requests.total).to.be.at.most(4);
  });

  it('validate, run on two systems that differ (a base changed behind the run), fails with the differences and saves no state', async () => {
    s = await scenario({ linked: [person(1), person(2)] });
    await sync(s);
    const saved = state(s);
    const watermark = saved.watermark();
    saved.close();
    await airtable(s, 'PATCH', localByEmail(s, 'person2@firm2.io')!.airtable_id as string, { title: 'Tampered' });
    const stray = s.em.seed('Leads', [{ 'Full Name': 'Stray', Email: 'stray@x.io' }])[0]!;
    const options = { database: s.db, endpoint_url: s.em.url, base_id: s.em.baseId, state_file: path.join(s.dir, 'sync-state.db') };
    let error: Error | undefined;
    try {
      await runStage('validate', options, []);
    } catch (caught) {
      error = caught as Error;
    }
    expect(error?.message)
      .to.contain('The systems differ after the run: 3 difference(s).')
      .and.contain(
        `Local lead L1 (Person 2) and Airtable record ${localByEmail(s, 'person2@firm2.io')!.airtable_id} differ in title: local "Engineer", Airtable "Tampered".`,
      )
      .and.contain(`Airtable record ${stray} has no local lead linked to it.`)
      .and.contain('The local table holds 2 leads and Airtable 3.');
    const after = state(s);
    expect(after.watermark()).to.equal(watermark);
    after.close();
  });
});
