import { expect } from 'chai';
import type { Cluster, MatchReason } from '../../../lib/match/cluster.js';
import {
  annotateSingle,
  chooseSurvivor,
  qualityScore,
  resolveCluster,
  type ResolutionSettings,
  type ResolutionStrategy,
} from '../../../lib/match/resolution.js';
import type { Lead } from '../../../lib/core/record.js';

const SETTINGS: ResolutionSettings = {
  strategy: 'most_recent',
  field_precedence: {},
  protected_fields: ['id', 'created_at', 'updated_at', 'airtable_id'],
  default_country: 'CA',
  describe_groups: true,
};
const EMAIL: MatchReason = { key: 'email', value: 'ann@acme.com', score: 1 };

/** A local lead: its id doubles as `_meta.id`. */
function local(id: string, fields: Lead, meta: Lead['_meta'] = {}): Lead {
  return { id, ...fields, _meta: { source: 'local', id, keys: { email: 'ann@acme.com' }, ...meta } };
}

/** A cluster of the records, every member after the first joined by the shared email. */
function cluster(...members: Lead[]): Cluster {
  return {
    id: `local:${String(members[0]!.id)}`,
    members,
    idents: members.map((m) => `${m._meta!.source}:${String(m._meta!.id)}`),
    reasons: members.map((_, i) => (i === 0 ? undefined : EMAIL)),
  };
}

/** Three copies of Ann: the newest holds least, the oldest is the most complete. */
const ann = (): Lead[] => [
  local('old', { name: 'Ann Lee', email: 'ann@acme.com', title: 'VP Sales', company: 'Acme', phone: '+1 416 555 0100', updated_at: '2024-01-01T00:00:00Z' }),
  local('new', { name: 'Ann Lee', email: 'ann@acme.com', title: 'CRO', company: null, updated_at: '2026-01-01T00:00:00Z' }),
  local('mid', { name: 'Ann Lee-Wong', email: 'ann@acme.com', title: 'Head of Sales', city: 'Toronto', updated_at: '2025-01-01T00:00:00Z' }),
];

const resolve = (strategy: ResolutionStrategy, members = ann(), settings: Partial<ResolutionSettings> = {}) =>
  resolveCluster(cluster(...members), { ...SETTINGS, strategy, ...settings });
const byId = (records: Lead[]): Record<string, Lead> => Object.fromEntries(records.map((r) => [String(r.id), r]));

describe('match/resolution', () => {
  it('annotates a record without duplicates as its own cluster and survivor', () => {
    const { records, group } = resolveCluster(
      { id: 'local:x', members: [{ id: 'x', _meta: { source: 'local' } }], idents: ['local:x'], reasons: [undefined] },
      SETTINGS,
    );
    expect(records[0]!._meta).to.deep.equal({ source: 'local', cluster: 'local:x', survivor: true, duplicate_of: null, match: null });
    expect(group).to.equal(undefined);
    expect(annotateSingle({ id: 'y' }, 'local:y')._meta).to.deep.equal({ cluster: 'local:y', survivor: true, duplicate_of: null, match: null });
  });

  it('most_recent: the last modified copy survives with its own values, its empty fields filled, the newest value first', () => {
    const { records, rewritten } = resolve('most_recent');
    const { old, new: survivor, mid } = byId(records);
    expect(survivor!._meta).to.include({ survivor: true, duplicate_of: null, cluster: 'local:old' });
    expect([old!._meta!.survivor, old!._meta!.duplicate_of, mid!._meta!.duplicate_of]).to.deep.equal([false, 'new', 'new']);
    expect(survivor).to.include({ title: 'CRO', company: 'Acme', phone: '+1 416 555 0100', city: 'Toronto', name: 'Ann Lee' });
    expect(survivor!._meta!.changes!.map((c) => [c.field, c.rule])).to.deep.equal([
      ['company', 'dedupe.fill'],
      ['phone', 'dedupe.fill'],
      ['city', 'dedupe.fill'],
    ]);
    expect(rewritten).to.deep.equal([survivor]);
    expect(survivor!._meta!.merged_from).to.equal(undefined);
  });

  it('highest_quality: the most complete and valid copy survives; a value with a recorded problem does not count', () => {
    expect(byId(resolve('highest_quality').records).old!._meta!.survivor).to.equal(true);
    const flawed = ann();
    flawed[0]!._meta!.problems = ['title', 'company', 'phone'].map((field) => ({ field, problem: 'placeholder' }));
    expect(byId(resolve('highest_quality', flawed).records).mid!._meta!.survivor).to.equal(true);
    expect(qualityScore(flawed[0]!)).to.be.lessThan(qualityScore(ann()[0]!));
  });

  it('merge: the most complete copy survives, takes the newest value where copies disagree, and names what it merged', () => {
    const { records, rewritten } = resolve('merge');
    const { old: survivor } = byId(records);
    expect(survivor).to.include({ title: 'CRO', name: 'Ann Lee', company: 'Acme', city: 'Toronto' });
    expect(survivor!._meta!.changes!.every((c) => c.rule === 'dedupe.merge')).to.equal(true);
    expect(survivor!._meta!.merged_from).to.deep.equal(['new', 'mid']);
    expect(rewritten).to.deep.equal([survivor]);
  });

  it('merge follows field_precedence: oldest, survivor, longest', () => {
    const titleBy = (rule: 'oldest' | 'survivor' | 'longest' | 'most_recent'): unknown =>
      byId(resolve('merge', ann(), { field_precedence: { title: rule } }).records).old!.title;
    // The survivor (`old`) is also the oldest copy; `new` the most recent.
    expect([titleBy('most_recent'), titleBy('oldest'), titleBy('survivor'), titleBy('longest')]).to.deep.equal([
      'CRO',
      'VP Sales',
      'VP Sales',
      'Head of Sales',
    ]);
    expect(byId(resolve('merge', ann(), { field_precedence: { name: 'longest' } }).records).old!.name).to.equal('Ann Lee-Wong');
  });

  it('manual: changes no value, marks no record a duplicate, and puts every member up for review', () => {
    const before = ann();
    const { records, rewritten, group } = resolve('manual');
    for (const record of records) {
      const { _meta: meta, ...fields } = record;
      const { _meta, ...was } = before.find((b) => b.id === record.id)!;
      expect(fields).to.deep.equal(was);
      expect(meta).to.include({ review: true });
      expect(meta!.survivor === false).to.equal(false);
    }
    const duplicates = records.filter((r) => r._meta!.duplicate_of !== null);
    expect(duplicates.map((r) => [r.id, 'survivor' in r._meta!])).to.deep.equal([
      ['new', false],
      ['mid', false],
    ]);
    expect(rewritten).to.equal(undefined);
    expect(group!.values_not_kept).to.deep.equal([]);
    expect(group!.resolution_strategy).to.equal('manual');
  });

  it('lists every value the survivor does not end with, with the record that held it; one value written two ways is one value', () => {
    const members = ann();
    members[0]!.linkedin_url = 'https://ca.linkedin.com/in/annlee';
    members[1]!.linkedin_url = 'linkedin.com/in/annlee/';
    const { group } = resolve('most_recent', members);
    const lost = group!.values_not_kept.map((v) => [v.id, v.field, v.value, v.kept]);
    expect(lost).to.deep.equal([
      ['old', 'title', 'VP Sales', 'CRO'],
      ['mid', 'name', 'Ann Lee-Wong', 'Ann Lee'],
      ['mid', 'title', 'Head of Sales', 'CRO'],
    ]);
    expect(group!.values_not_kept[0]).to.include({ system: 'local', survivor: 'new' });
  });

  it('never writes or lists a protected field, whatever the strategy', () => {
    for (const strategy of ['most_recent', 'highest_quality', 'merge'] as const) {
      const members = ann();
      members[0]!.airtable_id = 'recOld';
      const { records, group } = resolve(strategy, members);
      const survivor = records.find((r) => r._meta!.survivor)!;
      expect(survivor.airtable_id === 'recOld', strategy).to.equal(survivor.id === 'old');
      expect(survivor._meta!.changes?.map((c) => c.field) ?? [], strategy).to.not.include.members(['id', 'updated_at', 'airtable_id']);
      expect(
        group!.values_not_kept.map((v) => v.field),
        strategy,
      ).to.not.include.members(['id', 'updated_at', 'airtable_id']);
    }
  });

  it('resolves each system on its own: a survivor per system, filled only from its own system', () => {
    const airtable: Lead = {
      name: 'Ann Lee',
      email: 'ann@acme.com',
      stage: 'Lead',
      _meta: { source: 'airtable', id: 'recA', keys: { email: 'ann@acme.com' } },
    };
    const { records, group } = resolve('merge', [...ann(), airtable]);
    const survivors = records.filter((r) => r._meta!.survivor === true);
    expect(survivors.map((r) => r._meta!.id)).to.deep.equal(['old', 'recA']);
    expect(survivors[0]!.stage).to.equal(undefined);
    expect(survivors[1]).to.not.have.property('city');
    expect(group).to.include({ matching_field: 'email', matching_value: 'ann@acme.com', confidence_score: 1 });
    expect(group!.primary_record._meta).to.deep.equal({ source: 'local', id: 'old' });
    expect(group!.duplicate_records.map((r) => r._meta!.id)).to.deep.equal(['new', 'mid']);
  });

  it("chooses the same survivor whatever the members' order, ties broken by identity", () => {
    const twins = [local('b', { name: 'Ann' }), local('a', { name: 'Ann' })].map((record) => ({ record, ident: `local:${String(record.id)}` }));
    expect(chooseSurvivor(twins, 'most_recent').ident).to.equal('local:a');
    expect(chooseSurvivor([...twins].reverse(), 'highest_quality').ident).to.equal('local:a');
  });
});
