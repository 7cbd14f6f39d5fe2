import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { EXIT, TOOLS } from '../../lib/core/exit-codes.js';
import { cli, ROOT, tempDir } from '../helpers.js';

const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** A flag each tool takes, and a typo of it. */
const TYPOS: Record<(typeof TOOLS)[number], [string[], string]> = {
  'run-pipeline': [['--dry-rn', 'demo'], '--dry-run'],
  'run-stage': [['--dry-rn'], '--dry-run'],
  'db-maintenance': [['--sync-dta'], '--sync-data'],
  'airtable-emulator': [['--prot', '0'], '--port'],
  'create-sample-db': [['--ot', 'x.db'], '--out'],
  'migrate-db': [['--databse', 'x.db'], '--database'],
};

describe('command-line conventions', function () {
  this.timeout(30_000);

  for (const tool of TOOLS) {
    it(`${tool} --version prints the package version and exits 0`, async () => {
      const result = await cli(tool, ['--version']);
      expect(result.code, result.stderr).to.equal(EXIT.ok);
      expect(result.stdout).to.equal(`${VERSION}\n`);
    });

    it(`${tool} names the flag a mistyped one was meant to be, and exits 2`, async () => {
      const [args, meant] = TYPOS[tool];
      const result = await cli(tool, args, { cwd: tempDir() });
      expect(result.code, result.stderr).to.equal(EXIT.config);
      expect(result.stderr).to.contain(`unknown option ${args[0]}`).and.contain(`(did you mean "${meant}"?)`);
      expect(result.stderr).not.to.contain('To specify a positional argument');
    });
  }

  it('takes every flag in kebab-case, and in snake_case too', async () => {
    const dir = tempDir();
    const kebab = await cli('db-maintenance', ['--status', '--sample', '--data-dir', dir], { cwd: dir });
    const snake = await cli('db-maintenance', ['--status', '--sample', '--data_dir', dir], { cwd: dir });
    expect(kebab.code, kebab.stderr).to.equal(EXIT.ok);
    expect(snake.code, snake.stderr).to.equal(EXIT.ok);
    expect(snake.stdout).to.equal(kebab.stdout);
  });

  it("run-stage takes a stage's options in kebab-case (its help shows them so) as well as by their YAML names", async () => {
    const input = '{"name":"A","_meta":{"x":1}}\n';
    const kebab = await cli('run-stage', ['write-jsonl', '--strip-meta'], { input });
    const snake = await cli('run-stage', ['write-jsonl', '--strip_meta'], { input });
    expect(kebab.code, kebab.stderr).to.equal(EXIT.ok);
    expect(kebab.stdout).to.equal('{"name":"A"}\n');
    expect(snake.stdout).to.equal(kebab.stdout);
    const help = await cli('run-stage', ['write-jsonl', '--help']);
    expect(help.stdout).to.contain('On the command line: --path, --strip-meta, --on-error');
    expect((await cli('run-stage', ['--help'])).stdout).to.contain('--strip-meta, --batch-size 10');
  });

  it('run-pipeline --set takes an option in kebab-case', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'demo.jsonl');
    const env = { DEMO_OUTPUT: out, DEMO_ANNOTATED: path.join(dir, 'a.jsonl'), LEADS_REJECTS: path.join(dir, 'r.jsonl') };
    const result = await cli('run-pipeline', ['demo', '--set', 'write-jsonl.strip-meta=true'], { env, cwd: dir });
    expect(result.code, result.stderr).to.equal(EXIT.ok);
    expect(fs.readFileSync(out, 'utf8')).not.to.contain('"_meta"');
  });

  it('a database that does not exist is a configuration problem: exit 2, whichever tool reads it', async () => {
    const dir = tempDir();
    const missing = path.join(dir, 'nope.db');
    fs.writeFileSync(path.join(dir, 'p.yaml'), `steps:\n  - read-sqlite: { database: ${JSON.stringify(missing)}, table: leads }\n  - write-jsonl: {}\n`);
    const pipeline = await cli('run-pipeline', ['p.yaml'], { cwd: dir });
    expect(pipeline.code, pipeline.stderr).to.equal(EXIT.config);
    expect(pipeline.stderr).to.contain(`The database ${missing} does not exist.`);
    const migrate = await cli('migrate-db', ['--database', missing], { cwd: dir });
    expect(migrate.code, migrate.stderr).to.equal(EXIT.config);
    const env = { LEADS_DB: missing, AIRTABLE_TOKEN: 'patExample.0000', AIRTABLE_BASE_ID: 'appABCDEFGHIJKLMN', LEADS_DATA_DIR: dir };
    for (const args of [
      ['--sync-data', '--dry-run'],
      ['--sync-data', '--yes'],
    ]) {
      const maintenance = await cli('db-maintenance', [...args, '--data-dir', dir], { cwd: dir, env });
      expect(maintenance.code, `${args.join(' ')}\n${maintenance.stderr}`).to.equal(EXIT.config);
      expect(maintenance.stderr).to.contain(`The database ${missing} does not exist.`);
    }
  });
});
