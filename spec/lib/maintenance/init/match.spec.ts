import { expect } from 'chai';
import { parse as parseYaml } from 'yaml';
import { chooseBookkeeping } from '../../../../lib/maintenance/init/bookkeeping.js';
import type { LocalTable, RemoteTable, SourceColumn } from '../../../../lib/maintenance/init/inspect.js';
import { matchColumns } from '../../../../lib/maintenance/init/match.js';
import { propose } from '../../../../lib/maintenance/init/propose.js';
import { renderProposal } from '../../../../lib/maintenance/init/render.js';
import { parseFieldMapping } from '../../../../lib/core/field-mapping.js';

const col = (name: string, values: unknown[] = [], more: Partial<SourceColumn> = {}): SourceColumn => ({ name, type: 'TEXT', values, ...more });
const field = (name: string, type: string, values: unknown[] = [], choices?: string[]): SourceColumn => ({
  name,
  type,
  values,
  ...(choices ? { choices } : {}),
});
const fields = (m: { mapped: Array<{ source: string; field: string }> }): Record<string, string> =>
  Object.fromEntries(m.mapped.map((x) => [x.source, x.field]));

const local = (columns: SourceColumn[]): LocalTable => ({ file: 'leads.db', table: 'people', rows: 3, sampled: 3, columns });
const remote = (columns: SourceColumn[], table = 'People'): RemoteTable => ({ baseId: 'appAAAAAAAAAAAAAA', table, sampled: 3, columns });
const render = (p: ReturnType<typeof propose>): string =>
  renderProposal(p, {
    commands: { dryRun: 'db-maintenance --full-maintenance --dry-run', live: 'db-maintenance --full-maintenance' },
    now: new Date('2026-01-01T00:00:00Z'),
  });

describe('lib/init: matching columns to lead fields', () => {
  it('takes a word in a name only when the values agree', () => {
    const m = matchColumns(
      [
        col('Primary Email', ['a@b.io', 'c@d.io']),
        col('Email_Confidence_Level', ['Real', 'Pattern', 'Guess']),
        col('Hotel', ['Ritz', 'Savoy']),
        col('Backup Phone', []),
      ],
      { airtable: false },
    );
    expect(fields(m)).to.deep.equal({ 'Primary Email': 'email' });
    expect(m.leftOut.map((l) => l.source)).to.deep.equal(['Email_Confidence_Level', 'Hotel', 'Backup Phone']);
  });

  it('gives each field to one column: a name beats values, the first name beats the next, and the loser says who took it', () => {
    const m = matchColumns([col('contact_mail', ['x@y.io']), col('Email', ['a@b.io']), col('Work Email', ['c@d.io'])], { airtable: false });
    expect(fields(m)).to.deep.equal({ Email: 'email' });
    expect(m.leftOut).to.deep.include({ source: 'Work Email', why: "also looks like email (by its name), but 'Email' took it" });
    expect(m.leftOut.find((l) => l.source === 'contact_mail')!.why).to.contain("but 'Email' took it");
  });

  it("reads Airtable's field types, select options and values, and leaves computed fields out", () => {
    const m = matchColumns(
      [
        field('Mail', 'email'),
        field('Profile', 'url', ['https://www.linkedin.com/in/a', 'linkedin.com/in/b']),
        field('Site', 'url', ['https://acme.io']),
        field('Tel', 'phoneNumber'),
        field('Outreach', 'singleSelect', [], ['Auto-Send', 'Sent', 'Skipped']),
        field('Stage', 'singleSelect', [], ['New', 'Won']),
        field('Last Modified', 'lastModifiedTime', ['2026-01-01T00:00:00.000Z']),
        field('Contact email', 'formula', ['a@b.io']),
      ],
      { airtable: true },
    );
    expect(fields(m)).to.deep.equal({ Mail: 'email', Profile: 'linkedin_url', Site: 'company_website', Tel: 'phone', Outreach: 'engagement_status' });
    expect(m.leftOut).to.deep.equal([
      { source: 'Stage', why: 'singleSelect: New, Won; no lead field by its name or values' },
      { source: 'Last Modified', why: 'computed by Airtable (lastModifiedTime)' },
      { source: 'Contact email', why: 'computed by Airtable (formula)' },
    ]);
  });

  it('says an empty Airtable field was taken by its name and type', () => {
    const m = matchColumns([field('Backup Email', 'email')], { airtable: true });
    expect(m.mapped).to.deep.equal([{ source: 'Backup Email', field: 'email', why: 'by its name and type (email)' }]);
  });

  it('leaves a link column and the pipeline status as they are', () => {
    const m = matchColumns([col('airtable_id', ['recAOqcplYsvFBPko']), col('Airtable Record', ['recAOqcplYsvFBPko']), col('status', ['new'])], {
      airtable: false,
    });
    expect(m.mapped).to.deep.equal([]);
    expect(m.leftOut.map((l) => l.why)).to.deep.equal([
      'holds Airtable record ids; not needed: the link between systems is kept in the run state',
      'holds Airtable record ids; not needed: the link between systems is kept in the run state',
      'the tool keeps its own pipeline status under this name; carried through as it is',
    ]);
  });
});

describe('lib/init: id, modified and created columns', () => {
  it('takes the primary key, else a column named as an id with all-different values', () => {
    expect(chooseBookkeeping([col('n'), col('Ref', [], { pk: true })]).id).to.deep.equal({ name: 'Ref', why: "the table's primary key" });
    expect(chooseBookkeeping([col('lead_id', ['1', '1']), col('Contact ID', ['a', 'b'])]).id?.name).to.equal('Contact ID');
    expect(chooseBookkeeping([col('Contact ID', ['a', null])]).id).to.equal(undefined);
  });

  it('finds the times by name, and never takes a date of another event for the modified column', () => {
    expect(chooseBookkeeping([col('Date Added', ['2026-01-01']), col('Last Modified', ['2026-01-02'])])).to.deep.include({
      modified: { name: 'Last Modified', why: 'by its name' },
      created: { name: 'Date Added', why: 'by its name' },
    });
    expect(chooseBookkeeping([col('Last Contacted', ['2026-01-01'])]).modified).to.equal(undefined);
  });

  it('tells modified from created by their values when the names say nothing', () => {
    const b = chooseBookkeeping([col('t1', ['2026-01-01', '2026-02-01']), col('t2', ['2026-01-03', '2026-02-01'])]);
    expect(b.modified?.name).to.equal('t2');
    expect(b.created?.name).to.equal('t1');
    expect(b.modified?.why).to.contain("never earlier than 't1'").and.contain('check it');
  });
});

describe('lib/init: the proposal', () => {
  const team = local([
    col('id', ['1', '2'], { pk: true }),
    col('Full Name', ['Ada']),
    col('E-mail', ['a@b.io']),
    col('Stage', ['New']),
    col('Engagement', ['Auto-Send', 'Sent']),
    col('Score', ['4']),
  ]);

  it('keeps in step the fields both sides map, and same-named columns under their own name', () => {
    const p = propose(
      team,
      remote([
        field('Name', 'singleLineText'),
        field('Email', 'email'),
        field('stage', 'singleSelect', [], ['New']),
        field('Status', 'singleSelect', [], ['Auto-Send', 'Sent', 'Skipped', 'Needs Review', 'Error']),
      ]),
    );
    expect(p.synced).to.deep.equal([
      { field: 'name', column: 'Full Name', airtable: 'Name' },
      { field: 'email', column: 'E-mail', airtable: 'Email' },
      { field: 'engagement_status', column: 'Engagement', airtable: 'Status' },
      { field: 'Stage', column: 'Stage', airtable: 'stage', sameName: true },
    ]);
    expect(p.localOnly).to.deep.equal([{ source: 'Score', field: 'lead_score', why: 'by its name' }]);
    expect(p.maintenance).to.deep.equal({ airtableTable: 'People' });
  });

  it('holds back a pair whose Airtable select lacks values the local column holds, since every write of them would be refused', () => {
    const p = propose(
      local([col('id', ['1', '2'], { pk: true }), col('Source', ['Search', 'serpapi', null])]),
      remote([field('Source', 'singleSelect', [], ['Search', 'Comment'])], 'Leads'),
    );
    expect(p.synced).to.deep.equal([]);
    expect(p.heldBack).to.deep.equal([
      {
        field: 'source',
        column: 'Source',
        airtable: 'Source',
        why: "local values 'serpapi' are not options of this select: add them in Airtable, then add the pair to both sections",
      },
    ]);
    expect(render(p)).to.contain(`#   "Source": source (local "Source"): local values 'serpapi' are not options`);
    const fits = propose(
      local([col('id', ['1'], { pk: true }), col('Source', ['Search'])]),
      remote([field('Source', 'singleSelect', [], ['Search', 'Comment'])], 'Leads'),
    );
    expect(fits.synced.map((s) => s.field)).to.deep.equal(['source']);
  });

  it('proposes the engagement statuses of the Airtable select, or none when the local table has no such column', () => {
    const own = propose(team, remote([field('Engagement Status', 'singleSelect', [], ['Auto-Send', 'Sent', 'Bounced'])], 'Leads'));
    expect(own.maintenance.engagement).to.deep.include({ valid_values: ['Auto-Send', 'Sent', 'Bounced'], default_value: 'Auto-Send' });
    const none = propose(local([col('id', ['1'], { pk: true }), col('Email', ['a@b.io'])]), remote([field('Email', 'email')], 'Leads'));
    expect(none.maintenance).to.deep.equal({
      engagement: { enabled: false, why: "table 'people' has no engagement status column, so none is written into empty ones" },
    });
  });

  it('renders a file that reads back as the same mapping', () => {
    const p = propose(team, remote([field('Name', 'singleLineText'), field('Email', 'email'), field('stage', 'singleSelect', [], ['New'])]));
    const text = render(p);
    const mapping = parseFieldMapping(text, 'lead-maintenance.yaml');
    expect(mapping.database_to_airtable).to.deep.equal({ name: 'Name', email: 'Email', Stage: 'stage' });
    expect(mapping.local).to.deep.equal({
      table: 'people',
      id_column: 'id',
      modified_column: null,
      created_column: null,
      columns: { 'Full Name': 'name', 'E-mail': 'email', Engagement: 'engagement_status', Score: 'lead_score' },
    });
    expect(parseYaml(text).maintenance_config).to.deep.equal({ synchronization: { airtable: { table: 'People' } } });
  });

  it('leaves the id column for the user to name when it finds none, on a line the loader points at', () => {
    const p = propose(local([col('Email', ['a@b.io'])]), remote([field('Email', 'email')], 'Leads'));
    const text = render(p);
    expect(text).to.match(/id_column: ""\s+# NOT FOUND: name the column that identifies a row/);
    expect(() => parseFieldMapping(text, 'lead-maintenance.yaml')).to.throw(
      /lead-maintenance\.yaml:\d+:\d+ field_mapping\.local\.id_column: local\.id_column must be a non-empty string/,
    );
  });
});
