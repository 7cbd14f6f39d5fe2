import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { SerializedRecords } from '../../lib/core/jsonl.js';
import type { Lead } from '../../lib/core/record.js';
import { lead, runStage, tempDir } from '../helpers.js';

describe('write-jsonl', () => {
  it('writes one JSON object per line and passes the records on', async () => {
    const file = path.join(tempDir(), 'out.jsonl');
    const records = [lead({ name: 'A', _meta: { line: 1 } }), lead({ name: 'B' })];
    const { output } = await runStage('write-jsonl', { path: file }, records);
    expect(output).to.have.length(2);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines).to.have.length(3);
    expect(lines[2]).to.equal('');
    expect(JSON.parse(lines[0])).to.deep.equal(records[0]);
  });

  it('leaves _meta out with strip_meta', async () => {
    const file = path.join(tempDir(), 'out.jsonl');
    await runStage('write-jsonl', { path: file, strip_meta: true }, [lead({ name: 'A', _meta: { line: 1, source: 'local' } })]);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).to.deep.equal({ name: 'A', email: 'ada@example.org', company: 'Analytical Engines Ltd' });
  });

  it('writes serialized records as they are, counting each line, and without _meta when asked', async () => {
    const lines = [
      { name: 'A', _meta: { cluster: 'x' } },
      { name: 'Zoë 😀', _meta: { line: 2 } },
    ]
      .map((r) => `${JSON.stringify(r)}\n`)
      .join('');
    for (const [data, strip] of [
      [lines, false],
      [new TextEncoder().encode(lines), false],
      [lines, true],
    ] as const) {
      const file = path.join(tempDir(), 'out.jsonl');
      const { output, counters } = await runStage('write-jsonl', { path: file, strip_meta: strip }, [
        new SerializedRecords(data, 2) as unknown as Lead,
        lead({ name: 'C' }),
      ]);
      expect(output).to.have.length(2);
      expect([counters.received, counters.sent]).to.deep.equal([3, 3]);
      const written = fs.readFileSync(file, 'utf8');
      expect(written).to.equal(
        strip ? '{"name":"A"}\n{"name":"Zoë 😀"}\n' + JSON.stringify(lead({ name: 'C' })) + '\n' : lines + JSON.stringify(lead({ name: 'C' })) + '\n',
      );
    }
  });

  it('compresses when the name ends in .gz', async () => {
    const file = path.join(tempDir(), 'out.jsonl.gz');
    await runStage('write-jsonl', { path: file }, [lead({ name: 'Zipped' })]);
    expect(JSON.parse(gunzipSync(fs.readFileSync(file)).toString('utf8')).name).to.equal('Zipped');
  });

  it('writes stdout when the path is -', async () => {
    let text = '';
    const stdout = new Writable({
      write(chunk, _e, cb) {
        text += chunk;
        cb();
      },
    });
    await runStage('write-jsonl', {}, [lead({ name: 'Out' })], { stdout });
    expect(JSON.parse(text).name).to.equal('Out');
  });

  it('produces the same bytes for the same input', async () => {
    const dir = tempDir();
    const records = () => Array.from({ length: 50 }, (_, i) => lead({ name: `N${i}`, score: i / 3 }));
    await runStage('write-jsonl', { path: path.join(dir, 'a.jsonl') }, records());
    await runStage('write-jsonl', { path: path.join(dir, 'b.jsonl') }, records());
    expect(fs.readFileSync(path.join(dir, 'a.jsonl'))).to.deep.equal(fs.readFileSync(path.join(dir, 'b.jsonl')));
  });
});
