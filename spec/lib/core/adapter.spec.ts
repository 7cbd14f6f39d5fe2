import { expect } from 'chai';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RecordError } from '../../../lib/core/errors.js';
import type { Lead } from '../../../lib/core/record.js';
import { defineStage } from '../../../lib/core/stage.js';
import { lead, runStage } from '../../helpers.js';

const upper = defineStage<{ field: string }>({
  name: 'upper',
  kind: 'transform',
  summary: 'Upper-cases one field.',
  options: { field: { type: 'string', default: 'name', description: 'The field.' } },
  create: (options) => (record) => ({ ...record, [options.field]: String(record[options.field]).toUpperCase() }),
});

const picky = defineStage<Record<string, never>>({
  name: 'picky',
  kind: 'transform',
  summary: 'Drops leads without email, fails on leads named Bad, splits leads with two emails.',
  options: {},
  create: (_options, ctx) => (record) => {
    if (record.name === 'Bad') throw new RecordError('name "Bad" is not allowed', 'bad_name');
    if (!record.email) return ctx.drop('no_email');
    if (typeof record.email === 'string' && record.email.includes(',')) {
      return record.email.split(',').map((email) => ({ ...record, email }));
    }
    return record;
  },
});

describe('stage adapter', () => {
  it('applies a per-record function and counts what passes', async () => {
    const { output, counters } = await runStage(upper, {}, [lead({ name: 'ada' }), lead({ name: 'grace' })]);
    expect(output.map((r) => r.name)).to.deep.equal(['ADA', 'GRACE']);
    expect(counters).to.include({ received: 2, sent: 2, rejected: 0, errored: 0 });
  });

  it('counts drops by the reason the stage gives, and fans out arrays', async () => {
    const { output, counters } = await runStage(picky, {}, [lead({ email: '' }), lead({ email: 'a@x.io,b@x.io' }), lead()]);
    expect(output.map((r) => r.email)).to.deep.equal(['a@x.io', 'b@x.io', 'ada@example.org']);
    expect(counters.received).to.equal(3);
    expect(counters.sent).to.equal(3);
    expect(counters.dropped).to.deep.equal({ no_email: 1 });
  });

  it('counts a record a stage returns nothing for as dropped "filtered"', async () => {
    const quiet = defineStage({ name: 'quiet', kind: 'transform', summary: 'Drops all.', options: {}, create: () => () => undefined });
    const { output, counters } = await runStage(quiet, {}, [lead(), lead()]);
    expect(output).to.have.length(0);
    expect(counters.dropped).to.deep.equal({ filtered: 2 });
  });

  it('with on_error skip, sets a failing record aside in the rejects file and goes on', async () => {
    const { output, counters, rejects } = await runStage(picky, { on_error: 'skip' }, [lead({ name: 'Bad', _meta: { line: 7 } }), lead()]);
    expect(output).to.have.length(1);
    expect(counters).to.include({ errored: 1, rejected: 1, sent: 1 });
    expect(rejects).to.have.length(1);
    expect(rejects[0]).to.include({ stage: 'picky', reason: 'bad_name', message: 'line 7: name "Bad" is not allowed' });
    expect((rejects[0].record as Lead).name).to.equal('Bad');
  });

  it('with on_error tag, passes the failing record on with the problem in _meta', async () => {
    const { output, rejects } = await runStage(picky, { on_error: 'tag' }, [lead({ name: 'Bad' })]);
    expect(output).to.have.length(1);
    expect(output[0]._meta?.problems).to.deep.equal([{ problem: 'bad_name', message: 'name "Bad" is not allowed' }]);
    expect(rejects).to.have.length(1);
  });

  it('with on_error fail, stops the run naming the stage and the record', async () => {
    const failure = await runStage(picky, { on_error: 'fail' }, [lead(), lead({ name: 'Bad', _meta: { source: 'local', id: 'L-9' } })]).catch((e) => e);
    expect(failure).to.be.instanceOf(Error);
    expect(failure.message).to.equal('picky: local record L-9: name "Bad" is not allowed');
  });

  it('awaits async functions and emits what flush yields after the last record', async () => {
    const batcher = defineStage({
      name: 'batcher',
      kind: 'transform',
      summary: 'Holds records until the end.',
      options: {},
      create: () => {
        const held: Lead[] = [];
        return {
          transform: async (record: Lead) => {
            await new Promise((r) => setTimeout(r, 1));
            held.push(record);
            return undefined;
          },
          flush: function* () {
            yield* held.reverse();
          },
        };
      },
    });
    const { output, counters } = await runStage(batcher, {}, [lead({ name: 'a' }), lead({ name: 'b' }), lead({ name: 'c' })]);
    expect(output.map((r) => r.name)).to.deep.equal(['c', 'b', 'a']);
    expect(counters).to.include({ received: 3, sent: 3 });
  });

  describe('a batch transform', () => {
    /** Upper-cases names two records at a time, and cannot process a record named Bad. */
    const pairs = (batches: string[][]) =>
      defineStage({
        name: 'pairs',
        kind: 'transform',
        summary: 'Upper-cases names two at a time.',
        options: {},
        create: (_options, ctx) => ({
          size: 2,
          batch(records: Lead[], fail: (record: Lead, error: unknown) => Lead | undefined) {
            batches.push(records.map((r) => String(r.name)));
            return records.flatMap((record) => {
              if (record.name === 'Bad') {
                const kept = fail(record, new RecordError('name "Bad" is not allowed', 'bad_name'));
                return kept ? [kept] : [];
              }
              return [{ ...record, name: String(record.name).toUpperCase() }];
            });
          },
          flush() {
            ctx.log.info('Done.');
          },
        }),
      });

    it('gets records in batches of its size, in order, and the last smaller batch when the input ends', async () => {
      const batches: string[][] = [];
      const { output, counters } = await runStage(
        pairs(batches),
        {},
        ['a', 'b', 'c', 'd', 'e'].map((name) => lead({ name })),
      );
      expect(batches).to.deep.equal([['a', 'b'], ['c', 'd'], ['e']]);
      expect(output.map((r) => r.name)).to.deep.equal(['A', 'B', 'C', 'D', 'E']);
      expect(counters).to.include({ received: 5, sent: 5, errored: 0 });
    });

    it('applies on_error to a record of a batch it cannot process: tagged in its place, or set aside', async () => {
      const tag = await runStage(
        pairs([]),
        { on_error: 'tag' },
        ['a', 'Bad', 'c'].map((name) => lead({ name })),
      );
      expect(tag.output.map((r) => r.name)).to.deep.equal(['A', 'Bad', 'C']);
      expect(tag.output[1]._meta?.problems).to.deep.equal([{ problem: 'bad_name', message: 'name "Bad" is not allowed' }]);
      expect(tag.counters).to.include({ received: 3, sent: 3, errored: 1, rejected: 1 });
      const skip = await runStage(
        pairs([]),
        { on_error: 'skip' },
        ['a', 'Bad', 'c'].map((name) => lead({ name })),
      );
      expect(skip.output.map((r) => r.name)).to.deep.equal(['A', 'C']);
      expect(skip.counters).to.include({ received: 3, sent: 2, errored: 1, rejected: 1 });
      const failure = await runStage(
        pairs([]),
        { on_error: 'fail' },
        ['a', 'Bad'].map((name) => lead({ name })),
      ).catch((e) => e);
      expect(failure.message).to.equal('pairs: record: name "Bad" is not allowed');
    });
  });

  it('rejects unknown options with a did-you-mean hint', async () => {
    const failure = await runStage(upper, { feild: 'email' }, []).catch((e) => e);
    expect(failure.message).to.equal('upper.feild: unknown option (did you mean "field"?); upper takes field, on_error');
  });

  it('holds back a fast source when the sink is slow (backpressure)', async () => {
    let produced = 0;
    let consumed = 0;
    let maxInFlight = 0;
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < 400; i++) {
          produced++;
          yield lead({ name: `n${i}` });
        }
      })(),
      { objectMode: true, highWaterMark: 1 },
    );
    const { createStage } = await import('../../../lib/core/embed.js');
    const stage = await createStage(
      'write-jsonl',
      { path: '-' },
      {
        stdout: new Writable({
          write(_c, _e, cb) {
            cb();
          },
        }),
      },
    );
    const slow = new Writable({
      objectMode: true,
      highWaterMark: 1,
      write(_record, _e, cb) {
        consumed++;
        maxInFlight = Math.max(maxInFlight, produced - consumed);
        setTimeout(cb, 1);
      },
    });
    await pipeline(source, stage, slow);
    expect(consumed).to.equal(400);
    // 1 (source) + 16 + 16 (adapter's two buffers) + 1 (sink) + a record being handed over
    expect(maxInFlight).to.be.at.most(40);
  });
});
