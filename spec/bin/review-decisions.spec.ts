import { expect } from 'chai';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT } from '../../lib/core/exit-codes.js';
import { readJournal } from '../../lib/core/journal-read.js';
import { journalPath } from '../../lib/core/journal.js';
import {
  airtableRecord,
  contents,
  editLocal,
  latestAudit,
  localRow,
  localRows,
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

const KILL_CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'review-kill-child.js');

/** The three kinds of decision on the pending state: a merge (a value from a member and a typed one), a conflict value, "not duplicates". */
function everyKind(own: Own): string {
  const { group, locals, conflict } = pending(own);
  const apart = reviewLines(own, 'duplicates').find((g) => Object.keys(g.versions).every((key) => !(key in group.versions)))!;
  return writeDecisions(own, [
    mergeDecision(group, locals[0]!, { title: { from: `local:${locals[1]}` }, notes: { value: 'Merged by hand' } }),
    conflictDecision(conflict, 'Head of Revenue'),
    { type: 'duplicates', records: Object.keys(apart.versions), seen: apart.versions, action: 'not_duplicates' },
  ]);
}

/** What `--review` lists, without the Airtable record ids (a copy's records have ids of their own): each group's evidence and local leads. */
function pendingGroups(listing: string): string[] {
  return listing
    .split(/\n(?=Group \d+ )/)
    .filter((part) => part.startsWith('Group '))
    .map((part) => `${/^Group \d+ (\(.*\))/.exec(part)![1]} ${[...new Set(part.match(/local:[\w-]+/g) ?? [])].sort().join(' ')}`)
    .sort();
}

/**
 * Both systems as a user compares two runs: local rows without the stamps a write sets and
 * without their links, Airtable's records without their ids (a record created for a lead gets a
 * fresh id in each run), and how many leads link to an Airtable record there, each to its own.
 */
function unstamped(own: Own): Record<string, unknown> {
  const rows = localRows(own);
  const airtable = own.sample.emulator.dump('Leads');
  const ids = new Set(airtable.map((r) => r.id));
  const links = rows.map((r) => r.airtable_id).filter((id) => typeof id === 'string' && ids.has(id));
  return {
    local: rows.map(({ updated_at: _u, airtable_synced: _s, airtable_id: _a, ...row }) => row),
    airtable: airtable
      .map(({ fields: { 'Last Modified': _m, 'Created At': _c, ...fields } }) => JSON.stringify(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : 1))))
      .sort(),
    linked: links.length,
    distinctLinks: new Set(links).size,
  };
}

/** `--apply-decisions FILE --batch-size 2` in a child process that SIGKILLs itself at the `count`th journal `event`. */
function applyKilled(own: Own, file: string, runId: string, event: string, count: number): Promise<NodeJS.Signals | null> {
  const stateDir = path.join(own.data, '.lead-maintenance');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KILL_CHILD, runId, stateDir, file, own.config, event, String(count), '2'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...own.env, LEADS_DATA_DIR: own.data },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => (code ? reject(new Error(`the child failed: ${stderr}`)) : resolve(signal)));
  });
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
    expect(named('decision.2').map((e) => [e.system, e.record_id, e.field, e.action === 'decided' ? 'decided' : e.new_value])).to.have.deep.members([
      ['local', localId, 'title', 'decided'],
      ['airtable', airtableId, 'title', 'decided'],
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
    expect(
      latestAudit(own)
        .filter((e) => e.rule === 'decision.1')
        .map((e) => [e.record_id, e.action, e.status]),
    ).to.have.deep.members(Object.keys(group.versions).map((key) => [key.slice(key.indexOf(':') + 1), 'merged', 'stale']));
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
    expect(latestAudit(own).map((e) => [`${e.system}:${e.record_id}`, e.action, e.reason, e.rule, e.status])).to.deep.include.members(
      records.map((key) => [key, 'kept_apart', 'manual decision', 'decision.1', 'applied']),
    );

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

  it('killed (kill -9) mid-write and finished by --resume: both systems as after an uninterrupted run, every operation applied once', async () => {
    const reference = await reviewedCopy();
    const points = [
      // Airtable's first batch applied but not marked: its outcome is looked up, not applied again.
      { event: 'settling', count: 1 },
      // A later batch written to the journal, not applied yet.
      { event: 'intended', count: 3 },
    ];
    const copies = await Promise.all(points.map(() => reviewedCopy()));
    try {
      const uninterrupted = await succeeds(reference, ['--apply-decisions', everyKind(reference), '--batch-size', '2', '--yes']);
      const expected = unstamped(reference);
      const expectedReview = pendingGroups((await succeeds(reference, ['--review'])).stdout);
      const expectedOps = readJournal(journalPath(path.join(reference.data, '.lead-maintenance'), runIdOf(uninterrupted))).ops;
      expect(expectedOps.length, 'operations of an uninterrupted run').to.be.greaterThan(4);
      await Promise.all(
        copies.map(async (copy, i) => {
          const { event, count } = points[i]!;
          const runId = `decisions-killed-${i}`;
          expect(await applyKilled(copy, everyKind(copy), runId, event, count), `killed at ${event} #${count}`).to.equal('SIGKILL');
          const journal = journalPath(path.join(copy.data, '.lead-maintenance'), runId);
          expect(readJournal(journal).end, 'the run did not end').to.equal(undefined);
          await succeeds(copy, ['--resume', runId, '--yes']);
          expect(unstamped(copy), `after --resume from ${event} #${count}`).to.deep.equal(expected);
          expect(pendingGroups((await succeeds(copy, ['--review'])).stdout), `--review after --resume from ${event} #${count}`).to.deep.equal(expectedReview);
          const resumed = readJournal(journal);
          expect(resumed.end?.status).to.equal('completed');
          // An operation the kill left intended is looked up and marked as not applied; what was applied, was applied once.
          const applied = (ops: typeof expectedOps): string[] =>
            ops
              .filter((op) => op.result?.status === 'applied')
              .map((op) => `${op.system} ${op.action} ${op.id ?? ''}`)
              .sort();
          expect(applied(resumed.ops), 'each operation applied once').to.deep.equal(applied(expectedOps));
        }),
      );
    } finally {
      await reference.sample.close();
      for (const copy of copies) await copy.sample.close();
    }
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
