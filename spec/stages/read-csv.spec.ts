import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createStage } from '../../lib/core/embed.js';
import { chunked, cli, fixture, runStage, tempDir } from '../helpers.js';

function csvFile(text: string | Buffer, name = 'leads.csv'): string {
  const file = path.join(tempDir(), name);
  fs.writeFileSync(file, text);
  return file;
}

describe('read-csv', () => {
  it('reads an Excel export: BOM, CRLF, semicolons, a quoted newline and an empty line, with each row at its line', async () => {
    const { output, rejects } = await runStage('read-csv', { path: fixture('csv', 'excel-semicolons.csv') }, []);
    expect(rejects).to.deep.equal([]);
    expect(output.map((r) => [r.name, r.email, r.title])).to.deep.equal([
      ['Élodie Gagnon', 'elodie@example.org', 'Head of Sales; EMEA'],
      ['Marc Roy', 'marc@example.org', 'Founder\r\nand CEO'],
      ['Zoë Smith', 'zoe@example.org', 'CTO'],
    ]);
    expect(output.map((r) => r._meta?.line)).to.deep.equal([2, 3, 6]);
  });

  it('names columns through the field mapping (Airtable names become canonical fields) and the columns option', async () => {
    const file = csvFile('Full Name,E-mail Address,Company,Notes\nAda Lovelace,ada@example.org,Analytical Engines,met at a fair\n');
    const { output } = await runStage('read-csv', { path: file, columns: { 'E-mail Address': 'email' } }, []);
    expect(output[0]).to.deep.include({ name: 'Ada Lovelace', email: 'ada@example.org', company: 'Analytical Engines', Notes: 'met at a fair' });
  });

  it('reads an empty cell as null, as an empty field read from either system', async () => {
    const { output } = await runStage('read-csv', { path: csvFile('name,email,phone\nAda,,\n') }, []);
    expect(output[0]).to.deep.include({ name: 'Ada', email: null, phone: null });
  });

  it('detects a tab delimiter, and takes one given', async () => {
    const tabs = await runStage('read-csv', { path: csvFile('name\temail\nAda\tada@example.org\n') }, []);
    expect(tabs.output[0]).to.deep.include({ name: 'Ada', email: 'ada@example.org' });
    const given = await runStage('read-csv', { path: csvFile('name|email,x\nAda|ada@example.org,x\n'), delimiter: '|' }, []);
    expect(given.output[0]).to.deep.include({ name: 'Ada', 'email,x': 'ada@example.org,x' });
  });

  it('rejects a row whose quote is never closed with its line and text, keeping the rows before it', async () => {
    const { output, rejects, counters } = await runStage('read-csv', { path: fixture('csv', 'unbalanced-quote.csv') }, []);
    expect(output.map((r) => r.name)).to.deep.equal(['Ada Lovelace']);
    expect(rejects).to.have.length(1);
    expect(rejects[0]).to.include({ reason: 'unbalanced_quote', line: 3 });
    expect(rejects[0].raw).to.contain('Grace Hopper').and.to.contain('Alan Turing');
    expect(rejects[0].message).to.match(/unbalanced-quote\.csv:3: a quote opened in this row is never closed, so lines 3 to \d+ were read as one row/);
    expect(counters.dropped).to.deep.equal({ unbalanced_quote: 1 });
  });

  it('rejects a 10,000-cell row as the wrong column count, with its line, and reads on', async () => {
    const wide = Array.from({ length: 10_000 }, (_, i) => `v${i}`).join(',');
    const { output, rejects } = await runStage('read-csv', { path: csvFile(`name,email\n${wide}\nAda,ada@example.org\n`) }, []);
    expect(output.map((r) => r.name)).to.deep.equal(['Ada']);
    expect(rejects.map((r) => [r.reason, r.line])).to.deep.equal([['wrong_column_count', 2]]);
    expect(rejects[0].message).to.match(/leads\.csv:2: the row has 10000 cell\(s\) but the header has 2 column\(s\)/);
  });

  it('rejects a row longer than max_row_chars with its line, and reads every row after it', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `n${i},e${i}@example.org`);
    rows[500] = `"${'long, '.repeat(40)}\r\nstill long",x`;
    rows[2000] = `${'x'.repeat(300_000)},spans many reads`;
    const file = csvFile(`name,email\r\n${rows.join('\r\n')}\r\n`);
    const { output, rejects } = await runStage('read-csv', { path: file, max_row_chars: 100 }, []);
    expect(output).to.have.length(2998);
    expect(output[500]).to.deep.include({ name: 'n501', email: 'e501@example.org' });
    expect(output[500]!._meta?.line).to.equal(504);
    expect(output.at(-1)!._meta?.line).to.equal(3002);
    expect(rejects.map((r) => [r.reason, r.line])).to.deep.equal([
      ['row_too_long', 502],
      ['row_too_long', 2003],
    ]);
    expect(rejects[1].message).to.match(/leads\.csv:2003: the row is longer than max_row_chars \(100 characters\)/);
    expect(rejects[1].raw).to.have.length(64 * 1024);
  });

  it('stops, rather than lose the rows after it, at a row over max_row_chars that follows text it could not read', async () => {
    const file = csvFile(`name,email\nAda,a"b\n${'y'.repeat(200)},z\nGrace,grace@example.org\n`);
    const failure = await runStage('read-csv', { path: file, max_row_chars: 100 }, []).catch((e) => e);
    expect(failure.message).to.match(
      /leads\.csv: a row from line 3 on is longer than max_row_chars \(100 characters\) and comes after text that is not well-formed CSV/,
    );
  });

  it('rejects a row holding bytes that are not UTF-8, and reads it in the encoding given', async () => {
    const bytes = Buffer.concat([Buffer.from('name,email\n'), Buffer.from([0x52, 0xe9, 0x6d, 0x69]), Buffer.from(',remi@example.org\nAda,ada@example.org\n')]);
    const file = csvFile(bytes);
    const utf8 = await runStage('read-csv', { path: file }, []);
    expect(utf8.output.map((r) => r.name)).to.deep.equal(['Ada']);
    expect(utf8.rejects.map((r) => [r.reason, r.line])).to.deep.equal([['invalid_utf8', 2]]);
    const latin1 = await runStage('read-csv', { path: file, encoding: 'latin1' }, []);
    expect(latin1.output.map((r) => r.name)).to.deep.equal(['Rémi', 'Ada']);
  });

  it('with on_error tag, passes a placeholder carrying the row and the problem; with fail, stops and says where', async () => {
    const file = csvFile('name,email\nAda\nGrace,grace@example.org\n');
    const tagged = await runStage('read-csv', { path: file, on_error: 'tag' }, []);
    expect(tagged.output).to.have.length(2);
    expect(tagged.output[0]._meta).to.deep.include({ line: 2, raw: 'Ada' });
    const failure = await runStage('read-csv', { path: file, on_error: 'fail' }, []).catch((e) => e);
    expect(failure.message).to.match(/^read-csv: .*leads\.csv:2: the row has 1 cell\(s\) but the header has 2/);
  });

  it('stops when two columns land on one field, naming both', async () => {
    const failure = await runStage('read-csv', { path: csvFile('Email,email\na@x.org,b@x.org\n') }, []).catch((e) => e);
    expect(failure.message).to.match(/leads\.csv:1: columns 1 \('Email'\) and 2 \('email'\) are both the field 'email'/);
  });

  it('marks the records of an export as local ones, with id and modified time, when told the system', async () => {
    const file = csvFile('id,name,updated_at\n7,Ada,2026-01-05 10:00:00\n');
    const { output } = await runStage('read-csv', { path: file, system: 'local' }, []);
    expect(output[0]._meta).to.deep.include({ source: 'local', id: '7', modified_at: '2026-01-05T10:00:00.000Z' });
    expect(output[0]._meta?.original).to.deep.include({ name: 'Ada' });
  });

  it('reads stdin split at odd byte boundaries, multi-byte characters and quoted newlines included', async () => {
    const text = 'name;title\r\n"Zoë ""Z"" Smith";"Line one\r\nline two"\r\nÉlodie;CEO\r\n';
    const { output } = await runStage('read-csv', {}, [], { stdin: chunked(text, 3) });
    expect(output.map((r) => [r.name, r.title])).to.deep.equal([
      ['Zoë "Z" Smith', 'Line one\r\nline two'],
      ['Élodie', 'CEO'],
    ]);
  });

  it('runs on its own with run-stage, giving JSON Lines that the next stage reads', async () => {
    const read = await cli('run-stage', ['read-csv', '--path', fixture('csv', 'excel-semicolons.csv')]);
    expect(read.code, read.stderr).to.equal(0);
    const normalized = await cli('run-stage', ['normalize'], { input: read.stdout });
    expect(normalized.code, normalized.stderr).to.equal(0);
    expect(
      normalized.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).email),
    ).to.deep.equal(['elodie@example.org', 'marc@example.org', 'zoe@example.org']);
  });

  it('refuses a delimiter that is not one character', async () => {
    const failure = await runStage('read-csv', { path: '-', delimiter: ';;' }, []).catch((e) => e);
    expect(failure.message).to.contain("';;' is not a delimiter");
  });

  it('streams: a row comes out before the rest of the file has even arrived', async () => {
    const stdin = new PassThrough();
    const stream = await createStage('read-csv', {}, { stdin, stateDir: tempDir('state-'), rejects: `${tempDir()}/rejects.jsonl` });
    const first = new Promise((resolve) => stream.once('data', resolve));
    stdin.write('name,email\nAda,ada@example.org\nGrace,gr');
    expect(((await first) as { name: string }).name).to.equal('Ada');
    stdin.end('ace@example.org\n');
    const rest: unknown[] = [];
    for await (const record of stream) rest.push(record);
    expect(rest.map((r) => (r as { email: string }).email)).to.deep.equal(['grace@example.org']);
  });

  it('says clearly when the file does not exist', async () => {
    const failure = await runStage('read-csv', { path: '/nonexistent/leads.csv' }, []).catch((e) => e);
    expect(failure.message).to.equal('read-csv: cannot read /nonexistent/leads.csv: no such file; check the path');
  });
});
