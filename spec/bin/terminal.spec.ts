import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers.js';
import { runInTerminal, screenOf } from './terminal.js';

/**
 * Leads arriving over about six seconds (long enough for several progress lines at one a second
 * however slowly the run starts), some with an email normalize cannot fix (it says so
 * as its input ends). Their notes make the input larger than a block of lines (256 KiB), so the
 * count moves during the run as it does over a large file.
 */
const GENERATOR = `
for (let i = 0; i < 60; i++) {
  let text = '';
  for (let j = 0; j < 20; j++) {
    const n = i * 20 + j;
    text += JSON.stringify({ name: 'Lead ' + n, email: n % 7 ? 'lead' + n + '@example.com' : 'not an email', company: 'Company ' + (n % 97), notes: 'x'.repeat(1200) }) + '\\n';
  }
  process.stdout.write(text);
  await new Promise((resolve) => setTimeout(resolve, 100));
}
`;

const PIPELINE = `steps:
  - read-jsonl: {}
  - normalize: {}
  - fingerprint: {}
  - dedupe: {}
  - write-jsonl: { path: out.jsonl }
`;

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z (info|warn|error|debug) /;
const LIVE = /^\d+ records \| \d+ records\/s \| \d+s$/;

describe('the terminal', function () {
  this.timeout(60_000);
  let dir: string;
  let command: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lead-terminal-'));
    fs.writeFileSync(path.join(dir, 'generate.mjs'), GENERATOR);
    fs.writeFileSync(path.join(dir, 'pipeline.yaml'), PIPELINE);
    command = `node generate.mjs | node ${JSON.stringify(path.join(ROOT, 'dist', 'bin', 'run-pipeline.js'))} pipeline.yaml`;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('shows moving counts on a live line that log lines never break, and the final table below everything', async () => {
    const run = await runInTerminal(command, { columns: 160, rows: 50, cwd: dir });
    expect(run.code, run.output).to.equal(0);
    // The counts drawn over time, in the order drawn: they move while dedupe still holds every record.
    const drawn = [...run.output.matchAll(/(\d+) records \| \d+ records\/s/g)].map((m) => Number(m[1]));
    expect(new Set(drawn.filter((n) => n > 0 && n < 1200)).size, drawn.join(' ')).to.be.at.least(3);
    expect(drawn).to.deep.equal([...drawn].sort((a, b) => a - b));

    const screen = screenOf(run.output, 160);
    for (const line of screen) {
      if (/ records\/s /.test(line)) expect(line, 'a progress line holds nothing else').to.match(LIVE);
      if (/\d{4}-\d\d-\d\dT/.test(line)) expect(line, 'a log line starts at the left margin').to.match(TIMESTAMP);
    }
    const index = (pattern: RegExp): number => screen.findIndex((line) => pattern.test(line));
    const started = index(/ info Run started\./);
    const midRun = index(/ info \[normalize\] Values left as they were/);
    const finalCount = index(/^1200 records \| \d+ records\/s/);
    const finished = index(/ info Run finished\./);
    const table = index(/^stage +received +sent/);
    expect(
      [started, midRun, finalCount, finished, table].every((i) => i >= 0),
      screen.join('\n'),
    ).to.equal(true);
    expect(started).to.be.below(midRun);
    expect(midRun).to.be.below(finalCount);
    expect(finalCount).to.be.below(finished);
    expect(finished).to.be.below(table);
    expect(screen.slice(table + 1, table + 6).map((line) => line.split(/ +/)[0])).to.deep.equal([
      'read-jsonl',
      'normalize',
      'fingerprint',
      'dedupe',
      'write-jsonl',
    ]);
  });

  it('off a terminal, logs a progress line every progress_update_interval records', () => {
    const run = spawnSync('sh', ['-c', command], { cwd: dir, encoding: 'utf8' });
    expect(run.status, run.stderr).to.equal(0);
    const progress = run.stderr.split('\n').filter((line) => / info Progress\. /.test(line));
    expect(progress.length, run.stderr).to.be.at.least(2);
    const counts = progress.map((line) => JSON.parse(line.slice(line.indexOf('{'))).records as number);
    expect(counts[0]).to.be.above(0);
    expect(counts).to.deep.equal([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).to.equal(1200);
  });
});
