import { expect } from 'chai';
import type { Lead } from '../../../lib/core/record.js';
import type { DuplicateGroup } from '../../../lib/core/types.js';
import { DecisionApplier } from '../../../lib/review/apply.js';
import type { Decision } from '../../../lib/review/decisions-file.js';
import { recordVersion } from '../../../lib/review/version.js';

const SETTINGS = { link_field: 'airtable_id', protected_fields: ['id', 'created_at', 'updated_at'] };

function local(id: string, fields: Record<string, unknown>): Lead {
  return { id, ...fields, _meta: { source: 'local', id, cluster: 'c1', review: true } };
}
function airtable(id: string, fields: Record<string, unknown>): Lead {
  return { ...fields, _meta: { source: 'airtable', id, cluster: 'c1', review: true } };
}
const seenOf = (records: Lead[]): Record<string, string> => Object.fromEntries(records.map((r) => [`${r._meta!.source}:${r._meta!.id}`, recordVersion(r)]));

/** Runs records through an applier as the stage does; returns what comes out and the outcomes. */
function apply(decisions: Decision[], records: Lead[]): { out: Array<Lead | DuplicateGroup>; applier: DecisionApplier } {
  const applier = new DecisionApplier(decisions, SETTINGS);
  const passed: Lead[] = [];
  for (const record of records) {
    if (applier.holds(record)) applier.park(record);
    else passed.push(record);
  }
  return { out: [...passed, ...applier.finish()], applier };
}

describe('applying decisions', () => {
  const group = (): Lead[] => [
    local('1', { name: 'Ada', title: 'CEO', phone: null, notes: null, airtable_id: 'recA' }),
    local('2', { name: 'Ada L.', title: 'Founder', phone: '+15145550100', airtable_id: null }),
    airtable('recA', { name: 'Ada', title: 'CEO' }),
  ];

  it('merges into the chosen survivor: the chosen values in both systems, the others duplicates, every value not kept listed', () => {
    const records = group();
    const decision: Decision = {
      number: 1,
      type: 'duplicates',
      action: 'merge',
      records: ['local:1', 'local:2', 'airtable:recA'],
      seen: seenOf(records),
      survivor: 'local:1',
      values: { title: { from: 'local:2' }, notes: { value: 'Met twice' } },
    };
    const { out, applier } = apply([decision], records);
    const [groupOut, ...leads] = out as [DuplicateGroup, ...Lead[]];
    const [one, two, twin] = leads as [Lead, Lead, Lead];
    expect([one.title, one.notes, twin.title, twin.notes]).to.deep.equal(['Founder', 'Met twice', 'Founder', 'Met twice']);
    expect(one._meta).to.include({ survivor: true, cluster: 'decision:local:1', decision: 'decision.1' });
    expect(twin._meta).to.include({ survivor: true, cluster: 'decision:local:1' });
    expect(two._meta).to.include({ survivor: false, duplicate_of: '1', cluster: 'decision:local:1' });
    expect(one._meta!.changes).to.deep.equal([
      { field: 'title', old: 'CEO', new: 'Founder', rule: 'decision.1' },
      { field: 'notes', old: null, new: 'Met twice', rule: 'decision.1' },
    ]);
    expect(groupOut.values_not_kept.map((v) => [v.id, v.field, v.value, v.kept])).to.deep.equal([
      ['1', 'title', 'CEO', 'Founder'],
      ['2', 'name', 'Ada L.', 'Ada'],
      ['2', 'phone', '+15145550100', null],
      ['recA', 'title', 'CEO', 'Founder'],
    ]);
    expect(applier.outcomes).to.deep.equal([{ kind: 'decision', number: 1, decision: 'merge', status: 'applied', records: decision.records }]);
    expect(applier.settled()).to.have.length(1);
  });

  it('takes as the other system survivor the record linked to the chosen one', () => {
    const records = [...group(), airtable('recB', { name: 'Ada' })];
    const decision: Decision = {
      number: 1,
      type: 'duplicates',
      action: 'merge',
      records: ['airtable:recB', 'airtable:recA', 'local:1', 'local:2'],
      seen: seenOf(records),
      survivor: 'local:1',
    };
    const { out } = apply([decision], records);
    const byId = new Map((out.slice(1) as Lead[]).map((r) => [r._meta!.id, r._meta!]));
    expect([byId.get('recA')!.survivor, byId.get('recB')!.survivor, byId.get('recB')!.duplicate_of]).to.deep.equal([true, false, 'recA']);
  });

  it('leaves a decision whose record changed or is gone alone, and says which', () => {
    const records = group();
    const seen = seenOf(records);
    records[1]!.phone = '+15145550199';
    const decisions: Decision[] = [
      { number: 1, type: 'duplicates', action: 'merge', records: ['local:1', 'local:2', 'airtable:recA'], seen, survivor: 'local:1' },
      {
        number: 2,
        type: 'conflict',
        local: '1',
        airtable: 'recGone',
        field: 'title',
        seen: { 'local:1': seen['local:1']!, 'airtable:recGone': '0000000000000000' },
        choice: 'local',
      },
    ];
    const { out, applier } = apply(decisions, records);
    expect(applier.outcomes.map((o) => [o.status, o.reason])).to.deep.equal([
      ['stale', 'local:2 changed since the review'],
      ['stale', 'airtable:recGone is gone'],
    ]);
    expect(out.every((r) => !(r as Lead)._meta?.changes && (r as Lead)._meta?.review === true)).to.equal(true);
    expect(applier.settled()).to.deep.equal([]);
  });

  it('gives both records of a conflict the chosen value, and refuses one on a protected field', () => {
    const records = [local('1', { title: 'CTO', updated_at: 'x' }), airtable('recA', { title: 'VP' })];
    for (const record of records) delete record._meta!.review;
    const seen = seenOf(records);
    const { out, applier } = apply(
      [
        { number: 1, type: 'conflict', local: '1', airtable: 'recA', field: 'title', seen, choice: 'airtable' },
        { number: 2, type: 'conflict', local: '1', airtable: 'recA', field: 'updated_at', seen, choice: 'value', value: 'y' },
      ],
      records,
    );
    expect((out as Lead[]).map((r) => [r.title, r._meta!.decision])).to.deep.equal([
      ['VP', 'decision.1'],
      ['VP', 'decision.1'],
    ]);
    expect(applier.outcomes[1]).to.include({ status: 'refused', reason: 'updated_at is never written by a decision (a protected field)' });
  });

  it('refuses a conflict decision on a record of a group still waiting for review', () => {
    const records = group();
    const { applier } = apply([{ number: 1, type: 'conflict', local: '1', airtable: 'recA', field: 'title', seen: seenOf(records), choice: 'local' }], records);
    expect(applier.outcomes[0]).to.include({
      status: 'refused',
      reason: 'local:1 is in a duplicate group waiting for review; decide the group first (earlier in the file)',
    });
  });

  it('refuses a merge naming a field no record of the group has, changing nothing', () => {
    const records = group();
    const { out, applier } = apply(
      [
        {
          number: 1,
          type: 'duplicates',
          action: 'merge',
          records: ['local:1', 'local:2', 'airtable:recA'],
          seen: seenOf(records),
          survivor: 'local:1',
          values: { titel: { value: 'CEO' } },
        },
      ],
      records,
    );
    expect(applier.outcomes[0]).to.include({
      status: 'refused',
      reason: "no record of the group has the field titel; check the spelling (the review line's records show the fields)",
    });
    expect((out as Lead[]).map((r) => [r._meta!.survivor, r._meta!.changes])).to.deep.equal([
      [undefined, undefined],
      [undefined, undefined],
      [undefined, undefined],
    ]);
  });

  it('keeps a not-duplicates group apart: each lead its own entity, a linked pair together', () => {
    const records = group();
    const { out } = apply(
      [{ number: 1, type: 'duplicates', action: 'not_duplicates', records: ['local:1', 'local:2', 'airtable:recA'], seen: seenOf(records) }],
      records,
    );
    expect((out as Lead[]).map((r) => [r._meta!.id, r._meta!.cluster, r._meta!.survivor, r._meta!.review])).to.deep.equal([
      ['1', 'apart:airtable:recA', true, undefined],
      ['2', 'apart:local:2', true, undefined],
      ['recA', 'apart:airtable:recA', true, undefined],
    ]);
  });

  it('drops the group dedupe found for records a decision settles, not one whose decision is stale', () => {
    const records = group();
    const decision: Decision = {
      number: 1,
      type: 'duplicates',
      action: 'not_duplicates',
      records: ['local:1', 'local:2', 'airtable:recA'],
      seen: seenOf(records),
    };
    const found = { kind: 'duplicate_group', records: records.map((r) => ({ ...r })) } as unknown as DuplicateGroup;
    const settles = (changed: boolean): boolean => {
      const applier = new DecisionApplier([decision], SETTINGS);
      for (const record of records) applier.park(changed && record._meta!.id === '1' ? { ...record, title: 'Chair' } : record);
      return applier.supersedes(found);
    };
    expect([settles(false), settles(true)]).to.deep.equal([true, false]);
  });

  describe('with counterparts created since the review (an interrupted run of the same decisions, resumed)', () => {
    // Two local leads without Airtable records at review time; the interrupted run created one for each and linked them.
    const reviewed = (): Lead[] => [local('1', { name: 'Ada', title: 'CEO' }), local('2', { name: 'Ada', title: 'CTO' })];
    const now = (): Lead[] => {
      const [one, two] = reviewed() as [Lead, Lead];
      return [
        { ...one, airtable_id: 'recNew1' },
        { ...two, airtable_id: 'recNew2' },
        airtable('recNew1', { name: 'Ada', title: 'CEO' }),
        airtable('recNew2', { name: 'Ada', title: 'CTO' }),
      ];
    };

    it('keeps each lead kept apart with its counterpart, so no second counterpart is planned, and settles the group dedupe found', () => {
      const decision: Decision = { number: 1, type: 'duplicates', action: 'not_duplicates', records: ['local:1', 'local:2'], seen: seenOf(reviewed()) };
      const records = now();
      const applier = new DecisionApplier([decision], SETTINGS);
      const held: Lead[] = [];
      for (const record of records) {
        if (!applier.holds(record)) continue;
        applier.park(record);
        held.push(record);
      }
      expect(held, 'the counterparts are held with their leads').to.have.length(4);
      const found = { kind: 'duplicate_group', records } as unknown as DuplicateGroup;
      expect(applier.supersedes(found)).to.equal(true);
      const out = applier.finish() as Lead[];
      expect(out.map((r) => [r._meta!.id, r._meta!.cluster, r._meta!.survivor])).to.deep.equal([
        ['1', 'apart:airtable:recNew1', true],
        ['2', 'apart:airtable:recNew2', true],
        ['recNew1', 'apart:airtable:recNew1', true],
        ['recNew2', 'apart:airtable:recNew2', true],
      ]);
    });

    it("makes the chosen survivor's counterpart the Airtable survivor of a merge, with the chosen values", () => {
      const decision: Decision = {
        number: 1,
        type: 'duplicates',
        action: 'merge',
        records: ['local:1', 'local:2'],
        seen: seenOf(reviewed()),
        survivor: 'local:1',
        values: { title: { from: 'local:2' } },
      };
      const { out } = apply([decision], now());
      const twin = (out as Lead[]).find((r) => r._meta?.id === 'recNew1')!;
      expect([twin.title, twin._meta!.cluster, twin._meta!.survivor]).to.deep.equal(['CTO', 'decision:local:1', true]);
    });
  });

  it('resumed, applies again what the interrupted attempt chose, to records it already changed or deleted', () => {
    const records = group();
    const decision: Decision = {
      number: 1,
      type: 'duplicates',
      action: 'merge',
      records: ['local:1', 'local:2', 'airtable:recA'],
      seen: seenOf(records),
      survivor: 'local:1',
      values: { title: { from: 'local:2' } },
    };
    // The first attempt wrote Founder to the survivors and deleted local:2 before it was killed.
    const [one, , twin] = records as [Lead, Lead, Lead];
    const now = [
      { ...one, title: 'Founder' },
      { ...twin, title: 'Founder' },
    ];
    const fresh = apply([decision], now);
    expect(fresh.applier.outcomes[0]!.status, 'without what was chosen: stale').to.equal('stale');
    const applier = new DecisionApplier([decision], SETTINGS);
    applier.resume({ 1: { title: 'Founder' } });
    for (const record of now) applier.park(record);
    const out = applier.finish().slice(1) as Lead[];
    expect(applier.outcomes[0]!.status).to.equal('applied');
    expect(out.map((r) => [r._meta!.id, r.title, r._meta!.survivor, r._meta!.cluster])).to.deep.equal([
      ['1', 'Founder', true, 'decision:local:1'],
      ['recA', 'Founder', true, 'decision:local:1'],
    ]);
    expect(applier.chosenValues()).to.deep.equal({ 1: { title: 'Founder' } });
  });
});
