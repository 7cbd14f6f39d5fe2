import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import type { Lead } from '../../../lib/core/record.js';
import type { Cluster } from '../../../lib/match/cluster.js';
import { KeptApart } from '../../../lib/review/apart.js';
import { forgetSettled, groupKey, readSettled, rememberSettled } from '../../../lib/review/memory.js';
import { formatPending, pendingReview } from '../../../lib/review/pending.js';
import { recordVersion } from '../../../lib/review/version.js';
import { tempDir } from '../../helpers.js';

function lead(source: 'local' | 'airtable', id: string, fields: Record<string, unknown>): Lead {
  return { ...fields, _meta: { source, id } };
}
const versions = (records: Lead[]): Record<string, string> => Object.fromEntries(records.map((r) => [`${r._meta!.source}:${r._meta!.id}`, recordVersion(r)]));
function cluster(members: Lead[]): Cluster {
  return { id: 'c', members, idents: members.map((m) => `${m._meta!.source}:${m._meta!.id}`), reasons: members.map(() => ({ key: 'email', score: 1 })) };
}

describe('the review memory', () => {
  it('remembers what a run settled, reads without creating anything, and forgets one run on rollback', () => {
    const file = path.join(tempDir(), 'sync-state.db');
    expect(readSettled(file).size).to.equal(0);
    expect(fs.existsSync(file), 'reading creates no file').to.equal(false);
    rememberSettled(file, [{ key: groupKey({ 'local:1': 'a', 'local:2': 'b' }), kind: 'not_duplicates' }], 'run-1', new Date(0));
    rememberSettled(file, [{ key: groupKey({ 'local:3': 'c', 'local:4': 'd' }), kind: 'merged' }], 'run-2', new Date(0));
    expect([...readSettled(file)]).to.deep.equal([
      [groupKey({ 'local:1': 'a', 'local:2': 'b' }), 'not_duplicates'],
      [groupKey({ 'local:3': 'c', 'local:4': 'd' }), 'merged'],
    ]);
    expect(forgetSettled(file, 'run-2')).to.equal(1);
    expect([...readSettled(file).keys()]).to.deep.equal([groupKey({ 'local:1': 'a', 'local:2': 'b' })]);
  });

  it('splits a cluster kept apart into its leads, counterparts created since included, but not once a record changed or a new one joined', () => {
    const a = lead('local', '1', { name: 'Jo Tan', email: 'jo@tan.io', airtable_id: null });
    const b = lead('local', '2', { name: 'Jo Tan', email: 'jo@tan.io', airtable_id: null });
    const apart = new KeptApart([groupKey(versions([a, b]))], 'airtable_id');
    // A run since linked local 1 to a record it created: the link is the tool's, not a change.
    const linked = { ...a, airtable_id: 'recNew' };
    const twin = lead('airtable', 'recNew', { name: 'Jo Tan', email: 'jo@tan.io' });
    const parts = apart.split(cluster([linked, b, twin]));
    expect(parts?.map((p) => [p.id, p.idents])).to.deep.equal([
      ['airtable:recNew', ['local:1', 'airtable:recNew']],
      ['local:2', ['local:2']],
    ]);
    expect(apart.split(cluster([{ ...b, name: 'Joanna Tan' }, a]))).to.equal(undefined);
    expect(apart.split(cluster([a, b, lead('local', '3', { name: 'Jo Tan', email: 'jo@tan.io' })]))).to.equal(undefined);
  });

  it('lists the latest line of each pending group and conflict, without those settled, with what a decisions file needs', () => {
    const dir = tempDir();
    const a = lead('local', '1', { name: 'Jo Tan', title: 'CEO' });
    const b = lead('local', '2', { name: 'Jo Tan', title: 'Founder' });
    const c = lead('local', '3', { name: 'Al Roy' });
    const d = lead('local', '4', { name: 'Al Roy' });
    const line = (records: Lead[]): string =>
      JSON.stringify({
        kind: 'duplicate_group',
        matching_field: 'email',
        matching_value: 'jo@tan.io',
        confidence_score: 1,
        records,
        versions: versions(records),
      });
    fs.mkdirSync(path.join(dir, 'review'));
    fs.writeFileSync(path.join(dir, 'review', 'duplicates.jsonl'), `${line([a, b])}\n${line([a, b])}\nnot json\n${line([c, d])}\n`);
    const conflict = {
      kind: 'conflict',
      field_name: 'title',
      local_value: 'CTO',
      airtable_value: 'VP',
      record_id: 'local:5|airtable:recE',
      versions: { 'local:5': 'aaaaaaaaaaaaaaaa', 'airtable:recE': 'bbbbbbbbbbbbbbbb' },
    };
    fs.writeFileSync(path.join(dir, 'review', 'conflicts.jsonl'), `${JSON.stringify(conflict)}\n`);
    const stateFile = path.join(dir, 'sync-state.db');
    rememberSettled(stateFile, [{ key: groupKey(versions([c, d])), kind: 'not_duplicates' }], 'run-1', new Date(0));
    const pending = pendingReview({
      duplicates: path.join(dir, 'review', 'duplicates.jsonl'),
      conflicts: path.join(dir, 'review', 'conflicts.jsonl'),
      stateFile,
    });
    expect([pending.groups.length, pending.conflicts.length, pending.unreadable]).to.deep.equal([1, 1, 1]);
    const text = formatPending(pending);
    expect(text).to.include('1 duplicate group(s) and 1 conflict(s) wait for a decision.');
    expect(text).to.include(`  records: ["local:1","local:2"]\n  seen: ${JSON.stringify(versions([a, b]))}`);
    expect(text).to.include('      title: "Founder"');
    expect(text, 'each record with the name a person knows it by').to.include(`  local:2  Jo Tan  version ${versions([b])['local:2']}`);
    expect(text).to.include(`  local: "5", airtable: "recE", field: "title"\n  seen: ${JSON.stringify(conflict.versions)}`);
    expect(text).to.not.include('local:3');
  });
});
