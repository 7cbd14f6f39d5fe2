import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fixture, runStage, tempDir } from '../helpers.js';

describe('read-jsonl', () => {
  it("reads a plain export (no _meta) and notes each record's line", async () => {
    const { output, counters } = await runStage('read-jsonl', { path: fixture('jsonl', 'plain-export.jsonl') }, []);
    expect(output.map((r) => r.name)).to.deep.equal(['Élodie Gagnon', 'Marc Roy', 'Zoë Smith']);
    expect(output.map((r) => r._meta?.line)).to.deep.equal([1, 2, 4]);
    expect(counters.sent).to.equal(3);
  });

  it('reads gzip-compressed files', async () => {
    const file = path.join(tempDir(), 'leads.jsonl.gz');
    fs.writeFileSync(file, gzipSync('{"name":"A"}\n{"name":"B"}\n'));
    const { output } = await runStage('read-jsonl', { path: file }, []);
    expect(output.map((r) => r.name)).to.deep.equal(['A', 'B']);
  });

  it('reads stdin when the path is -', async () => {
    const { Readable } = await import('node:stream');
    const { output } = await runStage('read-jsonl', {}, [], { stdin: Readable.from([Buffer.from('{"name":"From stdin"}\n')]) });
    expect(output.map((r) => r.name)).to.deep.equal(['From stdin']);
  });

  it('sends malformed lines to the rejects file with line, column and the parse error, and goes on', async () => {
    const { output, counters, rejects } = await runStage('read-jsonl', { path: fixture('jsonl', 'malformed-lines.jsonl') }, []);
    expect(output.map((r) => r.name)).to.deep.equal(['First', 'Third']);
    expect(counters.dropped).to.deep.equal({ malformed_json: 3 });
    expect(rejects.map((r) => [r.line, r.raw])).to.deep.equal([
      [2, '{"name": "Second", }'],
      [3, '[1,2]'],
      [5, 'not json at all'],
    ]);
    expect(rejects[0].message).to.match(/malformed-lines\.jsonl:2:20: malformed JSON: .+; fix or remove the line$/);
    expect(rejects[1].message).to.match(/malformed-lines\.jsonl:3:1: expected a JSON object \(one lead per line\), found an array$/);
  });

  it('with on_error tag, passes a placeholder record carrying the raw line and the problem', async () => {
    const { output } = await runStage('read-jsonl', { path: fixture('jsonl', 'malformed-lines.jsonl'), on_error: 'tag' }, []);
    expect(output).to.have.length(5);
    expect(output[1]._meta).to.include({ line: 2, raw: '{"name": "Second", }' });
    expect(output[1]._meta?.problems?.[0].problem).to.equal('malformed_json');
  });

  it('with on_error fail, stops at the first malformed line and says where', async () => {
    const failure = await runStage('read-jsonl', { path: fixture('jsonl', 'malformed-lines.jsonl'), on_error: 'fail' }, []).catch((e) => e);
    expect(failure.message).to.match(/^read-jsonl: .*malformed-lines\.jsonl:2:20: malformed JSON/);
  });

  it('says clearly when the file does not exist', async () => {
    const failure = await runStage('read-jsonl', { path: '/nonexistent/leads.jsonl' }, []).catch((e) => e);
    expect(failure.message).to.equal('read-jsonl: cannot read /nonexistent/leads.jsonl: no such file; check the path');
  });
});
