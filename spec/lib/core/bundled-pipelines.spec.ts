import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../../lib/core/errors.js';
import { runPipeline } from '../../../lib/core/runner.js';
import { ROOT, tempDir } from '../../helpers.js';
import '../../../stages/index.js';

/** Every file under a directory, relative to it, with its modification time. */
function snapshot(dir: string): Map<string, number> {
  const files = new Map<string, number>();
  if (!fs.existsSync(dir)) return files;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) {
      const file = path.join(entry.parentPath, entry.name);
      files.set(path.relative(dir, file), fs.statSync(file).mtimeMs);
    }
  return files;
}

describe('bundled pipelines from the library, outside the repository', function () {
  this.timeout(30_000);
  const cwd = process.cwd();
  const saved = { LEADS_DATA_DIR: process.env.LEADS_DATA_DIR, LEADS_REJECTS: process.env.LEADS_REJECTS };
  let dir: string;

  beforeEach(() => {
    dir = tempDir('bundled-');
    delete process.env.LEADS_DATA_DIR;
    delete process.env.LEADS_REJECTS;
    process.chdir(dir);
  });
  afterEach(() => {
    process.chdir(cwd);
    for (const [name, value] of Object.entries(saved))
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
  });

  for (const name of ['demo.yaml', 'pipelines/demo.yaml', 'demo']) {
    it(`runPipeline('${name}') finds the bundled demo as run-pipeline does and writes under the working directory only`, async () => {
      const before = snapshot(path.join(ROOT, 'data'));
      const summary = await runPipeline(name);
      expect(summary.records_out).to.be.greaterThan(0);
      const written = fs
        .readFileSync(path.join(dir, 'data', 'demo-leads.jsonl'), 'utf8')
        .trim()
        .split('\n');
      expect(written).to.have.length(summary.records_out);
      expect(fs.existsSync(path.join(dir, 'data', 'demo-leads-annotated.jsonl'))).to.equal(true);
      expect(snapshot(path.join(ROOT, 'data')), "the package's data/ is left as it was").to.deep.equal(before);
    });
  }

  it('names the bundled pipelines, with a "did you mean", when a name is neither a file nor bundled', async () => {
    const error = await runPipeline('dmeo.yaml').catch((e: Error) => e);
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message).to.contain('no pipeline file "dmeo.yaml" here, and no bundled pipeline of that name (did you mean "demo.yaml"?)');
    expect((error as Error).message).to.contain('bundled: backup.yaml, decisions.yaml, dedupe.yaml, demo.yaml');
  });

  it('prefers a file of that name in the working directory over the bundled one', async () => {
    fs.writeFileSync(path.join(dir, 'in.jsonl'), '{"name":"Ada"}\n');
    fs.writeFileSync(path.join(dir, 'demo.yaml'), 'steps:\n  - read-jsonl: { path: in.jsonl }\n  - write-jsonl: { path: own.jsonl, strip_meta: true }\n');
    const summary = await runPipeline('demo.yaml');
    expect(summary.records_out).to.equal(1);
    expect(fs.readFileSync(path.join(dir, 'own.jsonl'), 'utf8')).to.equal('{"name":"Ada"}\n');
  });
});
