import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { EXIT } from '../../lib/core/exit-codes.js';
import {
  airtableRecord,
  contents,
  editLocal,
  latestAudit,
  localRow,
  maintenance,
  reviewedCopy,
  reviewLines,
  runIdOf,
  snapshot,
  succeeds,
  writeDecisions,
  type Line,
  type Own,
} from './review-support.js';

/** The first pending group with two local leads and an Airtable record, and the pending conflict. */
function pending(own: Own): { group: Line; locals: string[]; twin: string | undefined; conflict: Line } {
  const group = reviewLines(own, 'duplicates').find(
    (g) => g.records.filter((r) => r._meta.source === 'local').length >= 2 && g.records.some((r) => r._meta.source === 'airtable'),
  )!;
  const locals = group.records.filter((r) => r._meta.source === 'local').map((r) => r._meta.id);
  const twin = group.records.find((r) => r._meta.source === 'airtable')?._meta.id;
  const conflict = reviewLines(own, 'conflicts').find((c) => c.field_name === 'title')!;
  return { group, locals, twin, conflict };
}

function mergeDecision(group: Line, survivor: string, values: Record<string, unknown>): Record<string, unknown> {
  return { type: 'duplicates', records: Object.keys(group.versions), seen: group.versions, action: 'merge', survivor: `local:${survivor}`, values };
}

function conflictDecision(conflict: Line, value: string): Record<string, unknown> {
  const [local, airtable] = conflict.record_id.split('|').map((key) => key.slice(key.indexOf(':') + 1));
  return { type: 'conflict', local, airtable, field: 'title', seen: conflict.versions, choice: 'value', value };
}

describe('db-maintenance --apply-decisions', function () {
  this.timeout(240_000);
  let own: Own | undefined;
  afterEach(async () => {
    await own?.sample.close();
    own = undefined;
  });

  it('applies a merge and a conflict decision: both systems hold exactly the chosen values, and the audit log names each decision', async () => {
    own = await reviewedCopy();
    const { group, locals, twin, conflict } = pending(own);
    const [survivor, other] = locals as [string, string];
    const otherTitle = group.records.find((r) => r._meta.id === other)!.title;
    const survivorTitle = group.records.find((r) => r._meta.id === survivor)!.title;
    const file = writeDecisions(own, [
      mergeDecision(group, survivor, { title: { from: `local:${other}` }, notes: { value: 'Merged by hand' } }),
      conflictDecision(conflict, 'Head of Revenue'),
    ]);
    await succeeds(own, ['--apply-decisions', file, '--yes']);

    expect(localRow(own, survivor)).to.include({ title: otherTitle, notes: 'Merged by hand' });
    for (const id of locals.slice(1)) expect(localRow(own, id), `local ${id} merged away`).to.equal(undefined);
    expect(airtableRecord(own, String(localRow(own, survivor)!.airtable_id))).to.include({ 'Job Title': otherTitle });
    if (twin) expect(localRow(own, survivor)!.airtable_id).to.equal(twin);
    const [localId, airtableId] = conflict.record_id.split('|').map((key) => key.slice(key.indexOf(':') + 1)) as [string, string];
    expect(localRow(own, localId)!.title).to.equal('Head of Revenue');
    expect(airtableRecord(own, airtableId)!['Job Title']).to.equal('Head of Revenue');

    const audit = latestAudit(own);
    const named = (rule: string): Array<Record<string, unknown>> => audit.filter((e) => e.rule === rule && e.reason === 'manual decision');
    expect(named('decision.1').map((e) => [e.system, e.action, e.record_id, e.field, e.new_value])).to.deep.include.members([
      ['local', 'update', survivor, 'title', otherTitle],
      ['local', 'update', survivor, 'notes', 'Merged by hand'],
      ['local', 'delete', other, 'title', null],
    ]);
    expect(named('decision.2').map((e) => [e.system, e.record_id, e.field, e.new_value])).to.have.deep.members([
      ['local', localId, 'title', 'Head of Revenue'],
      ['airtable', airtableId, 'title', 'Head of Revenue'],
    ]);
    // Never discarding a value: the survivor's own title, replaced, is listed as not kept.
    if (survivorTitle && survivorTitle !== otherTitle)
      expect(audit.filter((e) => e.action === 'not_kept' && e.field === 'title').map((e) => e.old_value ?? e.new_value)).to.include(survivorTitle);
  });

  it('reports a decision whose record changed since the review as stale, applies nothing of it, and puts the group up for review again', async () => {
    own = await reviewedCopy();
    const { group, locals } = pending(own);
    const [survivor, other] = locals as [string, string];
    editLocal(own, other, { notes: 'Called on Monday' });
    const before = contents(own);
    const file = writeDecisions(own, [mergeDecision(group, survivor, { title: { from: `local:${other}` } })]);
    const run = await succeeds(own, ['--apply-decisions', file, '--yes']);

    expect(run.stderr).to.match(new RegExp(`Decision 1 \\(merge: [^)]*\\) is stale and was not applied: local:${other} changed since the review`));
    expect(contents(own)).to.deep.equal(before);
    const again = reviewLines(own, 'duplicates').filter((g) => `local:${other}` in g.versions);
    expect(again.at(-1)!.versions[`local:${other}`]).to.be.a('string').and.not.equal(group.versions[`local:${other}`]);
  });

  it('remembers "not duplicates": the next run proposes the group no more, until one of its records changes', async () => {
    own = await reviewedCopy();
    const { group, locals } = pending(own);
    const records = Object.keys(group.versions);
    const file = writeDecisions(own, [{ type: 'duplicates', records, seen: group.versions, action: 'not_duplicates' }]);
    await succeeds(own, ['--apply-decisions', file, '--yes']);
    for (const id of locals) expect(localRow(own, id), `local ${id} kept`).to.not.equal(undefined);

    const linesBefore = reviewLines(own, 'duplicates').length;
    await succeeds(own, ['--full-maintenance', '--yes']);
    const proposed = reviewLines(own, 'duplicates').slice(linesBefore);
    expect(proposed.length, 'other groups are still proposed').to.be.greaterThan(0);
    expect(proposed.filter((g) => locals.every((id) => `local:${id}` in g.versions))).to.deep.equal([]);
    const listing = await succeeds(own, ['--review']);
    expect(listing.stdout).to.not.include(`local:${locals[0]}`);

    editLocal(own, locals[1]!, { notes: 'Not the same person, says the sales team' });
    const linesNow = reviewLines(own, 'duplicates').length;
    await succeeds(own, ['--full-maintenance', '--yes']);
    expect(
      reviewLines(own, 'duplicates')
        .slice(linesNow)
        .some((g) => locals.every((id) => `local:${id}` in g.versions)),
    ).to.equal(true);
  });

  it('with --dry-run changes nothing anywhere, byte for byte', async () => {
    own = await reviewedCopy();
    const { group, locals, conflict } = pending(own);
    const file = writeDecisions(own, [mergeDecision(group, locals[0]!, { notes: { value: 'x' } }), conflictDecision(conflict, 'Head of Revenue')]);
    const before = snapshot(own);
    const run = await succeeds(own, ['--apply-decisions', file, '--dry-run']);
    expect(run.stderr).to.include('would change');
    expect(snapshot(own)).to.deep.equal(before);
  });

  it('is undone by --rollback: both systems back to the exact state before, and the decisions pending again', async () => {
    own = await reviewedCopy();
    const { group, locals, conflict } = pending(own);
    const file = writeDecisions(own, [
      mergeDecision(group, locals[0]!, { title: { from: `local:${locals[1]}` } }),
      conflictDecision(conflict, 'Head of Revenue'),
    ]);
    const before = contents(own);
    const listed = (await succeeds(own, ['--review'])).stdout;
    const run = await succeeds(own, ['--apply-decisions', file, '--yes']);
    expect(contents(own)).to.not.deep.equal(before);
    await succeeds(own, ['--rollback', runIdOf(run), '--yes']);
    expect(contents(own)).to.deep.equal(before);
    expect((await succeeds(own, ['--review'])).stdout).to.equal(listed);
  });

  it('refuses a malformed decisions file with its position and how to fix it, before anything runs (exit 2)', async () => {
    own = await reviewedCopy();
    const before = snapshot(own);
    const file = path.join(path.dirname(own.data), 'bad.json');
    fs.writeFileSync(file, '{\n  "format": "lead-maintenance-decisions",\n  "version": 1,\n  "decisions": [ { "type": "duplicates", } ]\n}\n');
    const syntax = await maintenance(own, ['--apply-decisions', file, '--yes']);
    expect(syntax.code).to.equal(EXIT.config);
    expect(syntax.stderr).to.match(/bad\.json:4:42 JSON syntax: .*; a decisions file is JSON/);

    fs.writeFileSync(
      file,
      JSON.stringify(
        { format: 'lead-maintenance-decisions', version: 2, decisions: [{ type: 'conflict', local: '1', airtable: 'recA', field: 'title', choice: 'local' }] },
        null,
        2,
      ),
    );
    const schema = await maintenance(own, ['--apply-decisions', file, '--yes']);
    expect(schema.code).to.equal(EXIT.config);
    expect(schema.stderr).to.include('bad.json:3:14 version: this reader knows decisions version 1 only');
    expect(schema.stderr).to.include(`bad.json:5:5 decisions[0]: "seen" is missing: copy the review line's "versions" into "seen"`);

    const missing = await maintenance(own, ['--apply-decisions', path.join(path.dirname(own.data), 'none.json'), '--yes']);
    expect(missing.code).to.equal(EXIT.config);
    expect(missing.stderr).to.include('none.json: no such file');
    expect(snapshot(own)).to.deep.equal(before);
  });
});
