import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Operation } from '../../../lib/core/operation.js';
import { readJournal } from '../../../lib/core/journal-read.js';
import { RunJournal } from '../../../lib/core/journal.js';
import type { OnErrorPolicy } from '../../../lib/core/stage.js';
import type { StreamItem } from '../../../lib/core/types.js';
import { createBatchWriter, type BatchTarget, type BatchWriter, type Outcome } from '../../../lib/core/writer.js';
import { makeContext, tempDir, type TestContext } from '../sqlite/support.js';

function op(id: string, action: Operation['action'] = 'update', system: Operation['system'] = 'local'): Operation {
  return { kind: 'operation', action, system, id, fields: { title: id }, replaces: {}, reason: 'sync', entity: `e-${id}` };
}

/** A writer over an in-memory target: records what each batch held, fails the ids in `refuse`, and fails as a whole at batch `breakAt`. */
function fakeWriter(
  ctx: TestContext,
  settings: {
    refuse?: string[];
    breakAt?: number;
    journal?: RunJournal;
    mode?: 'in transaction' | 'before sending';
    batchSize?: number;
    maxHeld?: number;
    async?: boolean;
    events?: string[];
  } = {},
) {
  const batches: string[][] = [];
  const events = settings.events ?? [];
  const target: BatchTarget<Operation> = {
    owns: (item): item is Operation => (item as Operation).kind === 'operation' && (item as Operation).system === 'local',
    lanes: ['local'],
    batchSize: settings.batchSize ?? 2,
    maxHeld: settings.maxHeld ?? 100,
    heldLimitAfter: 'passing objects',
    counts: { applied: 0, skipped: 0, failed: 0, dry_run: 0 },
    route: (o) => ({ lane: 'local', send: o }),
    opOf: (o) => o,
    check: (_lane, ops) => ops.map((o) => ({ result: { status: 'dry_run', id: o.id } })),
    apply(_lane, ops, intent) {
      if (batches.length === settings.breakAt) throw new Error('the target is gone');
      // As inside a transaction: every operation journaled and the batch sealed before it commits.
      if (intent) {
        for (const o of ops) intent.add(o);
        intent.seal();
      }
      batches.push(ops.map((o) => o.id!));
      events.push('applied');
      const outcomes: Outcome[] = ops.map((o) =>
        settings.refuse?.includes(o.id!) ? { result: { status: 'failed', id: o.id, error: 'refused' } } : { result: { status: 'applied', id: o.id } },
      );
      return settings.async ? Promise.resolve(outcomes) : outcomes;
    },
    journal: { open: () => settings.journal, mode: settings.mode ?? 'in transaction' },
    messages: {
      failed: (o, error) => ({ status: 'failed', id: o.id, error }),
      failure: (o, { result }) => `Local ${o.action} of record ${o.id} failed: ${result.error}`,
      failures: (failed) => new Error(`${failed.length} failed`),
      stopped: (fatal) => `Not applied: ${fatal}`,
    },
  };
  return { writer: createBatchWriter(ctx, target), batches, events };
}

async function run(writer: BatchWriter, items: StreamItem[]): Promise<StreamItem[]> {
  const out: StreamItem[] = [];
  const take = (value: unknown) => {
    if (Array.isArray(value)) out.push(...value);
    else if (value !== undefined) out.push(value as StreamItem);
  };
  for (const item of items) take(await writer.transform(item));
  take(await writer.end());
  return out;
}

const statusOf = (item: StreamItem) => (item as Operation).result?.status;

describe('writer skeleton (lib/writer.ts)', () => {
  it('passes every object on in input order, those behind a waiting operation once its batch is applied', async () => {
    const ctx = makeContext();
    const { writer, batches } = fakeWriter(ctx);
    const record = { name: 'Ada' };
    const other = op('r1', 'update', 'airtable');
    const first = writer.transform(record);
    expect(first).to.equal(record);
    expect(writer.transform(op('a'))).to.deep.equal([]);
    expect(writer.transform(other)).to.deep.equal([]);
    const released = writer.transform(op('b')) as StreamItem[];
    expect(released.map((i) => (i as Operation).id)).to.deep.equal(['a', 'r1', 'b']);
    expect(batches).to.deep.equal([['a', 'b']]);
    expect(statusOf(released[1]!)).to.equal(undefined);
  });

  it('sends every batch once maxHeld objects wait behind them', async () => {
    const ctx = makeContext();
    const { writer, batches } = fakeWriter(ctx, { batchSize: 10, maxHeld: 3 });
    const out = await run(writer, [op('a'), { n: 1 }, { n: 2 }, { n: 3 }, op('b')]);
    expect(batches).to.deep.equal([['a'], ['b']]);
    expect(out).to.have.length(5);
  });

  for (const [policy, passed] of [
    ['tag', ['a', 'b', 'c']],
    ['skip', ['a', 'c']],
  ] as Array<[OnErrorPolicy, string[]]>) {
    it(`under on_error: ${policy}, rejects a failed operation with the writer's message and ${policy === 'tag' ? 'passes it on with its result' : 'sets it aside'}`, async () => {
      const ctx = makeContext({ onError: policy });
      const { writer } = fakeWriter(ctx, { refuse: ['b'] });
      const out = await run(writer, [op('a'), op('b'), op('c')]);
      expect(out.map((i) => (i as Operation).id)).to.deep.equal(passed);
      expect(ctx.rejects.map((r) => [r.reason, r.message])).to.deep.equal([['write_failed', 'Local update of record b failed: refused']]);
      expect(writer.counts).to.deep.equal({ applied: 2, skipped: 0, failed: 1, dry_run: 0 });
    });
  }

  it("under on_error: fail, stops with the writer's error once the failed operation is in the rejects file", async () => {
    const ctx = makeContext({ onError: 'fail' });
    const { writer } = fakeWriter(ctx, { refuse: ['b'] });
    writer.transform(op('a'));
    expect(() => writer.transform(op('b'))).to.throw('1 failed');
    expect(ctx.rejects).to.have.length(1);
  });

  it('after a failure of the target as a whole applies nothing more, marks every later operation not applied, and fails the run at the end', async () => {
    const ctx = makeContext({ onError: 'skip' });
    const { writer, batches } = fakeWriter(ctx, { breakAt: 1, async: true });
    const out = await run(writer, [op('a'), op('b'), op('c'), op('d'), op('e'), op('f')]);
    expect(batches).to.deep.equal([['a', 'b']]);
    expect(out.map((i) => (i as Operation).id)).to.deep.equal(['a', 'b']);
    expect(ctx.rejects.map((r) => r.message)).to.deep.equal(
      ['c', 'd', 'e', 'f'].map((id) => `Local update of record ${id} failed: Not applied: the target is gone`),
    );
    expect(() => writer.throwIfStopped()).to.throw('test: the target is gone 4 operation(s) were not applied; they are in the rejects file with the reason.');
  });

  it('under on_error: fail, stops right after the batch the target failed on', async () => {
    const ctx = makeContext({ onError: 'fail' });
    const { writer } = fakeWriter(ctx, { breakAt: 0 });
    writer.transform(op('a'));
    expect(() => writer.transform(op('b'))).to.throw('test: the target is gone 2 operation(s) were not applied');
    expect(ctx.rejects).to.have.length(2);
  });

  it('in a dry run checks each batch, applies none and counts what would be applied', async () => {
    const ctx = makeContext({ dryRun: true });
    const { writer, batches } = fakeWriter(ctx);
    const out = await run(writer, [op('a'), op('b'), op('c')]);
    expect(batches).to.deep.equal([]);
    expect(out.map(statusOf)).to.deep.equal(['dry_run', 'dry_run', 'dry_run']);
    expect(writer.counts).to.deep.equal({ applied: 0, skipped: 0, failed: 0, dry_run: 3 });
  });

  for (const mode of ['in transaction', 'before sending'] as const) {
    it(`journals a batch before it is applied and marks it done after (${mode})`, async () => {
      const dir = tempDir();
      try {
        const trace: string[] = [];
        const journal = new RunJournal(path.join(dir, 'journal.jsonl'), 'run-test', {}, (event, seqs) => trace.push(`${event} ${seqs.join(',')}`));
        const ctx = makeContext({ onError: 'tag' });
        const { writer } = fakeWriter(ctx, { journal, mode, refuse: ['b'], events: trace });
        await run(writer, [op('a'), op('b')]);
        journal.close();
        expect(trace).to.deep.equal(['intended 1,2', 'applied', 'settling 1,2', 'settled 1,2']);
        const read = readJournal(journal.file);
        expect(read.ops.map((o) => [o.id, o.result?.status])).to.deep.equal([
          ['a', 'applied'],
          ['b', 'failed'],
        ]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('keeps an object that brings an operation of its own waiting until that operation is applied', async () => {
    const ctx = makeContext();
    const created = op('r1', 'create', 'airtable');
    const batches: string[][] = [];
    const writer = createBatchWriter<Operation>(ctx, {
      owns: (item): item is Operation => (item as Operation).system === 'local',
      lanes: ['local'],
      batchSize: 3,
      maxHeld: 3,
      heldLimitAfter: 'every object',
      counts: { applied: 0, skipped: 0, failed: 0, dry_run: 0 },
      route: (o) => ({ lane: 'local', send: o }),
      opOf: (o) => o,
      follows: (item) => (item === created ? op('link') : undefined),
      check: () => [],
      apply: (_lane, ops) => {
        batches.push(ops.map((o) => o.id!));
        return ops.map((o) => ({ result: { status: 'applied', id: o.id } }));
      },
      journal: { open: () => undefined, mode: 'in transaction' },
      messages: { failed: (o, error) => ({ status: 'failed', id: o.id, error }), failure: () => '', failures: () => new Error(), stopped: (f) => f },
    });
    expect(writer.transform(created)).to.deep.equal([]);
    const out = writer.transform({ n: 1 }) as StreamItem[];
    expect(out.map((i) => (i as Operation).id ?? 'record')).to.deep.equal(['r1', 'link', 'record']);
    expect(batches).to.deep.equal([['link']]);
  });
});
