import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createStage } from '../../lib/core/embed.js';
import type { Lead } from '../../lib/core/record.js';
import type { DuplicateGroup } from '../../lib/core/types.js';
import { fixture, runStage, tempDir } from '../helpers.js';

function readFixture(name: string): Lead[] {
  return fs
    .readFileSync(fixture('match', name), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

/** fingerprint then dedupe, as a pipeline runs them; returns the records by id. */
async function dedupe(
  records: Lead[],
  options: Record<string, unknown> = {},
): Promise<{ output: Lead[]; byId: Map<string, Lead>; dropped: Record<string, number> }> {
  const keyed = await runStage('fingerprint', {}, records);
  const { output, counters } = await runStage('dedupe', { review_file: path.join(tempDir(), 'review.jsonl'), ...options }, keyed.output);
  const byId = new Map(output.filter((r) => r.kind === undefined).map((r) => [String(r._meta?.id ?? r.id), r]));
  return { output, byId, dropped: counters.dropped };
}

/** The records' ids grouped by cluster, sorted, for comparing partitions. */
function partition(output: Lead[]): string[][] {
  const clusters = new Map<string, string[]>();
  for (const r of output) {
    if (r.kind !== undefined) continue;
    const list = clusters.get(String(r._meta!.cluster)) ?? [];
    list.push(String(r.id));
    clusters.set(String(r._meta!.cluster), list);
  }
  return [...clusters.values()].map((ids) => ids.sort()).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

const local = (id: string, fields: Record<string, unknown>, modified: string): Lead => ({
  id,
  ...fields,
  _meta: { source: 'local', id, modified_at: modified },
});
const airtable = (id: string, fields: Record<string, unknown>, modified: string): Lead => ({
  ...fields,
  _meta: { source: 'airtable', id, modified_at: modified },
});

describe('dedupe', () => {
  describe('matching', () => {
    it('groups the LinkedIn URL variants of one person and marks one survivor', async () => {
      const { output, byId } = await dedupe(readFixture('linkedin-variants.jsonl'));
      expect(partition(output)).to.deep.equal([['1', '2', '3'], ['4']]);
      const survivors = ['1', '2', '3'].filter((id) => byId.get(id)!._meta!.survivor === true);
      expect(survivors).to.have.length(1);
      for (const id of ['1', '2', '3'].filter((x) => x !== survivors[0])) {
        expect(byId.get(id)!._meta).to.include({ survivor: false, duplicate_of: survivors[0] });
        expect(byId.get(id)!._meta!.match).to.deep.equal({ key: 'linkedin', score: 1 });
      }
      expect(byId.get('4')!._meta).to.deep.include({ survivor: true, duplicate_of: null, match: null });
    });

    it('matches emails that differ in case, spaces, www. host or Gmail dots and tags', async () => {
      const { output } = await dedupe(readFixture('email-case.jsonl'));
      expect(partition(output)).to.deep.equal([
        ['1', '2', '3'],
        ['4', '5'],
      ]);
    });

    it('never matches leads on a missing, placeholder, role or test email', async () => {
      const { output } = await dedupe(readFixture('missing-email.jsonl'));
      expect(partition(output)).to.deep.equal([['1'], ['2'], ['3'], ['4'], ['5'], ['6'], ['7'], ['8']]);
    });

    it('keeps the same name at different companies apart, and two colleagues at one company apart', async () => {
      const { output } = await dedupe(readFixture('people-and-companies.jsonl'));
      const groups = partition(output);
      expect(groups).to.deep.include.members([['same-name-1'], ['same-name-2'], ['colleague-1'], ['colleague-2']]);
    });

    it('merges a name with a typo at the same company, by fuzzy score', async () => {
      const { output, byId } = await dedupe(readFixture('people-and-companies.jsonl'));
      expect(partition(output)).to.deep.include(['typo-1', 'typo-2']);
      const match = byId.get('typo-2')!._meta!.match as { key: string; score: number };
      expect(match.key).to.equal('fuzzy');
      expect(match.score).to.be.at.least(0.85).and.below(1);
    });

    it('does not merge the typo when the threshold is above its score', async () => {
      const { output } = await dedupe(readFixture('people-and-companies.jsonl'), { matching_threshold: 0.99 });
      expect(partition(output)).to.deep.include.members([['typo-1'], ['typo-2']]);
    });

    it('does not chain fuzzy matches across two different LinkedIn profiles (A~B, B~C, A≁C)', async () => {
      const { output } = await dedupe(readFixture('chain.jsonl'));
      expect(partition(output)).to.deep.equal([['A', 'B'], ['C']]);
    });

    it('joins a three-way group linked by different keys (email, then LinkedIn), and not a namesake', async () => {
      const { output, byId } = await dedupe(readFixture('three-way.jsonl'));
      expect(partition(output)).to.deep.equal([['1', '2', '3'], ['4']]);
      expect(new Set(['1', '2', '3'].map((id) => byId.get(id)!._meta!.cluster)).size).to.equal(1);
    });

    it('does not join two people who share an email but have different LinkedIn profiles', async () => {
      const { output } = await dedupe([
        { id: 'a', name: 'Mary Carter', email: 'mcarter@berzen.co', linkedin_url: 'https://www.linkedin.com/in/mary-carter-1' },
        { id: 'b', name: 'Mélanie Carter', email: 'mcarter@berzen.co', linkedin_url: 'https://www.linkedin.com/in/melanie-carter-2' },
        { id: 'c', name: 'Mary Carter', email: 'MCarter@berzen.co' },
      ]);
      expect(partition(output)).to.deep.equal([['a', 'c'], ['b']]);
    });

    it('finds the same clusters, with the same ids, whatever the input order', async () => {
      const records = [
        ...readFixture('linkedin-variants.jsonl'),
        ...readFixture('chain.jsonl'),
        ...readFixture('people-and-companies.jsonl'),
        ...readFixture('three-way.jsonl').map((r) => ({ ...r, id: `t${r.id}` })),
      ];
      const forward = await dedupe(structuredClone(records));
      const backward = await dedupe(structuredClone(records).reverse());
      const clusters = (run: typeof forward) => Object.fromEntries([...run.byId].map(([id, r]) => [id, r._meta!.cluster]));
      expect(clusters(backward)).to.deep.equal(clusters(forward));
      expect(partition(backward.output)).to.deep.equal(partition(forward.output));
    });

    it('compares the leads of a block larger than max_block_size that share a word of their name', async () => {
      const records = ['Jean Tremblay', 'Jean Tremblay', 'Marie Roy'].map((name, i) => ({ id: String(i), name, company: 'Voxa', title: 'CEO' }));
      expect(partition((await dedupe(structuredClone(records), { max_block_size: 3 })).output)).to.deep.equal([['0', '1'], ['2']]);
      expect(partition((await dedupe(structuredClone(records), { max_block_size: 2 })).output)).to.deep.equal([['0', '1'], ['2']]);
    });
  });

  describe('strategies', () => {
    const copies = (): Lead[] => [
      {
        id: 'old',
        name: 'Jean Tremblay',
        email: 'jean@voxa.ca',
        company: 'Voxa Inc',
        title: 'CEO',
        phone: '+15145550142',
        linkedin_url: 'https://www.linkedin.com/in/jt-1',
        updated_at: '2025-01-01T00:00:00.000Z',
      },
      {
        id: 'mid',
        name: 'Jean Tremblay',
        email: null,
        company: null,
        title: 'Founder',
        phone: null,
        linkedin_url: 'https://ca.linkedin.com/in/jt-1',
        updated_at: '2025-02-01T00:00:00.000Z',
      },
      {
        id: 'new',
        name: 'Jean Tremblay',
        email: null,
        company: 'Unknown Company',
        title: null,
        phone: null,
        linkedin_url: 'linkedin.com/in/jt-1/',
        updated_at: '2025-03-01T00:00:00.000Z',
        _meta: { problems: [{ field: 'company', problem: 'scraped_company' }] },
      },
    ];
    const survivorOf = (output: Lead[]) => output.filter((r) => r._meta!.survivor === true).map((r) => r.id);

    it('most_recent keeps the last modified copy with its own values, and fills only the fields it lacks', async () => {
      const { output, byId } = await dedupe(copies(), { resolution_strategy: 'most_recent' });
      expect(survivorOf(output)).to.deep.equal(['new']);
      // Its own (flagged) company stays; its empty email, title and phone come from the newest copy holding one.
      expect(byId.get('new')).to.include({ company: 'Unknown Company', email: 'jean@voxa.ca', title: 'Founder', phone: '+15145550142' });
      expect(byId.get('new')!._meta!.changes).to.deep.equal([
        { field: 'email', old: null, new: 'jean@voxa.ca', rule: 'dedupe.fill' },
        { field: 'title', old: null, new: 'Founder', rule: 'dedupe.fill' },
        { field: 'phone', old: null, new: '+15145550142', rule: 'dedupe.fill' },
      ]);
      expect(byId.get('old')!._meta!.duplicate_of).to.equal('new');
    });

    it('highest_quality keeps the most complete and valid copy', async () => {
      const { output } = await dedupe(copies(), { resolution_strategy: 'highest_quality' });
      expect(survivorOf(output)).to.deep.equal(['old']);
    });

    it('merge keeps the most complete copy, fills its gaps and takes the newest clean value where copies disagree', async () => {
      const { byId } = await dedupe(copies(), { resolution_strategy: 'merge' });
      const survivor = byId.get('old')!;
      expect(survivor._meta!.survivor).to.equal(true);
      expect(survivor).to.include({ email: 'jean@voxa.ca', company: 'Voxa Inc', title: 'Founder', phone: '+15145550142' });
      expect(survivor._meta!.changes).to.deep.equal([{ field: 'title', old: 'CEO', new: 'Founder', rule: 'dedupe.merge' }]);
    });

    it('merge follows field_precedence', async () => {
      const { byId } = await dedupe(copies(), { resolution_strategy: 'merge', field_precedence: { title: 'survivor' } });
      expect(byId.get('old')).to.include({ title: 'CEO' });
      expect(byId.get('old')!._meta!.changes ?? []).to.deep.equal([]);
    });

    it('merge fills an empty field from a duplicate', async () => {
      const records = copies();
      records[0]!.title = null;
      const { byId } = await dedupe(records, { resolution_strategy: 'merge' });
      expect(byId.get('old')!._meta!.changes).to.deep.equal([{ field: 'title', old: null, new: 'Founder', rule: 'dedupe.merge' }]);
    });

    it('manual changes nothing, marks no record a duplicate, and writes the group to the review file', async () => {
      const review = path.join(tempDir(), 'review', 'duplicates.jsonl');
      const { output } = await dedupe(copies(), { resolution_strategy: 'manual', review_file: review });
      expect(output.filter((r) => r._meta!.survivor === false)).to.deep.equal([]);
      expect(output.every((r) => r._meta!.review === true && !r._meta!.changes)).to.equal(true);
      const groups = fs
        .readFileSync(review, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as DuplicateGroup);
      expect(groups).to.have.length(1);
      expect(groups[0]!.records.map((r) => r.id).sort()).to.deep.equal(['mid', 'new', 'old']);
      expect(groups[0]).to.include({ resolution_strategy: 'manual', matching_field: 'linkedin', matching_value: 'jt-1' });
    });
  });

  describe('no value lost', () => {
    // The newest and most complete copy survives under every strategy; only the older copies hold a phone, notes and a score.
    const copies = (): Lead[] => [
      local(
        'oldest',
        { name: 'Ana Silva', email: 'ana@lumen.io', title: 'CEO', phone: '+15145550100', notes: 'Met at the expo', lead_score: 80, company_website: null },
        '2025-01-01T00:00:00.000Z',
      ),
      local(
        'middle',
        { name: 'Ana Silva', email: 'ana@lumen.io', title: null, phone: '+15145550199', notes: '', lead_score: null, company_website: 'https://lumen.io' },
        '2025-02-01T00:00:00.000Z',
      ),
      local(
        'newest',
        {
          name: 'Ana Silva',
          email: 'ana@lumen.io',
          title: 'CTO',
          company: 'Lumen',
          location: 'Lisbon',
          industry: 'Software',
          company_size: '11-50',
          linkedin_url: 'https://www.linkedin.com/in/ana-silva',
        },
        '2025-03-01T00:00:00.000Z',
      ),
    ];
    const groupOf = (output: Lead[]) => output.find((r) => r.kind === 'duplicate_group') as unknown as DuplicateGroup;

    for (const strategy of ['most_recent', 'highest_quality', 'merge']) {
      it(`${strategy}: the survivor gets the values only its duplicates held, the most recent first`, async () => {
        const { byId } = await dedupe(copies(), { resolution_strategy: strategy });
        const survivor = byId.get('newest')!;
        expect(survivor._meta!.survivor).to.equal(true);
        expect(survivor).to.include({
          phone: '+15145550199',
          notes: 'Met at the expo',
          lead_score: 80,
          company_website: 'https://lumen.io',
          title: 'CTO',
          company: 'Lumen',
        });
        expect(byId.get('oldest')!._meta).to.include({ survivor: false, duplicate_of: 'newest' });
      });

      it(`${strategy}: every differing value the survivor does not keep is in the group, with its record`, async () => {
        const { output } = await dedupe(copies(), { resolution_strategy: strategy, emit_groups: true });
        expect(groupOf(output).values_not_kept).to.have.deep.members([
          { system: 'local', id: 'oldest', field: 'title', value: 'CEO', kept: 'CTO', survivor: 'newest' },
          { system: 'local', id: 'oldest', field: 'phone', value: '+15145550100', kept: '+15145550199', survivor: 'newest' },
        ]);
      });
    }

    it("merge lists the survivor's own value when a newer duplicate's replaces it", async () => {
      const records = copies();
      records[2]!._meta!.modified_at = '2024-12-01T00:00:00.000Z';
      const { output, byId } = await dedupe(records, { resolution_strategy: 'merge', emit_groups: true });
      expect(byId.get('newest')).to.include({ title: 'CEO' });
      expect(groupOf(output).values_not_kept).to.deep.include({ system: 'local', id: 'newest', field: 'title', value: 'CTO', kept: 'CEO', survivor: 'newest' });
    });

    it('manual fills nothing and lists nothing: the group is left for a person', async () => {
      const { output, byId } = await dedupe(copies(), { resolution_strategy: 'manual', emit_groups: true });
      expect(byId.get('newest')!.phone).to.equal(undefined);
      expect(byId.get('newest')!._meta!.changes).to.equal(undefined);
      expect(groupOf(output).values_not_kept).to.deep.equal([]);
    });

    describe('fields named as Object.prototype members', () => {
      const PROTOTYPE_NAMES = ['toString', 'valueOf', 'constructor', 'hasOwnProperty', '__proto__'];
      // JSON.parse makes `__proto__` an own field, as reading a JSON Lines export does.
      const records = (): Lead[] => [
        JSON.parse(
          '{"id":"full","name":"Ana Silva","email":"ana@lumen.io","company":"Lumen","title":"CTO","location":"Lisbon","industry":"Software","toString":"kept string","constructor":"kept constructor",' +
            '"_meta":{"source":"local","id":"full","modified_at":"2025-01-01T00:00:00.000Z"}}',
        ),
        JSON.parse(
          '{"id":"sparse","name":"Ana Silva","email":"ana@lumen.io","valueOf":"kept value","hasOwnProperty":"kept own","__proto__":"kept proto",' +
            '"_meta":{"source":"local","id":"sparse","modified_at":"2025-02-01T00:00:00.000Z"}}',
        ),
      ];
      const expected: Record<string, string> = {
        toString: 'kept string',
        constructor: 'kept constructor',
        valueOf: 'kept value',
        hasOwnProperty: 'kept own',
        ['__proto__']: 'kept proto',
      };

      for (const strategy of ['most_recent', 'highest_quality', 'merge']) {
        it(`${strategy}: are ordinary fields the survivor keeps or is filled with`, async () => {
          const { output } = await dedupe(records(), { resolution_strategy: strategy });
          const survivor = output.find((r) => r._meta?.survivor === true)!;
          for (const name of PROTOTYPE_NAMES) {
            expect(Object.hasOwn(survivor, name), `${strategy} survivor has ${name}`).to.equal(true);
            expect(Object.getOwnPropertyDescriptor(survivor, name)!.value, name).to.equal(expected[name]);
          }
          expect(Object.getPrototypeOf(survivor)).to.equal(Object.prototype);
        });
      }

      it('differing values are listed as not kept like any other field', async () => {
        const input = records();
        Object.defineProperty(input[1]!, 'toString', { value: 'other string', enumerable: true, writable: true, configurable: true });
        const { output } = await dedupe(input, { resolution_strategy: 'highest_quality', emit_groups: true });
        expect(groupOf(output).values_not_kept).to.deep.equal([
          { system: 'local', id: 'sparse', field: 'toString', value: 'other string', kept: 'kept string', survivor: 'full' },
        ]);
      });
    });
  });

  describe('across systems', () => {
    const records = (): Lead[] => [
      local('1', { name: 'Ada Lovelace', email: 'ada@engines.io', company: 'Engines', status: 'enriched', airtable_id: 'recA' }, '2025-01-01T00:00:00.000Z'),
      local('2', { name: 'Ada Lovelace', email: 'ADA@engines.io', company: null, status: 'scraped', airtable_id: null }, '2025-02-01T00:00:00.000Z'),
      airtable('recA', { name: 'Ada Lovelace', email: null, company: 'Engines Ltd', title: 'CEO' }, '2025-03-01T00:00:00.000Z'),
      airtable('recB', { name: 'Ada Lovelace', email: 'ada@engines.io', company: null }, '2025-04-01T00:00:00.000Z'),
    ];

    it('clusters both systems together with one survivor per system', async () => {
      const { byId } = await dedupe(records(), { resolution_strategy: 'merge' });
      expect(new Set([...byId.values()].map((r) => r._meta!.cluster)).size).to.equal(1);
      const survivors = [...byId.values()].filter((r) => r._meta!.survivor === true).map((r) => `${r._meta!.source}:${r._meta!.id}`);
      expect(survivors).to.have.length(2);
      expect(survivors.filter((s) => s.startsWith('local:'))).to.have.length(1);
      expect(survivors.filter((s) => s.startsWith('airtable:'))).to.have.length(1);
    });

    it('resolves each survivor from its own system only, never adding a field its system lacks', async () => {
      const { byId } = await dedupe(records(), { resolution_strategy: 'merge' });
      const airtableSurvivor = [...byId.values()].find((r) => r._meta!.source === 'airtable' && r._meta!.survivor)!;
      expect(airtableSurvivor).to.not.have.property('status');
      expect(airtableSurvivor).to.include({ email: 'ada@engines.io', company: 'Engines Ltd', title: 'CEO' });
      const localSurvivor = [...byId.values()].find((r) => r._meta!.source === 'local' && r._meta!.survivor)!;
      expect(localSurvivor).to.not.have.property('title');
      expect(localSurvivor.status).to.be.oneOf(['enriched', 'scraped']);
      const duplicate = [...byId.values()].find((r) => r._meta!.source === 'airtable' && r._meta!.survivor === false)!;
      expect(duplicate._meta!.duplicate_of).to.equal(airtableSurvivor._meta!.id);
    });

    it('links a local lead to its Airtable record by airtable_id alone', async () => {
      const { byId } = await dedupe([
        local('9', { name: 'Grace Hopper', email: null, airtable_id: 'recG' }, '2025-01-01T00:00:00.000Z'),
        airtable('recG', { name: 'G. Hopper', email: null }, '2025-01-02T00:00:00.000Z'),
      ]);
      expect(byId.get('9')!._meta!.cluster).to.equal(byId.get('recG')!._meta!.cluster);
      expect(byId.get('9')!._meta!.match).to.deep.equal({ key: 'link', score: 1 });
      expect([byId.get('9')!._meta!.survivor, byId.get('recG')!._meta!.survivor]).to.deep.equal([true, true]);
    });
  });

  describe('with diff', () => {
    it('gives diff one entity per person: the local duplicate deleted, the merged survivor updated, the Airtable twin linked', async () => {
      const records: Lead[] = [
        { ...local('1', { name: 'Ada Lovelace', email: 'ada@engines.io', company: 'Engines', title: null, airtable_id: null }, '2025-01-01T00:00:00.000Z') },
        { ...local('2', { name: 'Ada Lovelace', email: 'ada@engines.io', company: null, title: 'CEO', airtable_id: null }, '2025-02-01T00:00:00.000Z') },
        airtable('recA', { name: 'Ada Lovelace', email: 'ada@engines.io', company: 'Engines', title: 'CEO' }, '2025-01-15T00:00:00.000Z'),
      ];
      for (const r of records) r._meta!.original = Object.fromEntries(Object.entries(r).filter(([k]) => k !== '_meta'));
      const keyed = await runStage('fingerprint', {}, records);
      const clustered = await runStage('dedupe', { resolution_strategy: 'merge' }, keyed.output);
      const { output } = await runStage('diff', {}, clustered.output);
      const operations = output.map(
        (o) => o as unknown as { action: string; system: string; id?: string; fields: Record<string, unknown>; reason: string; entity: string },
      );
      expect(new Set(operations.map((o) => o.entity)).size).to.equal(1);
      // Equal quality; the more recent copy (2) survives and gets the company it lacked.
      expect(operations.map((o) => [o.action, o.system, o.id])).to.deep.equal([
        ['update', 'local', '2'],
        ['delete', 'local', '1'],
      ]);
      expect(operations[0]!.fields).to.deep.equal({ company: 'Engines', airtable_id: 'recA' });
    });
  });

  describe('output', () => {
    it('emits every record once, then one duplicate group per cluster with duplicates when emit_groups is on', async () => {
      const { output } = await dedupe(readFixture('linkedin-variants.jsonl'), { emit_groups: true, resolution_strategy: 'merge' });
      expect(
        output
          .slice(0, 4)
          .map((r) => r.id)
          .sort(),
      ).to.deep.equal(['1', '2', '3', '4']);
      const groups = output.slice(4) as unknown as DuplicateGroup[];
      expect(groups).to.have.length(1);
      const group = groups[0]!;
      expect(group).to.include({
        kind: 'duplicate_group',
        matching_field: 'linkedin',
        matching_value: 'jean-tremblay-4b2a',
        resolution_strategy: 'merge',
        confidence_score: 1,
      });
      expect(group.cluster).to.equal(output[0]!._meta!.cluster);
      expect(group.records.map((r) => r.id).sort()).to.deep.equal(['1', '2', '3']);
      expect(group.duplicate_records.map((r) => r.id).sort()).to.deep.equal(['2', '3']);
      expect(group.primary_record).to.include({ id: '1', email: 'jean.tremblay@voxa.ca' });
    });

    it('emits survivors only with drop_duplicates, counting the others as dropped', async () => {
      const { output, dropped } = await dedupe(readFixture('linkedin-variants.jsonl'), { drop_duplicates: true });
      expect(output.map((r) => r.id).sort()).to.have.length(2);
      expect(dropped).to.deep.equal({ clustering: 4, duplicate: 2 });
    });

    it('fingerprints records that arrive without match keys', async () => {
      const { output } = await runStage('dedupe', {}, readFixture('email-case.jsonl'));
      expect(partition(output)).to.deep.equal([
        ['1', '2', '3'],
        ['4', '5'],
      ]);
    });

    it('passes events through at once', async () => {
      const event = { kind: 'conflict', entity: 'x' };
      const { output } = await runStage('dedupe', {}, [{ id: '1', name: 'Ada' }, event]);
      expect(output[0]).to.deep.equal(event);
      expect(output[1]!.id).to.equal('1');
    });

    it('feeds a slow consumer everything, one record at a time', async () => {
      const stage = await createStage('dedupe', {}, { rejects: path.join(tempDir(), 'rejects.jsonl') });
      const records = Array.from({ length: 1200 }, (_, i) => ({ id: String(i), name: `Person ${i}`, email: `p${i % 1000}@voxa.ca` }));
      let received = 0;
      const sink = new Writable({
        objectMode: true,
        highWaterMark: 1,
        write(_r, _e, cb) {
          received++;
          setImmediate(cb);
        },
      });
      await pipeline(Readable.from(records), stage, sink);
      expect(received).to.equal(1200);
      expect(stage.counters.dropped).to.deep.equal({ clustering: 1200 });
    });
  });

  describe('options', () => {
    it('reports a wrong field_precedence rule, a threshold out of range and an unknown default country', async () => {
      const failure = async (options: Record<string, unknown>) => {
        try {
          await runStage('dedupe', options, []);
        } catch (error) {
          return (error as Error).message;
        }
        return '';
      };
      expect(await failure({ field_precedence: { title: 'newest' } })).to.include(
        'field_precedence.title: must be one of most_recent, oldest, survivor, longest, not "newest"',
      );
      expect(await failure({ matching_threshold: 1.5 })).to.include('matching_threshold: must be at most 1, not 1.5');
      expect(await failure({ default_country: 'XX' })).to.include('default_country: "XX" is not a country code known to libphonenumber');
    });

    it('takes its defaults from duplicate_detection in the configuration', async () => {
      const { stages } = await import('../../stages/index.js');
      const options = stages.dedupe!.options;
      expect(options.matching_threshold.config).to.equal('duplicate_detection.matching_threshold');
      expect(options.resolution_strategy.config).to.equal('duplicate_detection.resolution_strategy');
      expect(options.matching_fields.config).to.equal('duplicate_detection.matching_fields');
    });
  });
});
