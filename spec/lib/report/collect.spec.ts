import { expect } from 'chai';
import { ReportCollector } from '../../../lib/report/collect.js';
import type { Lead } from '../../../lib/core/record.js';
import type { DuplicateGroup } from '../../../lib/core/types.js';

function groupOf(primary: Lead, members: Lead[]): Lead {
  const group: DuplicateGroup = {
    kind: 'duplicate_group',
    cluster: 'c1',
    matching_field: 'email',
    matching_value: 'marc@acme.ca',
    records: members,
    primary_record: primary,
    duplicate_records: members.slice(1),
    resolution_strategy: 'most_recent',
    confidence_score: 1,
    values_not_kept: [],
  };
  return group as unknown as Lead;
}

function collect(item: Lead) {
  const collector = new ReportCollector({ runId: 'r', dryRun: false, maxRows: 10, now: () => new Date(0) }, () => {});
  collector.add(item);
  return collector.tallies.tables.groups.rows;
}

describe('report: merged groups', () => {
  it('shows the kept member with its name and email standardized, the members as they were read', () => {
    const kept: Lead = { name: 'MARC GAGNON', email: ' Marc@Acme.CA ', _meta: { source: 'local', id: '1' } };
    const other: Lead = { name: 'marc gagnon', email: 'marc@acme.ca', _meta: { source: 'local', id: '2' } };
    const [row] = collect(groupOf(kept, [kept, other]));
    expect(row.primary).to.equal('local:1 Marc Gagnon <marc@acme.ca>');
    expect(row.members).to.deep.equal(['local:1 MARC GAGNON < Marc@Acme.CA >', 'local:2 marc gagnon <marc@acme.ca>']);
  });

  it('keeps a name in mixed case and an address it cannot standardize as they are', () => {
    const kept: Lead = { name: 'Jean-François DeShawn', email: 'not an email', _meta: { source: 'airtable', id: 'rec1' } };
    expect(collect(groupOf(kept, [kept]))[0].primary).to.equal('airtable:rec1 Jean-François DeShawn <not an email>');
  });
});
