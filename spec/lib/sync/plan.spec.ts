import { expect } from 'chai';
import type { Lead } from '../../../lib/core/record.js';
import { changedLinkedLead, planEntity, type SyncSettings } from '../../../lib/sync/plan.js';

const SETTINGS: SyncSettings = {
  fields: ['name', 'email', 'company', 'engagement_status'],
  conflict_resolution: 'most_recent',
  direction: 'both',
  delete_duplicates: true,
  create_missing: true,
  sync_fields: true,
  link_field: 'airtable_id',
  local_readonly: ['id', 'updated_at', 'created_at', 'airtable_id'],
};

/** A record as a reader emits it: fields, and `_meta.original` equal to them unless said otherwise. */
function local(id: string, fields: Record<string, unknown>, meta: Record<string, unknown> = {}): Lead {
  return { id, ...fields, _meta: { source: 'local', id, original: { id, ...fields }, ...meta } };
}
function airtable(id: string, fields: Record<string, unknown>, meta: Record<string, unknown> = {}): Lead {
  return { ...fields, _meta: { source: 'airtable', id, original: { ...fields }, ...meta } };
}

describe('sync planning', () => {
  it('creates an Airtable record for a lead only the local database has, linked back to it', () => {
    const plan = planEntity('e1', [local('L1', { name: 'Ada', email: 'ada@x.io', company: null })], SETTINGS);
    expect(plan.operations).to.deep.equal([
      {
        kind: 'operation',
        action: 'create',
        system: 'airtable',
        fields: { name: 'Ada', email: 'ada@x.io' },
        replaces: {},
        reason: 'sync',
        entity: 'e1',
        link: { system: 'local', id: 'L1' },
      },
    ]);
    expect(plan.conflicts).to.deep.equal([]);
  });

  it('creates a local record, with its Airtable link, for a lead only Airtable has', () => {
    const plan = planEntity('e2', [airtable('recA', { name: 'Grace', email: 'grace@x.io' })], SETTINGS);
    expect(plan.operations).to.deep.equal([
      {
        kind: 'operation',
        action: 'create',
        system: 'local',
        fields: { name: 'Grace', email: 'grace@x.io', airtable_id: 'recA' },
        replaces: {},
        reason: 'sync',
        entity: 'e2',
      },
    ]);
  });

  it('changes nothing when both systems already agree and are linked', () => {
    const plan = planEntity(
      'e3',
      [local('L1', { name: 'Ada', email: 'ada@x.io', airtable_id: 'recA' }), airtable('recA', { name: 'Ada', email: 'ada@x.io' })],
      SETTINGS,
    );
    expect(plan).to.deep.equal({ operations: [], conflicts: [] });
  });

  it('treats empty strings, null and missing fields as the same empty value', () => {
    const plan = planEntity('e4', [local('L1', { name: 'Ada', email: '', company: null, airtable_id: 'recA' }), airtable('recA', { name: 'Ada' })], SETTINGS);
    expect(plan.operations).to.deep.equal([]);
  });

  it('fills a field one side lacks from the other, reporting it as missing on that side', () => {
    const plan = planEntity(
      'e5',
      [local('L1', { name: 'Ada', email: 'ada@x.io', company: null, airtable_id: 'recA' }), airtable('recA', { name: 'Ada', company: 'Engines Ltd' })],
      SETTINGS,
    );
    expect(plan.operations).to.deep.equal([
      {
        kind: 'operation',
        action: 'update',
        system: 'local',
        id: 'L1',
        fields: { company: 'Engines Ltd' },
        replaces: { company: null },
        reason: 'sync',
        rules: { company: 'sync.most_recent' },
        entity: 'e5',
      },
      {
        kind: 'operation',
        action: 'update',
        system: 'airtable',
        id: 'recA',
        fields: { email: 'ada@x.io' },
        replaces: { email: null },
        reason: 'sync',
        rules: { email: 'sync.most_recent' },
        entity: 'e5',
      },
    ]);
    expect(plan.conflicts.map((c) => [c.field_name, c.conflict_type, c.resolution])).to.deep.equal([
      ['email', 'missing_airtable', 'applied'],
      ['company', 'missing_local', 'applied'],
    ]);
  });

  describe('a field edited differently on both sides', () => {
    const edited = (): Lead[] => [
      local('L1', { name: 'Ada', email: 'ada@new.io', airtable_id: 'recA' }, { modified_at: '2025-08-10T10:00:00.000Z' }),
      airtable('recA', { name: 'Ada', email: 'ada@old.io' }, { modified_at: '2025-08-12T10:00:00.000Z' }),
    ];

    it('most_recent keeps the value of the system modified last', () => {
      const plan = planEntity('e6', edited(), SETTINGS);
      expect(plan.operations).to.deep.equal([
        {
          kind: 'operation',
          action: 'update',
          system: 'local',
          id: 'L1',
          fields: { email: 'ada@old.io' },
          replaces: { email: 'ada@new.io' },
          reason: 'sync',
          rules: { email: 'sync.most_recent' },
          entity: 'e6',
        },
      ]);
      expect(plan.conflicts[0]).to.include({
        field_name: 'email',
        conflict_type: 'value_mismatch',
        suggested_resolution: 'keep_airtable',
        resolution: 'applied',
        last_modified_local: '2025-08-10T10:00:00.000Z',
      });
    });

    it('local_wins keeps the local value', () => {
      const plan = planEntity('e6', edited(), { ...SETTINGS, conflict_resolution: 'local_wins' });
      expect(plan.operations).to.deep.equal([
        {
          kind: 'operation',
          action: 'update',
          system: 'airtable',
          id: 'recA',
          fields: { email: 'ada@new.io' },
          replaces: { email: 'ada@old.io' },
          reason: 'sync',
          rules: { email: 'sync.local_wins' },
          entity: 'e6',
        },
      ]);
    });

    it('airtable_wins keeps the Airtable value', () => {
      const plan = planEntity('e6', edited(), { ...SETTINGS, conflict_resolution: 'airtable_wins' });
      expect(plan.operations.map((o) => [o.system, o.fields])).to.deep.equal([['local', { email: 'ada@old.io' }]]);
    });

    it('manual leaves the field alone on both sides and marks the conflict for a person', () => {
      const plan = planEntity('e6', edited(), { ...SETTINGS, conflict_resolution: 'manual' });
      expect(plan.operations).to.deep.equal([]);
      expect(plan.conflicts[0]).to.include({ resolution: 'manual', suggested_resolution: 'keep_airtable' });
    });
  });

  it('does not count a standardization as a conflict: both sides get the standardized value', () => {
    const standardized = local('L1', { name: 'Ada', email: 'ada@x.io', airtable_id: 'recA' });
    standardized._meta!.original = { id: 'L1', name: 'Ada', email: ' ADA@X.io', airtable_id: 'recA' };
    standardized._meta!.changes = [{ field: 'email', old: ' ADA@X.io', new: 'ada@x.io', rule: 'email.lowercase' }];
    const other = airtable('recA', { name: 'Ada', email: 'ada@x.io' });
    other._meta!.original = { name: 'Ada', email: 'Ada@x.io' };
    other._meta!.changes = [{ field: 'email', old: 'Ada@x.io', new: 'ada@x.io', rule: 'email.lowercase' }];
    const plan = planEntity('e7', [standardized, other], SETTINGS);
    expect(plan.conflicts).to.deep.equal([]);
    expect(plan.operations.map((o) => [o.system, o.fields, o.reason, o.rules])).to.deep.equal([
      ['local', { email: 'ada@x.io' }, 'standardize', { email: 'email.lowercase' }],
      ['airtable', { email: 'ada@x.io' }, 'standardize', { email: 'email.lowercase' }],
    ]);
  });

  it('deletes duplicates inside a system after the survivor, and links the survivor', () => {
    const plan = planEntity(
      'e8',
      [
        local('L1', { name: 'Ada', email: 'ada@x.io' }, { survivor: true }),
        local('L2', { name: 'Ada L.', email: 'ada@x.io' }, { survivor: false, duplicate_of: 'local:L1' }),
        airtable('recA', { name: 'Ada', email: 'ada@x.io' }, { survivor: true }),
        airtable('recB', { name: 'ada', email: 'ADA@x.io' }, { survivor: false }),
      ],
      SETTINGS,
    );
    expect(plan.operations.map((o) => [o.action, o.system, o.id, o.reason])).to.deep.equal([
      ['update', 'local', 'L1', 'sync'],
      ['delete', 'local', 'L2', 'dedupe'],
      ['delete', 'airtable', 'recB', 'dedupe'],
    ]);
    expect(plan.operations[0].fields).to.deep.equal({ airtable_id: 'recA' });
    expect(plan.operations[1].replaces).to.include({ name: 'Ada L.' });
  });

  it('writes only Airtable when the direction is to_airtable, only local when to_local', () => {
    const records = (): Lead[] => [
      local('L1', { name: 'Ada', email: 'ada@x.io', company: null, airtable_id: 'recA' }),
      airtable('recA', { name: 'Ada', company: 'Engines Ltd' }),
    ];
    expect(planEntity('e9', records(), { ...SETTINGS, direction: 'to_airtable' }).operations.map((o) => o.system)).to.deep.equal(['airtable']);
    expect(planEntity('e9', records(), { ...SETTINGS, direction: 'to_local' }).operations.map((o) => o.system)).to.deep.equal(['local']);
  });

  it("with sync_fields and create_missing off, only writes each record's own standardized values", () => {
    const standardized = local('L1', { name: 'Ada', email: 'ada@x.io', company: 'Engines Ltd' });
    standardized._meta!.original = { id: 'L1', name: 'Ada', email: 'ADA@x.io', company: 'Engines Ltd' };
    const plan = planEntity('e11', [standardized, airtable('recA', { name: 'Ada', email: 'other@x.io' }), local('L2', { name: 'Bo' })], {
      ...SETTINGS,
      sync_fields: false,
      create_missing: false,
    });
    expect(plan.conflicts).to.deep.equal([]);
    expect(plan.operations.map((o) => [o.system, o.id, o.fields, o.reason])).to.deep.equal([['local', 'L1', { email: 'ada@x.io' }, 'standardize']]);
  });

  it('plans nothing the second time, once its operations were applied', () => {
    const first = planEntity(
      'e10',
      [local('L1', { name: 'Ada', email: 'ada@x.io', company: null }), airtable('recA', { name: 'Ada', company: 'Engines Ltd' })],
      SETTINGS,
    );
    expect(first.operations).to.have.length(2);
    const second = planEntity(
      'e10',
      [
        local('L1', { name: 'Ada', email: 'ada@x.io', company: 'Engines Ltd', airtable_id: 'recA' }),
        airtable('recA', { name: 'Ada', email: 'ada@x.io', company: 'Engines Ltd' }),
      ],
      SETTINGS,
    );
    expect(second).to.deep.equal({ operations: [], conflicts: [] });
  });

  describe('deletions, with the links of the last run', () => {
    const previous = {
      watermark: '2025-09-01T00:00:00.000Z',
      airtableIdOf: (id: string) => (({ L1: 'recA', L2: 'recB' }) as Record<string, string>)[id],
      localIdOf: (id: string) => (({ recA: 'L1', recB: 'L2' }) as Record<string, string>)[id],
    };

    it('deletes the local lead whose linked Airtable record was deleted since', () => {
      const plan = planEntity('e20', [local('L1', { name: 'Ada', airtable_id: 'recA' }, { modified_at: '2025-08-01T00:00:00.000Z' })], {
        ...SETTINGS,
        previous,
      });
      expect(plan.operations.map((o) => [o.action, o.system, o.id, o.reason])).to.deep.equal([['delete', 'local', 'L1', 'sync']]);
      expect(plan.operations[0].replaces).to.include({ name: 'Ada', airtable_id: 'recA' });
    });

    it('deletes the Airtable record whose linked local lead was deleted since', () => {
      const plan = planEntity('e21', [airtable('recB', { name: 'Bo' }, { modified_at: '2025-08-01T00:00:00.000Z' })], { ...SETTINGS, previous });
      expect(plan.operations.map((o) => [o.action, o.system, o.id])).to.deep.equal([['delete', 'airtable', 'recB']]);
    });

    it('brings a deleted lead back when the other side was edited after the last run', () => {
      const plan = planEntity('e22', [airtable('recB', { name: 'Bo' }, { modified_at: '2025-09-02T00:00:00.000Z' })], { ...SETTINGS, previous });
      expect(plan.operations.map((o) => [o.action, o.system])).to.deep.equal([['create', 'local']]);
    });

    it('creates on the other side a lead that was never linked: it is new, not deleted', () => {
      const plan = planEntity('e23', [airtable('recNew', { name: 'Cy' })], { ...SETTINGS, previous });
      expect(plan.operations.map((o) => [o.action, o.system])).to.deep.equal([['create', 'local']]);
    });

    it("without the last run's links, creates the missing side instead of deleting", () => {
      const plan = planEntity('e24', [local('L1', { name: 'Ada', airtable_id: 'recA' })], SETTINGS);
      expect(plan.operations.map((o) => [o.action, o.system])).to.deep.equal([['create', 'airtable']]);
    });

    it('after an incremental read, neither deletes nor recreates a linked lead whose Airtable record was not read', () => {
      const standardized = local('L1', { name: 'Ada', email: 'ada@x.io', airtable_id: 'recA' });
      standardized._meta!.original = { id: 'L1', name: 'Ada', email: 'ADA@x.io', airtable_id: 'recA' };
      const plan = planEntity('e25', [standardized], { ...SETTINGS, previous, airtable_read: 'partial' });
      expect(plan.operations.map((o) => [o.action, o.system, o.fields])).to.deep.equal([['update', 'local', { email: 'ada@x.io' }]]);
    });

    /** A linked local lead whose name a new rule standardized, its Airtable record fetched by diff as it is in Airtable. */
    function renamedByRule(airtableName: string): Lead[] {
      const lead = local('L1', { name: 'Ada Lovelace', email: 'ada@x.io', airtable_id: 'recA' });
      lead._meta!.original = { id: 'L1', name: 'ADA LOVELACE', email: 'ada@x.io', airtable_id: 'recA' };
      lead._meta!.changes = [{ field: 'name', old: 'ADA LOVELACE', new: 'Ada Lovelace', rule: 'name.proper_case' }];
      return [lead, airtable('recA', { name: airtableName, email: 'ada@x.io' }, { as_read: true })];
    }

    it('names the Airtable record of a linked lead a stage changed, for diff to fetch when the read left it out', () => {
      const [lead] = renamedByRule('ADA LOVELACE');
      expect(changedLinkedLead(lead!, SETTINGS)).to.equal('recA');
      expect(changedLinkedLead(local('L2', { name: 'Bo', airtable_id: 'recB' }), SETTINGS), 'unchanged').to.equal(undefined);
    });

    it('gives the fetched Airtable record of a lead in step the value a stage gave the lead, under the same rule', () => {
      const plan = planEntity('e26', renamedByRule('ADA LOVELACE'), { ...SETTINGS, previous, airtable_read: 'partial' });
      expect(plan.conflicts).to.deep.equal([]);
      expect(plan.operations.map((o) => [o.action, o.system, o.fields, o.rules, o.reason])).to.deep.equal([
        ['update', 'local', { name: 'Ada Lovelace' }, { name: 'name.proper_case' }, 'standardize'],
        ['update', 'airtable', { name: 'Ada Lovelace' }, { name: 'name.proper_case' }, 'standardize'],
      ]);
    });

    it('leaves a fetched Airtable value the lead did not hold before to conflict resolution, rather than overwriting it', () => {
      const plan = planEntity('e27', renamedByRule('Ada K. Lovelace'), { ...SETTINGS, previous, airtable_read: 'partial', conflict_resolution: 'manual' });
      expect(plan.conflicts.map((c) => [c.field_name, c.local_value, c.airtable_value, c.resolution])).to.deep.equal([
        ['name', 'Ada Lovelace', 'Ada K. Lovelace', 'manual'],
      ]);
      expect(plan.operations.filter((o) => o.system === 'airtable')).to.deep.equal([]);
    });
  });
});

describe('sync planning, links kept in the run state (a table without a link column)', () => {
  const STATE: SyncSettings = { ...SETTINGS, links_in_state: true, local_readonly: ['id', 'updated_at', 'created_at'] };

  it('creates a local record without a link column, naming its Airtable record as the link instead', () => {
    const plan = planEntity('e1', [airtable('recA', { name: 'Grace', email: 'grace@x.io' })], STATE);
    expect(plan.operations).to.deep.equal([
      {
        kind: 'operation',
        action: 'create',
        system: 'local',
        fields: { name: 'Grace', email: 'grace@x.io' },
        replaces: {},
        reason: 'sync',
        entity: 'e1',
        link: { system: 'airtable', id: 'recA' },
      },
    ]);
  });

  it('writes no link update for a pair matched by its keys, and names the pair for the run state; none when the plan deletes one side', () => {
    const plan = planEntity('e2', [local('L1', { name: 'Ada', email: 'ada@x.io' }), airtable('recA', { name: 'Ada', email: 'ada@x.io' })], STATE);
    expect(plan).to.deep.equal({ operations: [], conflicts: [], link: ['L1', 'recA'] });
    // Its lead was deleted in Airtable since the last run: the local side goes too, and no pair is left.
    const previous = { watermark: '2026-01-02T00:00:00Z', airtableIdOf: (id: string) => (id === 'L1' ? 'recGone' : undefined), localIdOf: () => undefined };
    const deleted = planEntity('e3', [local('L1', { name: 'Ada' }, { modified_at: '2026-01-01T00:00:00Z', link: 'recGone' })], { ...STATE, previous });
    expect(deleted.operations.map((op) => `${op.system}.${op.action}`)).to.deep.equal(['local.delete']);
    expect(deleted.link).to.equal(undefined);
  });
});
