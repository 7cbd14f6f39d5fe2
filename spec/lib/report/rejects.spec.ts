import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { openRun } from '../../../lib/core/context.js';
import { readRejects } from '../../../lib/report/rejects.js';
import { tempDir } from '../../helpers.js';

/** A rejects file as two attempts of one run (killed, then resumed) and another run leave it. */
function resumedRunFile(): { file: string; second: string } {
  const file = path.join(tempDir('rejects-'), 'rejects.jsonl');
  const write = (runId: string, body: (reject: (stage: string, entry: Record<string, unknown>) => void) => void): string => {
    const run = openRun({ runId, rejects: file });
    body((stage, entry) => run.rejects.write(stage, entry as never));
    run.rejects.close();
    return run.rejects.attempt!;
  };
  const badLine = (line: number) => ({ reason: 'malformed_json', message: `Line ${line} is not JSON.`, file: 'leads.jsonl', line });
  const failedWrite = {
    reason: 'write_failed',
    message: 'Airtable update of record recAda failed: 422',
    record: { kind: 'operation', system: 'airtable', id: 'recAda' },
  };
  write('other-run', (reject) => reject('read-jsonl', badLine(3)));
  // The first attempt read the whole file and failed one write before it was killed.
  write('run-1', (reject) => {
    reject('read-jsonl', badLine(12));
    reject('read-jsonl', badLine(40));
    reject('write-airtable', failedWrite);
  });
  // The resumed attempt reads the file again (the same bad lines) and finds one new problem.
  const second = write('run-1', (reject) => {
    reject('read-jsonl', badLine(12));
    reject('read-jsonl', badLine(40));
    reject('normalize', { reason: 'invalid_email', message: 'not an email', record: { _meta: { source: 'local', id: 'lead-7' } } });
  });
  return { file, second };
}

describe('readRejects', () => {
  it('counts a record rejected again by a resumed attempt once, and keeps what only the first attempt rejected', async () => {
    const { file, second } = resumedRunFile();
    const summary = await readRejects(file, 'run-1', 10, second);
    expect(summary.count).to.equal(4);
    expect(summary.by_reason).to.deep.equal({ 'read-jsonl · malformed_json': 2, 'write-airtable · write_failed': 1, 'normalize · invalid_email': 1 });
    expect(summary.table.rows.map((r) => r.where)).to.deep.equal(['leads.jsonl:12', 'leads.jsonl:40', 'airtable:recAda', 'local:lead-7']);
  });

  it('counts every entry of a run that was not resumed, the same reject twice included', async () => {
    const file = path.join(tempDir('rejects-'), 'rejects.jsonl');
    const run = openRun({ runId: 'run-2', rejects: file });
    for (let i = 0; i < 2; i++)
      run.rejects.write('read-jsonl', { reason: 'malformed_json', message: 'Line 5 is not JSON.', file: 'a.jsonl', line: 5 } as never);
    run.rejects.close();
    const lines = fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.attempt)).to.deep.equal([run.rejects.attempt, run.rejects.attempt]);
    expect((await readRejects(file, 'run-2', 10, run.rejects.attempt)).count).to.equal(2);
  });
});
