import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { compareOutputs } from '../../bench/identity/compare.js';
import { createNormaliser } from '../../bench/identity/normalise.js';
import { ROOT, tempDir } from '../helpers.js';

describe('identity check', () => {
  describe('normalising', () => {
    const started = Date.now();
    const normaliser = createNormaliser({ startedAt: started, paths: [['/tmp/lead-identity-x', '<work>']] });
    const now = new Date(started).toISOString();

    it('hides the times of the run, and keeps the times in the data', () => {
      const line = JSON.stringify({ time: now, created_at: '2025-04-03T23:07:38.388Z', created_ms: started });
      expect(normaliser.text(line)).to.equal('{"time":"<now>","created_at":"2025-04-03T23:07:38.388Z","created_ms":<now-ms>}');
    });

    it('keeps the random part of a run id and hides its time', () => {
      const stamp = now.replace(/[-:]/g, '').replace(/\..*$/, '');
      expect(normaliser.text(`reports/${stamp}-a603e7a2/report.md`)).to.equal('reports/<time>-a603e7a2/report.md');
    });

    it("hides the ms column of the reports' stage tables and leaves out progress lines", () => {
      const text = `| normalize | 3 | 3 |  | 0 | 0 | 330 |\n${now} info Progress. {"records":100,"records_per_second":16}\n| Records read | 3 |\n`;
      expect(normaliser.text(text)).to.equal('| normalize | 3 | 3 |  | 0 | 0 | <n> |\n| Records read | 3 |\n');
    });

    it('hides durations, the working directory, process ids and ports', () => {
      const text = 'stage   elapsed\nnormalize   829 ms\n{"elapsed_ms":19578,"pid":25745,"file":"/tmp/lead-identity-x/a.jsonl","url":"http://127.0.0.1:40123"}';
      expect(normaliser.text(text)).to.equal(
        'stage elapsed\nnormalize <n> ms\n{"elapsed_ms":<n>,"pid":<pid>,"file":"<work>/a.jsonl","url":"http://<host>:<port>"}',
      );
    });
  });

  describe('comparing', () => {
    function outputs(files: Record<string, string>): string {
      const dir = tempDir('identity-spec-');
      for (const [name, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), text);
      }
      return dir;
    }

    it('says which case differs, at which line, with both lines', () => {
      const a = outputs({ 'one/commands.txt': 'exit 0\n', 'one/out.jsonl': '{"a":1}\n{"b":2}\n', 'two/commands.txt': 'exit 0\n' });
      const b = outputs({ 'one/commands.txt': 'exit 0\n', 'one/out.jsonl': '{"a":1}\n{"b":3}\n', 'two/commands.txt': 'exit 0\n' });
      const results = compareOutputs(a, b);
      expect(results.map((r) => [r.name, r.identical])).to.deep.equal([
        ['one', false],
        ['two', true],
      ]);
      expect(results[0]!.difference).to.equal('out.jsonl: line 2 differs\n    first:  {"b":2}\n    second: {"b":3}');
    });

    it('counts a file or a case only one side has as a difference', () => {
      const a = outputs({ 'one/commands.txt': 'exit 0\n', 'one/rejects.jsonl': '{}\n' });
      const b = outputs({ 'one/commands.txt': 'exit 0\n', 'three/commands.txt': 'exit 0\n' });
      expect(compareOutputs(a, b).map((r) => [r.name, r.difference])).to.deep.equal([
        ['one', 'rejects.jsonl: only in the first'],
        ['three', `only in ${b}`],
      ]);
    });

    it('exits 1 on a difference and 0 when every case is identical', () => {
      const script = path.join(ROOT, 'dist', 'bench', 'identity.js');
      const a = outputs({ 'one/commands.txt': 'exit 0\n' });
      const same = outputs({ 'one/commands.txt': 'exit 0\n' });
      const other = outputs({ 'one/commands.txt': 'exit 1\n' });
      expect(spawnSync(process.execPath, [script, '--compare', a, same]).status).to.equal(0);
      const run = spawnSync(process.execPath, [script, '--compare', a, other], { encoding: 'utf8' });
      expect(run.status).to.equal(1);
      expect(run.stdout).to.contain('DIFFERENT  one\n  commands.txt: line 1 differs');
    });
  });

  it('fixes the randomness of the processes it starts, per seed', () => {
    const preload = path.join(ROOT, 'dist', 'bench', 'identity', 'deterministic.js');
    const draw = (seed: string): string =>
      spawnSync(
        process.execPath,
        [
          '--import',
          preload,
          '--input-type=module',
          '-e',
          "import { randomUUID, randomBytes } from 'node:crypto'; console.log(randomUUID(), randomBytes(4).toString('hex'), Math.random());",
        ],
        { encoding: 'utf8', env: { ...process.env, LEAD_IDENTITY_SEED: seed } },
      ).stdout;
    expect(draw('case#01')).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12} [0-9a-f]{8} 0\.\d+\n$/);
    expect(draw('case#01')).to.equal(draw('case#01'));
    expect(draw('case#02')).not.to.equal(draw('case#01'));
  });
});
