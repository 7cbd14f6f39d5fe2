import { expect } from 'chai';
import { ReportCollector } from '../../../lib/report/collect.js';
import type { Lead } from '../../../lib/core/record.js';
import type { DecisionOutcome, DuplicateGroup } from '../../../lib/core/types.js';
import type { AuditEntry } from '../../../lib/report/audit.js';

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

describe('report: decisions of a decisions file', () => {
  const outcomes: DecisionOutcome[] = [
    { kind: 'decision', number: 1, decision: 'not_duplicates', status: 'applied', records: ['local:12', 'airtable:recB'] },
    { kind: 'decision', number: 2, decision: 'merge', status: 'stale', reason: 'local:7 changed since the review', records: ['local:7', 'local:8'] },
    { kind: 'decision', number: 3, decision: 'conflict', status: 'refused', reason: 'protected', records: ['local:3', 'airtable:recC'], field: 'updated_at' },
  ];
  function audited(dryRun: boolean): { entries: AuditEntry[]; decisions: Record<string, number> } {
    const entries: AuditEntry[] = [];
    const collector = new ReportCollector({ runId: 'r', dryRun, maxRows: 10, now: () => new Date(0) }, (entry) => entries.push(entry));
    for (const outcome of outcomes) collector.add(outcome as unknown as Lead);
    return { entries, decisions: collector.tallies.decisions };
  }

  it('logs every record of every decision, "not duplicates" included, with the reason manual decision and the decision rule; stale ones as not applied', () => {
    const { entries, decisions } = audited(false);
    expect(entries.map((e) => [e.system, e.record_id, e.action, e.field, e.reason, e.rule, e.status])).to.deep.equal([
      ['local', '12', 'kept_apart', '(record)', 'manual decision', 'decision.1', 'applied'],
      ['airtable', 'recB', 'kept_apart', '(record)', 'manual decision', 'decision.1', 'applied'],
      ['local', '7', 'merged', '(record)', 'manual decision', 'decision.2', 'stale'],
      ['local', '8', 'merged', '(record)', 'manual decision', 'decision.2', 'stale'],
      ['local', '3', 'decided', 'updated_at', 'manual decision', 'decision.3', 'refused'],
      ['airtable', 'recC', 'decided', 'updated_at', 'manual decision', 'decision.3', 'refused'],
    ]);
    expect(decisions).to.deep.equal({ applied: 1, stale: 1, refused: 1 });
  });

  it('marks an applied decision dry_run in a dry run', () => {
    expect(
      audited(true)
        .entries.slice(0, 2)
        .map((e) => e.status),
    ).to.deep.equal(['dry_run', 'dry_run']);
  });
});
