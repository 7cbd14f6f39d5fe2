import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import type { StreamItem } from '../../lib/core/types.js';
import { cli, lead, runStage, tempDir } from '../helpers.js';

async function written(
  options: Record<string, unknown>,
  records: StreamItem[],
): Promise<{ text: string; passed: unknown[]; rejects: Array<Record<string, unknown>> }> {
  const file = path.join(tempDir(), 'out.csv');
  const { output, rejects } = await runStage('write-csv', { path: file, ...options }, records);
  return { text: fs.readFileSync(file, 'utf8'), passed: output, rejects };
}

describe('write-csv', () => {
  it("writes a header of the mapping's canonical fields, then one row per lead, and passes every lead on", async () => {
    const { text, passed } = await written({ fields: ['name', 'email', 'company'] }, [lead(), lead({ name: 'Grace Hopper', email: 'grace@example.org' })]);
    expect(text).to.equal('name,email,company\nAda Lovelace,ada@example.org,Analytical Engines Ltd\nGrace Hopper,grace@example.org,Analytical Engines Ltd\n');
    expect(passed).to.have.length(2);
  });

  it('quotes values holding commas, quotes and newlines, so they read back as they were', async () => {
    const { text } = await written({ fields: ['name', 'company'] }, [lead({ name: 'Zoë "Z" Smith', company: 'Acme, Inc.\nEurope' })]);
    expect(text).to.equal('name,company\n"Zoë ""Z"" Smith","Acme, Inc.\nEurope"\n');
    const back = await runStage('read-csv', { path: writeText(text) }, []);
    expect(back.output[0]).to.deep.include({ name: 'Zoë "Z" Smith', company: 'Acme, Inc.\nEurope' });
  });

  it("prefixes cells starting with = + - @ with ' by default, so a spreadsheet never runs them", async () => {
    const hostile = lead({ name: '=HYPERLINK("http://evil.example","Click")', phone: '+1 555 0100', title: '-2+3', company: '@SUM(A1)' });
    const { text } = await written({ fields: ['name', 'phone', 'title', 'company'] }, [hostile]);
    expect(text.split('\n')[1]).to.equal(`"'=HYPERLINK(""http://evil.example"",""Click"")",'+1 555 0100,'-2+3,'@SUM(A1)`);
    const exact = await written({ fields: ['phone'], escape_formulas: false }, [hostile]);
    expect(exact.text).to.equal('phone\n+1 555 0100\n');
  });

  it('names the columns as Airtable does with airtable_names', async () => {
    const { text } = await written({ fields: ['name', 'title', 'notes'], airtable_names: true }, [lead({ title: 'CEO', notes: 'x' })]);
    expect(text.split('\n')[0]).to.equal('Full Name,Job Title,notes');
  });

  it('takes the first lead’s other fields after the canonical ones, and reports fields of later leads it has no column for', async () => {
    const { text, rejects } = await written({}, [
      { name: 'Ada', source_list: 'fair' },
      { name: 'Grace', twitter: '@grace' },
    ]);
    expect(text.split('\n')[0]).to.equal('name,email,company,title,linkedin_url,company_website,phone,engagement_status,source_list');
    expect(rejects.map((r) => r.reason)).to.deep.equal(['fields_not_written']);
    expect(rejects[0].message).to.contain('twitter');
  });

  it('writes values that are not text readably: booleans as true/false, lists as JSON, null as an empty cell', async () => {
    const { text } = await written({ fields: ['name', 'ok', 'tags', 'phone'] }, [{ name: 'Ada', ok: false, tags: ['a', 'b'], phone: null }]);
    expect(text.split('\n')[1]).to.equal('Ada,false,"[""a"",""b""]",');
  });

  it('gives run-stage write-csv the CSV alone on stdout, with no JSON Lines mixed in', async () => {
    const run = await cli('run-stage', ['write-csv', '--fields', 'name,email'], { input: '{"name":"Ada","email":"ada@example.org"}\n' });
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.equal('name,email\nAda,ada@example.org\n');
  });

  it('gives run-stage write-csv --path FILE the CSV in the file and nothing on stdout, as write-jsonl --path does', async () => {
    const file = path.join(tempDir(), 'leads.csv');
    const run = await cli('run-stage', ['write-csv', '--fields', 'name,email', '--path', file], { input: '{"name":"Ada","email":"ada@example.org"}\n' });
    expect(run.code, run.stderr).to.equal(0);
    expect(fs.readFileSync(file, 'utf8')).to.equal('name,email\nAda,ada@example.org\n');
    expect(run.stdout).to.equal('');
  });

  it('writes the header alone when no lead comes, and passes operations on unwritten', async () => {
    const operation = { kind: 'operation', action: 'update', system: 'local', id: '1', fields: {} };
    const { text, passed } = await written({ fields: ['name', 'email'] }, [operation]);
    expect(text).to.equal('name,email\n');
    expect(passed).to.deep.equal([operation]);
  });
});

function writeText(text: string): string {
  const file = path.join(tempDir(), 'back.csv');
  fs.writeFileSync(file, text);
  return file;
}
