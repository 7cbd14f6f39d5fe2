import { expect } from 'chai';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type { ReportData } from '../../lib/report/model.js';
import { useToken } from '../lib/airtable/setup.js';
import { applied, localRows, person, scenario, sync, type Row, type Scenario } from './support.js';

/**
 * Duplicates merged away by the full maintenance (pipelines/full.yaml, default `most_recent`) on a
 * real SQLite file and the Airtable emulator: what only a deleted duplicate held ends on the
 * survivor, in both systems, through diff and the writers; what the survivor does not keep is in
 * the report and the audit log.
 */
describe('merging duplicates loses no value (full maintenance, SQLite file + Airtable emulator)', function () {
  this.timeout(120_000);
  useToken();
  let s: Scenario | undefined;
  afterEach(async () => {
    await s?.em.close();
    s = undefined;
  });

  /** A local lead written as another program would, older than the scenario's own leads. */
  function insertLocal(db: string, row: Row): void {
    const handle = new Database(db);
    try {
      const columns = Object.keys(row);
      handle.prepare(`INSERT INTO leads (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`).run(...Object.values(row));
    } finally {
      handle.close();
    }
  }

  const airtableRecord = (id: unknown) => s!.em.dump('Leads').find((r) => r.id === id);

  it('most_recent: the survivor keeps the phone, website, notes and score only its deleted duplicate held, in both systems', async () => {
    s = await scenario({ linked: [person(1), person(2)] });
    // A local duplicate of Person 1, older than the linked lead (which survives), the only one with a phone, a website, notes and a score.
    insertLocal(s.db, {
      id: 'D1',
      name: 'Person 1',
      email: 'person1@firm1.io',
      company: 'Firm One Holdings',
      phone: '+1 514 555 0142',
      company_website: 'https://www.firm1.io',
      notes: 'Met at the expo',
      lead_score: 80,
      engagement_status: 'Auto-Send',
      updated_at: '2025-06-01T00:00:00.000Z',
      created_at: '2025-06-01T00:00:00.000Z',
    });
    // An Airtable duplicate of Person 2, older than its linked record (which survives), the only one with a phone.
    s.shift = -3 * 3600_000;
    const [duplicateId] = s.em.seed('Leads', [
      { 'Full Name': 'Person 2', Email: 'person2@firm2.io', Phone: '+1 438 555 0199', Engagement_Status: 'Auto-Send' },
    ]);
    s.shift = 0;
    const before = new Map(localRows(s).map((r) => [r.id, r]));

    const run = await sync(s, { pipeline: 'full' });
    expect(
      Object.keys(run.operations).filter((k) => !k.endsWith('.applied')),
      JSON.stringify(run.operations),
    ).to.deep.equal([]);
    expect(run.operations).to.include({ 'local.delete.applied': 1, 'airtable.delete.applied': 1 });

    const local = new Map(localRows(s).map((r) => [r.id, r]));
    expect(local.has('D1'), 'the local duplicate is deleted').to.equal(false);
    const one = local.get('L0')!;
    expect(one).to.include({ notes: 'Met at the expo', lead_score: 80 });
    expect(one.phone).to.match(/514.?555.?0142/);
    expect(one.company_website).to.match(/firm1\.io/);
    expect(one.company, 'the survivor keeps its own company').to.equal(before.get('L0')!.company);
    // The synced fields reached the survivor's Airtable record too.
    const remoteOne = airtableRecord(one.airtable_id)!;
    expect(remoteOne.fields).to.include({ Phone: one.phone, Website: one.company_website });

    expect(airtableRecord(duplicateId), 'the Airtable duplicate is deleted').to.equal(undefined);
    const two = local.get('L1')!;
    const remoteTwo = airtableRecord(two.airtable_id)!;
    expect(remoteTwo.fields.Phone).to.match(/438.?555.?0199/);
    expect(two.phone).to.equal(remoteTwo.fields.Phone);

    // Through diff and the writers: update operations, applied, in the audit log.
    const reports = path.join(s.dir, 'reports', 'latest');
    const audit = fs
      .readFileSync(path.join(reports, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const updated = (system: string, id: unknown) =>
      audit.filter((e) => e.system === system && e.action === 'update' && e.record_id === id && e.status === 'applied').map((e) => e.field);
    expect(updated('local', 'L0')).to.include.members(['phone', 'company_website', 'notes', 'lead_score']);
    expect(updated('airtable', one.airtable_id)).to.include.members(['phone', 'company_website']);
    expect(updated('airtable', two.airtable_id)).to.include('phone');
    expect(updated('local', 'L1')).to.include('phone');

    // The duplicate's company, which the survivor does not keep, is listed with its record in the report and the audit log.
    const report = JSON.parse(fs.readFileSync(path.join(reports, 'report.json'), 'utf8')) as ReportData;
    expect(report.success).to.equal(true);
    const notKept = report.tables.groups.rows.flatMap((g) => g.values_not_kept);
    const company = notKept.find((v) => v.record === 'local:D1' && v.field === 'company');
    expect(company).to.include({ kept: one.company, survivor: 'local:L0' });
    expect(String(company!.value)).to.match(/Firm One/);
    expect(audit.filter((e) => e.action === 'not_kept').map((e) => [e.system, e.record_id, e.field, e.status])).to.deep.include([
      'local',
      'D1',
      'company',
      'listed',
    ]);
    expect(fs.readFileSync(path.join(reports, 'report.md'), 'utf8'))
      .to.contain('### Values not kept')
      .and.contain('| local:D1 | company |');

    const again = await sync(s, { pipeline: 'full' });
    expect(applied(again), JSON.stringify(again.operations)).to.equal(0);
  });
});
