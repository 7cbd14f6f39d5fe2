import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Operation } from '../../../lib/core/operation.js';
import { readJournal } from '../../../lib/core/journal-read.js';
import { RunJournal } from '../../../lib/core/journal.js';
import { tempDir } from '../../helpers.js';

function op(fields: Partial<Operation> = {}): Operation {
  return {
    kind: 'operation',
    action: 'update',
    system: 'local',
    id: 'lead-1',
    fields: { title: 'CEO' },
    replaces: { title: 'ceo' },
    reason: 'standardize',
    entity: 'lead-1',
    ...fields,
  };
}

/** The entry line earlier versions wrote: JSON.stringify of the whole entry. */
function entryLine(seq: number, operation: Operation, before?: Record<string, unknown>): string {
  const { system, action, id, fields, replaces, entity, reason, link } = operation;
  return JSON.stringify({ t: 'op', seq, system, action, id, fields, replaces, before, entity, reason, link });
}

describe('lib/safety/journal', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = tempDir('journal-');
    file = path.join(dir, 'journal.jsonl');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const lines = () => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);

  it('writes every operation line byte for byte as JSON.stringify of its entry, whatever the values hold', () => {
    const tricky: Array<[Operation, Record<string, unknown> | undefined]> = [
      [op(), { title: 'ceo', updated_at: '2026-01-01T00:00:00.000Z' }],
      [
        op({ id: 'quote"back\\slash', entity: 'tab\there', fields: { name: 'Zoë "Z" Ünal\n', 'e-mail': 'x@y.z' }, replaces: { name: null } }),
        { name: 'Zoe', n: 3.5, flag: 1 },
      ],
      [op({ fields: { name: 'lone \ud800 surrogate and pair 😀', '2': 'two', '10': 'ten', b: true, none: undefined, f: () => 1 } }), { '2': 'x', a: 'y' }],
      [
        op({ fields: { nested: { a: [1, 'b'], d: new Date('2026-01-02T03:04:05Z') }, big: Number.POSITIVE_INFINITY }, replaces: {} }),
        { blob: Buffer.from('hi'), zero: -0 },
      ],
      [op({ action: 'create', id: undefined, link: { system: 'airtable', id: 'rec1' } }), { ignored: 'a create replaces nothing' }],
      [op({ action: 'delete', fields: {}, reason: 'dedupe' }), undefined],
      [op({ system: 'airtable', entity: '\u2028line separator', reason: 'sync' }), undefined],
    ];
    const journal = new RunJournal(file, 'run-lines');
    journal.intend(
      tricky.map(([o]) => o),
      (_o, i) => tricky[i]![1],
    );
    const batch = journal.batch();
    batch.begin();
    batch.addColumns(op({ id: 'lead-9', entity: 'lead-9' }), ['title', '7', 'updated_at'], ['Boss "B"', 7, null]);
    batch.addColumns(op({ id: 'lead-9', entity: 'lead-9' }), ['title', 'title'], ['first', 'second']);
    batch.seal();
    journal.close();

    const written = lines().filter((line) => line.includes('"t":"op"'));
    expect(written).to.deep.equal([
      ...tricky.map(([o, before], i) => entryLine(i + 1, o, o.action === 'create' ? undefined : before)),
      entryLine(8, op({ id: 'lead-9', entity: 'lead-9' }), { title: 'Boss "B"', 7: 7, updated_at: null }),
      entryLine(9, op({ id: 'lead-9', entity: 'lead-9' }), { title: 'second' }),
    ]);
  });

  it('writes the done line as JSON.stringify of its entry, secrets masked, for a batch of any size', () => {
    const journal = new RunJournal(file, 'run-done');
    const ops = Array.from({ length: 3000 }, (_, i) => op({ id: `lead-${i}`, entity: `lead-${i}` }));
    const seqs = journal.intend(ops);
    const results: Array<NonNullable<Operation['result']>> = ops.map((o, i) =>
      i === 1234 ? { status: 'failed', id: o.id, error: 'rejected: token=patABCDEFGHIJKLMN.0123456789abcdef0123 "quoted"' } : { status: 'applied', id: o.id },
    );
    journal.settle(seqs, results);
    journal.close();

    const done = lines().find((line) => line.startsWith('{"t":"done"'))!;
    expect(done).to.equal(
      JSON.stringify({ t: 'done', seqs, results: results.map((r) => (r.error ? { ...r, error: 'rejected: token=[REDACTED] "quoted"' } : r)) }),
    );
    const read = readJournal(file);
    expect(read.ops).to.have.length(3000);
    expect(read.ops[1234]!.result).to.deep.equal({ status: 'failed', id: 'lead-1234', error: 'rejected: token=[REDACTED] "quoted"' });
    expect(read.ops[2999]!.result).to.deep.equal({ status: 'applied', id: 'lead-2999' });
  });

  it('takes back what a rolled-back batch attempt wrote, even past its write buffer, and numbers the retry from where the batch began', () => {
    const journal = new RunJournal(file, 'run-retry');
    journal.settle(journal.intend([op({ id: 'first' })]), [{ status: 'applied', id: 'first' }]);
    const before = fs.statSync(file).size;
    const long = 'x'.repeat(1000);
    const batch = journal.batch({ sync: 'soon' });
    batch.begin();
    // Well over a megabyte: the attempt's lines reach the file before it rolls back.
    for (let i = 0; i < 3000; i++) batch.addColumns(op({ id: `lead-${i}`, fields: { title: long } }), ['title'], [`old ${i}`]);
    expect(fs.statSync(file).size).to.be.greaterThan(before + 1_000_000);
    batch.begin();
    expect(fs.statSync(file).size).to.equal(before);
    batch.add(op({ id: 'lead-0' }), { title: 'old 0' });
    batch.add(op({ id: 'lead-1' }));
    batch.seal();
    journal.settle(batch.seqs, [
      { status: 'applied', id: 'lead-0' },
      { status: 'failed', id: 'lead-1', error: 'no such record' },
    ]);
    const abandoned = journal.batch();
    abandoned.begin();
    abandoned.add(op({ id: 'never' }));
    abandoned.discard();
    journal.close();

    expect(batch.seqs).to.deep.equal([2, 3]);
    const read = readJournal(file);
    expect(read.ops.map((o) => [o.seq, o.id, o.before, o.result?.status])).to.deep.equal([
      [1, 'first', undefined, 'applied'],
      [2, 'lead-0', { title: 'old 0' }, 'applied'],
      [3, 'lead-1', undefined, 'failed'],
    ]);
    expect(read.lastSeq).to.equal(3);
  });

  it('drops a line torn by a crash when a run resumes, so the resumed journal still reads', () => {
    const first = new RunJournal(file, 'run-torn');
    first.settle(first.intend([op({ id: 'kept' })]), [{ status: 'applied', id: 'kept' }]);
    first.close();
    // The crash: half of the next operation's line reached the file.
    fs.appendFileSync(file, '{"t":"op","seq":2,"system":"local","act');
    expect(readJournal(file).lastSeq).to.equal(1);

    const resumed = new RunJournal(file, 'run-torn');
    resumed.settle(resumed.intend([op({ id: 'after' })]), [{ status: 'applied', id: 'after' }]);
    resumed.close();

    const read = readJournal(file);
    expect(read.ops.map((o) => [o.seq, o.id, o.result?.status])).to.deep.equal([
      [1, 'kept', 'applied'],
      [2, 'after', 'applied'],
    ]);
    expect(lines().some((line) => line.includes('"act"') || line.endsWith('"act'))).to.equal(false);
    expect(lines().filter((line) => line.includes('"t":"resume"'))).to.have.length(1);
  });
});
