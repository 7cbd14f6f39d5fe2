import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createStage } from '../../lib/core/embed.js';
import { runPipeline } from '../../lib/core/runner.js';
import { chunked, fixture, runStage, tempDir } from '../helpers.js';

describe('read-json', () => {
  it('reads Airtable API records as read-airtable does: mapped fields, empty ones null, the record id in _meta', async () => {
    const { output, rejects } = await runStage('read-json', { path: fixture('json', 'airtable-records.json') }, []);
    expect(rejects).to.deep.equal([]);
    expect(output[0]).to.deep.include({ name: 'Élodie Gagnon', email: 'elodie@example.org', title: 'Head of Sales', phone: null });
    expect(output[0]._meta).to.deep.include({ source: 'airtable', id: 'recA1', created_at: '2026-01-05T10:00:00.000Z', index: 0 });
    expect(output[1]).to.deep.include({ name: 'Marc Roy', email: null });
    expect(output[1]._meta?.id).to.equal('recB2');
  });

  it('reads an array of plain records, naming fields through the field mapping', async () => {
    const { output } = await runStage('read-json', { path: fixture('json', 'mixed-elements.json') }, []);
    expect(output.map((r) => [r.name, r.email, r._meta?.index])).to.deep.equal([
      ['Ada Lovelace', 'ada@example.org', 0],
      ['Grace Hopper', 'grace@example.org', 3],
    ]);
  });

  it('rejects elements that are not records with their index, and reads on', async () => {
    const { rejects, counters } = await runStage('read-json', { path: fixture('json', 'mixed-elements.json') }, []);
    expect(rejects.map((r) => [r.reason, r.index, r.raw])).to.deep.equal([
      ['not_a_record', 1, '42'],
      ['not_a_record', 2, '["not","a","record"]'],
      ['not_a_record', 4, 'null'],
    ]);
    expect(rejects[0].message).to.match(/mixed-elements\.json\[1\]: expected a JSON object \(one lead per element\), found a number/);
    expect(counters.dropped).to.deep.equal({ not_a_record: 3 });
  });

  it('stops on a truncated array with the line and column where it ends', async () => {
    const failure = await runStage('read-json', { path: fixture('json', 'truncated.json') }, []).catch((e) => e);
    expect(failure.message).to.match(/^read-json: .*truncated\.json:3:\d+: the file ends inside the array .*cut short/);
  });

  it('stops on malformed JSON with its line and column', async () => {
    const file = path.join(tempDir(), 'bad.json');
    fs.writeFileSync(file, '[\n  {"name": "Ada",},\n]');
    const failure = await runStage('read-json', { path: file }, []).catch((e) => e);
    expect(failure.message).to.match(/bad\.json:2:\d+: malformed JSON: /);
  });

  it('says where stdin stops being JSON too, though it cannot be read twice', async () => {
    const failure = await runStage('read-json', {}, [], { stdin: chunked('[\n  {"name": "Ada"},\n  {"name": "Grace"]', 4) }).catch((e) => e);
    expect(failure.message).to.match(/^read-json: stdin:3:\d+: malformed JSON: /);
  });

  it('says where stdin nests arrays deeper than it reads, with the line and column', async () => {
    const deep = `[${'['.repeat(2000)}${']'.repeat(2000)}]`;
    const failure = await runStage('read-json', {}, [], { stdin: chunked(deep, 512) }).catch((e) => e);
    expect(failure.message).to.match(/^read-json: stdin:1:1025: malformed JSON: .*maxDepth \(1024\)/);
  });

  it('says a file holding an object rather than an array is not what it reads', async () => {
    const { Readable } = await import('node:stream');
    const failure = await runStage('read-json', {}, [], { stdin: Readable.from([Buffer.from('{"records": []}')]) }).catch((e) => e);
    expect(failure.message).to.contain('stdin: the file holds one JSON value that is not an array');
  });

  it('reads stdin in small chunks, splitting multi-byte characters', async () => {
    const text = JSON.stringify([{ name: 'Zoë Smith' }, { name: 'Élodie' }]);
    const { output } = await runStage('read-json', {}, [], { stdin: chunked(text, 3) });
    expect(output.map((r) => r.name)).to.deep.equal(['Zoë Smith', 'Élodie']);
  });

  it('with on_error fail, stops at the first element that is not a record', async () => {
    const failure = await runStage('read-json', { path: fixture('json', 'mixed-elements.json'), on_error: 'fail' }, []).catch((e) => e);
    expect(failure.message).to.match(/^read-json: .*mixed-elements\.json\[1\]: expected a JSON object/);
  });

  it('streams: a record comes out before the rest of the array has even arrived', async () => {
    const stdin = new PassThrough();
    const stream = await createStage('read-json', {}, { stdin, stateDir: tempDir('state-'), rejects: `${tempDir()}/rejects.jsonl` });
    const first = new Promise((resolve) => stream.once('data', resolve));
    stdin.write('[\n  {"name": "Ada"},\n  {"name": "Gr');
    expect(((await first) as { name: string }).name).to.equal('Ada');
    stdin.end('ace"}\n]\n');
    const rest: unknown[] = [];
    for await (const record of stream) rest.push(record);
    expect(rest.map((r) => (r as { name: string }).name)).to.deep.equal(['Grace']);
  });

  it('says clearly when the file does not exist', async () => {
    const failure = await runStage('read-json', { path: '/nonexistent/leads.json' }, []).catch((e) => e);
    expect(failure.message).to.equal('read-json: cannot read /nonexistent/leads.json: no such file; check the path');
  });

  it('writes each element to a JSON Lines file as its record is written, whatever its form, with and without _meta', async () => {
    const dir = tempDir();
    // Records already in the form JSON.stringify writes, between ones that are not (spaces, a field
    // the mapping renames, a key written with an escape, numbers, nesting, `_meta`) and non-records.
    const elements = [
      '{"name":"Ada","email":"ada@example.org","n":12,"ok":true,"gone":null}',
      '{"name":"Zoë 😀","title":"tab\\there, \\"quoted\\" \\u0041"}',
      '{"Email":"grace@example.org","name":"Grace"}',
      '{"n\\u0061me":"escaped key"}',
      '{"name":"x","name":"y"}',
      '{"1":"index-like","name":"z"}',
      '{ "name": "spaced" }',
      '{"amount":1.5,"big":1234567890123456}',
      '{"name":"Ada","_meta":{"id":"a1"}}',
      '{"nested":{"a":[1,2]},"name":"n"}',
      '{}',
      '42',
      '{"name":"Ada","email":"ada@example.org","n":12,"ok":true,"gone":null}',
      '{"name":"last"}',
    ];
    const input = path.join(dir, 'leads.json');
    fs.writeFileSync(input, `[\n${[...elements, ...elements].join(',\n')}\n]\n`);
    const read = await runStage('read-json', { path: input }, []);
    for (const strip of [false, true]) {
      const out = path.join(dir, `out-${strip}.jsonl`);
      const yaml = path.join(dir, `run-${strip}.yaml`);
      fs.writeFileSync(
        yaml,
        `steps:\n  - read-json: { path: ${JSON.stringify(input)} }\n  - write-jsonl: { path: ${JSON.stringify(out)}, strip_meta: ${strip} }\n`,
      );
      const summary = await runPipeline(yaml, { rejects: path.join(dir, 'rejects.jsonl') });
      const expected = read.output.map(({ _meta, ...fields }) => JSON.stringify(strip ? fields : { ...fields, _meta }));
      expect(fs.readFileSync(out, 'utf8')).to.equal(`${expected.join('\n')}\n`);
      expect(expected).to.include(strip ? '{"email":"grace@example.org","name":"Grace"}' : '{"name":"last","_meta":{"index":27}}');
      expect(summary.stages.map((stage) => stage.sent)).to.deep.equal([elements.length * 2 - 2, elements.length * 2 - 2]);
      expect(summary.rejected).to.equal(2);
    }
  });
});
