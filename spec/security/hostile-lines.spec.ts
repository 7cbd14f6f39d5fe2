import { expect } from 'chai';
import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { definePipeline } from '../../lib/core/embed.js';
import type { ParallelOptions } from '../../lib/parallel/segment.js';
import { createLogger } from '../../lib/core/log.js';
import { runPipeline, type RunSummary } from '../../lib/core/runner.js';
import { cli, tempDir } from '../helpers.js';

/**
 * Lead data comes from scrapers, forms and exports: a line of it may be anything. Whatever it is,
 * it is a reject (with its line number and reason), never a crash, and no value changes without a
 * word. Every count holds: lines in = records out + rejected, on one thread and on the workers.
 */
describe('hostile JSON Lines', function () {
  this.timeout(120_000);
  const dir = tempDir('hostile-');
  const ONE_THREAD: ParallelOptions = { workers: 1 };
  // Small blocks, every one to a worker: the lines are spread over both workers.
  const WORKERS: ParallelOptions = { workers: 2, thresholdBytes: 0, blockBytes: 512, inline: false };

  const deep = (levels: number): string => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
  const good = (n: number): string => JSON.stringify({ name: `Lead ${n}`, email: `lead${n}@example.org`, company: 'Acme' });

  interface Outcome {
    summary: RunSummary;
    out: Array<Record<string, unknown>>;
    outText: string;
    rejects: Array<Record<string, unknown>>;
    log: Array<Record<string, unknown>>;
  }

  let runs = 0;
  async function run(
    input: string | Buffer,
    parallel: ParallelOptions,
    read: Record<string, unknown> = {},
    middle: Array<[string, Record<string, unknown>]> = [['normalize', {}]],
  ): Promise<Outcome> {
    const name = `run-${++runs}`;
    const file = path.join(dir, `${name}.jsonl`);
    const outFile = path.join(dir, `${name}-out.jsonl`);
    const rejects = path.join(dir, `${name}-rejects.jsonl`);
    fs.writeFileSync(file, input);
    const pipeline = definePipeline([['read-jsonl', { path: file, ...read }], ...middle, ['write-jsonl', { path: outFile }]], { rejects });
    const stream = new PassThrough();
    let logged = '';
    stream.on('data', (d) => (logged += d));
    const summary = await runPipeline(pipeline, { parallel, log: createLogger({ level: 'info', format: 'json', stream }) });
    const outText = fs.readFileSync(outFile, 'utf8');
    return {
      summary,
      outText,
      out: outText
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
      log: logged
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
      rejects: fs.existsSync(rejects)
        ? fs
            .readFileSync(rejects, 'utf8')
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as Record<string, unknown>)
        : [],
    };
  }

  const lineOf = (record: Record<string, unknown>): unknown => (record._meta as { line?: unknown } | undefined)?.line;

  describe('a line that is not a record is a reject, never a crash', () => {
    // The lines of the report: 15 in, 2 of them bad, and the bad ones stopped the run.
    const lines = Array.from({ length: 15 }, (_, i) => good(i + 1));
    lines[3] = '{"_meta":5}';
    lines[9] = deep(5000);
    const text = lines.join('\n') + '\n';

    for (const [label, parallel] of [
      ['on one thread', ONE_THREAD],
      ['on worker threads', WORKERS],
    ] as const) {
      it(`rejects a non-object _meta and a line nested 5,000 deep with their line numbers, and goes on (${label})`, async () => {
        const outcome = await run(text, parallel);
        expect(
          outcome.log.some((entry) => entry.workers === 2),
          'the workers started',
        ).to.equal(parallel === WORKERS);
        expect(outcome.out).to.have.length(13);
        expect(outcome.summary.rejected).to.equal(2);
        expect(outcome.rejects.map((r) => [r.line, r.reason])).to.have.deep.members([
          [4, 'invalid_meta'],
          [10, 'too_deep'],
        ]);
        expect(outcome.rejects.find((r) => r.line === 4)!.message).to.match(/:4:1: `_meta` is a number, not an object; .*remove it, or rename the field/);
        expect(outcome.rejects.find((r) => r.line === 10)!.message).to.match(/:10:\d+: objects and arrays nest more than 64 levels deep/);
        expect(outcome.out.map(lineOf)).to.deep.equal([1, 2, 3, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15]);
      });
    }

    it('run-stage normalize takes the same 15 lines: 13 out, 2 rejected, exit 0', async () => {
      const rejects = path.join(dir, 'cli-rejects.jsonl');
      const result = await cli('run-stage', ['normalize', '--rejects', rejects], { input: text, cwd: dir });
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout.trim().split('\n')).to.have.length(13);
      const entries = fs
        .readFileSync(rejects, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { line: number });
      expect(entries.map((e) => e.line).sort((a, b) => a - b)).to.deep.equal([4, 10]);
      expect(result.stderr).to.include('2 rejected record(s) written');
    });

    it('read-jsonl → write-jsonl writes the deep line to the rejects file it reports', async () => {
      const rejects = path.join(dir, 'cli-write-rejects.jsonl');
      const result = await cli('run-stage', ['write-jsonl', '--rejects', rejects], { input: `${good(1)}\n${deep(5000)}\n${good(3)}\n`, cwd: dir });
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout.trim().split('\n')).to.have.length(2);
      expect(result.stderr).to.include('1 rejected record(s) written');
      const entries = fs
        .readFileSync(rejects, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { line: number; reason: string });
      expect(entries.map((e) => [e.line, e.reason])).to.deep.equal([[2, 'too_deep']]);
    });

    it('rejects a _meta whose lists are not lists, which stages add to', async () => {
      const outcome = await run(
        `{"_meta":{"problems":5}}\n{"_meta":{"changes":"x"}}\n{"_meta":[]}\n{"_meta":{"original":1}}\n${good(5)}\n{"_meta":{"id":{"toString":5}}}\n`,
        ONE_THREAD,
        { on_error: 'tag' },
      );
      expect(outcome.rejects.map((r) => [r.line, r.reason])).to.deep.equal([
        [1, 'invalid_meta'],
        [2, 'invalid_meta'],
        [3, 'invalid_meta'],
        [4, 'invalid_meta'],
        [6, 'invalid_meta'],
      ]);
      expect(outcome.rejects[5 - 1]!.message).to.match(/:6:1: `_meta.id` is an object, not a record id/);
      // Under tag, each is passed on as a placeholder that carries the problem.
      expect(outcome.out).to.have.length(6);
    });

    for (const [label, parallel] of [
      ['on one thread', ONE_THREAD],
      ['on worker threads', WORKERS],
    ] as const) {
      it(`rejects a line past max_line_bytes without holding it, and numbers the lines after it right (${label})`, async () => {
        const huge = JSON.stringify({ name: 'Huge', notes: 'x'.repeat(300_000) });
        const outcome = await run(`${good(1)}\n${huge}\n${good(3)}\n${'y'.repeat(5000)}\n${good(5)}`, parallel, { max_line_bytes: 4096 });
        expect(outcome.rejects.map((r) => [r.line, r.reason])).to.have.deep.members([
          [2, 'line_too_long'],
          [4, 'line_too_long'],
        ]);
        expect(outcome.rejects[0]!.message).to.match(/:[24]:1: the line is longer than 4096 bytes \(max_line_bytes\)/);
        expect(outcome.out.map(lineOf)).to.deep.equal([1, 3, 5]);
        expect(outcome.summary.rejected).to.equal(2);
      });
    }

    it('rejects a line over the default limit of 16 MiB', async () => {
      const outcome = await run(`${good(1)}\n{"notes":"${'z'.repeat(17 * 1024 * 1024)}"}\n${good(3)}\n`, ONE_THREAD);
      expect(outcome.rejects.map((r) => [r.line, r.reason])).to.deep.equal([[2, 'line_too_long']]);
      expect(outcome.rejects[0]!.message).to.include(`longer than ${16 * 1024 * 1024} bytes`);
      expect(outcome.out.map(lineOf)).to.deep.equal([1, 3]);
    });

    it('rejects a record a stage cannot write, with its line, instead of reporting an entry it did not write', async () => {
      // The rejects file holds what it says: a record too deep to write as JSON is still an entry, without the record.
      const { rejectLine } = await import('../../lib/core/context.js');
      let value: Record<string, unknown> = {};
      for (let i = 0; i < 20_000; i++) value = { a: value };
      const entry = JSON.parse(rejectLine({ stage: 'x', reason: 'stage_error', message: 'm', record: { ...value, _meta: { line: 7 } } })) as Record<
        string,
        unknown
      >;
      expect(entry).to.include({ stage: 'x', reason: 'stage_error', line: 7 });
      expect(entry.record_omitted).to.match(/cannot be written as JSON/);
    });
  });

  describe('no value changes without a word', () => {
    const numbers = `${good(1)}\n{"name":"Big","score":1e400}\n{"name":"Long","id":12345678901234567890123}\n{"name":"Fine","a":1.5,"b":-0.25,"c":100,"d":9007199254740991,"e":1e3,"f":0.1}\n{"name":"Tiny","x":1e-400}\n{"name":"Precise","x":0.1000000000000000000001}\n`;

    for (const [label, parallel] of [
      ['on one thread', ONE_THREAD],
      ['on worker threads', WORKERS],
    ] as const) {
      it(`rejects a number a double cannot hold exactly, saying what it would become (${label})`, async () => {
        const outcome = await run(numbers, parallel);
        expect(outcome.rejects.map((r) => [r.line, r.reason])).to.have.deep.members([
          [2, 'inexact_number'],
          [3, 'inexact_number'],
          [5, 'inexact_number'],
          [6, 'inexact_number'],
        ]);
        const byLine = new Map(outcome.rejects.map((r) => [r.line, String(r.message)]));
        expect(byLine.get(2)).to.match(
          /:2:23: the number 1e400 cannot be held exactly \(it is out of range and would become null\); write it as a string, or set keep_inexact_numbers_as_text/,
        );
        expect(byLine.get(3)).to.include('the number 12345678901234567890123 cannot be held exactly (it would become 1.2345678901234568e+22)');
        expect(outcome.out.map((r) => r.name)).to.deep.equal(['Lead 1', 'Fine']);
        expect(outcome.out[1]).to.include({ a: 1.5, b: -0.25, c: 100, d: 9007199254740991, e: 1000, f: 0.1 });
        expect(outcome.outText).not.to.match(/"(score|id|x)":null/);
      });
    }

    for (const [label, parallel] of [
      ['on one thread', ONE_THREAD],
      ['on worker threads', WORKERS],
    ] as const) {
      it(`keeps such a number as its original text with keep_inexact_numbers_as_text (${label})`, async () => {
        const outcome = await run(numbers, parallel, { keep_inexact_numbers_as_text: true });
        expect(outcome.rejects).to.have.length(0);
        expect(outcome.out.map((r) => [r.name, r.score ?? r.id ?? r.x ?? r.a])).to.deep.equal([
          ['Lead 1', undefined],
          ['Big', '1e400'],
          ['Long', '12345678901234567890123'],
          ['Fine', 1.5],
          ['Tiny', '1e-400'],
          ['Precise', '0.1000000000000000000001'],
        ]);
      });
    }

    const latin1 = Buffer.concat([
      Buffer.from(`${good(1)}\n{"name":"Ren`),
      Buffer.from([0xe9]),
      Buffer.from('e","note":"ok \ufffd kept"}\n'),
      Buffer.from(`${good(3)}\n{"name":"Zoë \ufffd"}\n`),
    ]);

    for (const [label, parallel] of [
      ['on one thread', ONE_THREAD],
      ['on worker threads', WORKERS],
    ] as const) {
      it(`flags a line with bytes that are not UTF-8 (only that one), so the report counts it (${label})`, async () => {
        const outcome = await run(latin1, parallel);
        expect(outcome.rejects).to.have.length(0);
        const problems = outcome.out.map(
          (r) => ((r._meta as { problems?: Array<{ problem: string }> }).problems ?? []).filter((p) => p.problem === 'invalid_utf8').length,
        );
        // Line 2 had a Latin-1 é; line 4 holds a real U+FFFD, written as UTF-8, which is not a problem.
        expect(problems).to.deep.equal([0, 1, 0, 0]);
        const flagged = (outcome.out[1]!._meta as { problems: Array<{ problem: string; message: string }> }).problems.find(
          (p) => p.problem === 'invalid_utf8',
        )!;
        expect(flagged.message).to.match(/:2: the line holds bytes that are not UTF-8, read as U\+FFFD/);
        expect(outcome.out[1]!.name).to.equal('Ren\ufffde');
        // And said once for the run, whichever threads read the lines.
        const said = outcome.log.filter((entry) => String(entry.message).startsWith('Lines with bytes that are not UTF-8'));
        expect(said.map((entry) => [entry.stage, entry.lines])).to.deep.equal([['read-jsonl', 1]]);
      });
    }

    it('rejects that line instead with reject_invalid_utf8', async () => {
      const outcome = await run(latin1, ONE_THREAD, { reject_invalid_utf8: true });
      expect(outcome.rejects.map((r) => [r.line, r.reason])).to.deep.equal([[2, 'invalid_utf8']]);
      expect(outcome.out.map(lineOf)).to.deep.equal([1, 3, 4]);
    });

    const prototypeNames =
      '{"name":"Proto","email":"p@example.org","toString":"a","valueOf":"b","__proto__":{"polluted":true},"constructor":"c","hasOwnProperty":"d"}\n';
    for (const [label, parallel] of [
      ['on one thread', ONE_THREAD],
      ['on worker threads', WORKERS],
    ] as const) {
      it(`keeps fields named like Object.prototype members as ordinary fields, __proto__ included (${label})`, async () => {
        const outcome = await run(prototypeNames, parallel);
        const record = outcome.out[0]!;
        expect(Object.keys(record)).to.include.members(['toString', 'valueOf', '__proto__', 'constructor', 'hasOwnProperty']);
        expect(Object.getOwnPropertyDescriptor(record, '__proto__')?.value).to.deep.equal({ polluted: true });
        expect(['toString', 'valueOf', 'constructor', 'hasOwnProperty'].map((key) => Object.getOwnPropertyDescriptor(record, key)?.value)).to.deep.equal([
          'a',
          'b',
          'c',
          'd',
        ]);
        expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      });
    }

    it('keeps them in a rejected record written to the rejects file', async () => {
      const { rejectLine } = await import('../../lib/core/context.js');
      const record = JSON.parse('{"__proto__":{"x":1},"toString":"t","name":"n"}') as Record<string, unknown>;
      const entry = JSON.parse(rejectLine({ stage: 'normalize', reason: 'stage_error', message: 'm', record })) as { record: Record<string, unknown> };
      expect(Object.keys(entry.record)).to.deep.equal(['__proto__', 'toString', 'name']);
    });
  });

  describe('random hostile lines among good ones (property)', () => {
    /** A line and whether a reader must reject it. */
    type Line = { text: string | Buffer; bad: boolean; blank?: boolean };
    const MAX = 2048;
    const hostile: fc.Arbitrary<Line> = fc.oneof(
      fc
        .oneof(fc.integer(), fc.string(), fc.constant(null), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }))
        .map((meta) => ({ text: JSON.stringify({ name: 'x', _meta: meta ?? 5 }), bad: true })),
      fc
        .tuple(fc.integer({ min: 65, max: 3000 }), fc.boolean())
        .map(([levels, object]) => ({ text: object ? deep(levels) : '['.repeat(levels) + ']'.repeat(levels), bad: true })),
      fc.integer({ min: MAX + 1, max: 6 * MAX }).map((size) => ({ text: `{"notes":"${'n'.repeat(size)}"}`, bad: true })),
      fc
        .constantFrom('1e400', '-1e999', '12345678901234567890123', '1e-400', '0.30000000000000000001')
        .map((n) => ({ text: `{"name":"n","x":${n}}`, bad: true })),
      fc
        .constantFrom('{"name": "Broken', '[1, 2]', '"just a string"', '42', 'null', '{"a":1}}', '{"a":01}', 'nul', '\u0000')
        .map((text) => ({ text, bad: true })),
      fc
        .constantFrom(
          '{"_meta":{"problems":"p"}}',
          '{"_meta":{"changes":[1]}}',
          '{"_meta":{"keys":[]}}',
          '{"_meta":{"id":{"toString":1}}}',
          '{"_meta":{"source":[]}}',
        )
        .map((text) => ({ text, bad: true })),
      fc.constantFrom('', '   ', '\r').map((text) => ({ text, bad: false, blank: true })),
    );
    const fine: fc.Arbitrary<Line> = fc.oneof(
      fc
        .record({
          name: fc.string({ maxLength: 20 }),
          email: fc.emailAddress(),
          phone: fc.string({ maxLength: 12 }),
          score: fc.double({ noNaN: true, noDefaultInfinity: true }),
        })
        .map((record) => ({ text: JSON.stringify(record), bad: false })),
      fc
        .constantFrom('toString', 'valueOf', '__proto__', 'constructor', 'hasOwnProperty')
        .map((key) => ({ text: `{"name":"p","${key}":{"k":"v"}}`, bad: false })),
      fc.string({ unit: 'binary', maxLength: 30 }).map((s) => ({ text: JSON.stringify({ name: s, company: s }), bad: false })),
      // Bytes that are not UTF-8 inside a string: read as U+FFFD and flagged, not rejected.
      fc
        .constantFrom([0xff], [0xc3], [0xe9, 0x41], [0xed, 0xa0, 0x80])
        .map((bytes) => ({ text: Buffer.concat([Buffer.from('{"name":"x'), Buffer.from(bytes), Buffer.from('y"}')]), bad: false })),
    );
    const inputs = fc.array(fc.oneof({ weight: 3, arbitrary: fine }, { weight: 2, arbitrary: hostile }), { minLength: 1, maxLength: 40 });

    async function check(lines: Line[], parallel: ParallelOptions): Promise<void> {
      const text = Buffer.concat(lines.map((l) => Buffer.concat([Buffer.from(l.text), Buffer.from('\n')])));
      const outcome = await run(text, parallel, { max_line_bytes: MAX });
      const numbered = lines.map((line, i) => ({ ...line, number: i + 1 }));
      const records = numbered.filter((l) => !l.blank);
      const bad = records.filter((l) => l.bad).map((l) => l.number);
      const read = outcome.summary.stages[0]!;
      expect(
        outcome.log.some((entry) => entry.workers === 2),
        'the workers started',
      ).to.equal(parallel === WORKERS);
      // Lines in (blank lines are no record) = records out + rejected.
      expect(outcome.out.length + outcome.summary.rejected, 'in = out + rejected').to.equal(records.length);
      expect(read.sent + outcome.summary.rejected).to.equal(records.length);
      expect(
        outcome.rejects.map((r) => r.line as number).sort((a, b) => a - b),
        'the rejects name the bad lines',
      ).to.deep.equal(bad);
      expect(outcome.out.map(lineOf), 'the good lines come out, in order').to.deep.equal(records.filter((l) => !l.bad).map((l) => l.number));
    }

    it('keeps in = out + rejected and names each bad line, on one thread', async () => {
      await fc.assert(
        fc.asyncProperty(inputs, (lines) => check(lines, ONE_THREAD)),
        { numRuns: 60 },
      );
    });

    it('keeps in = out + rejected and names each bad line, on worker threads', async () => {
      // Starting workers costs most of a second: fewer, longer inputs.
      const long = fc.array(fc.oneof({ weight: 3, arbitrary: fine }, { weight: 2, arbitrary: hostile }), { minLength: 30, maxLength: 120 });
      await fc.assert(
        fc.asyncProperty(long, (lines) => check(lines, WORKERS)),
        { numRuns: 6 },
      );
    });
  });
});
