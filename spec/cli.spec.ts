import { expect } from 'chai';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cli, ROOT, tempDir } from './helpers.js';

describe('run-pipeline', () => {
  it('runs a bundled pipeline by its bare name from any directory', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'demo.jsonl');
    const result = await cli('run-pipeline', ['demo.yaml'], {
      cwd: dir,
      env: { DEMO_OUTPUT: out, DEMO_ANNOTATED: path.join(dir, 'annotated.jsonl'), LEADS_REJECTS: path.join(dir, 'rejects.jsonl') },
    });
    expect(result.code, result.stderr).to.equal(0);
    expect(fs.readFileSync(out, 'utf8').trim().split('\n')).to.have.length(12);
    expect(result.stdout).to.equal('');
    expect(result.stderr).to.match(/read-jsonl +0 +12 /);
    expect(result.stderr).to.match(/normalize +12 +12 /);
    expect(JSON.parse(fs.readFileSync(out, 'utf8').split('\n')[0]).email).to.equal('elodie.gagnon@acme.ca');
  });

  it('--set overrides an option of a step, merging mappings key by key, and checks it like the file', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'demo.jsonl');
    const env = { DEMO_OUTPUT: out, DEMO_ANNOTATED: path.join(dir, 'a.jsonl'), LEADS_REJECTS: path.join(dir, 'r.jsonl') };
    const ok = await cli('run-pipeline', ['demo', '--set', 'normalize.field_standardization={"engagement_status":{"default_value":"Sent"}}'], { env });
    expect(ok.code, ok.stderr).to.equal(0);
    const statuses = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).engagement_status);
    expect(statuses.filter((s) => s === 'Sent')).to.have.length(4); // two given, two defaulted
    const bad = await cli('run-pipeline', ['demo', '--set', 'write-jsonl.strip_metta=true', '--set', 'diff.direction=both'], { env });
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.equal(
      [
        'write-jsonl.strip_metta: unknown option (given on the command line) (did you mean "strip_meta"?); write-jsonl takes path, strip_meta, on_error',
        'diff: is given on the command line, but the pipeline has no diff step',
        '2 configuration problem(s); nothing was run.',
        '',
      ].join('\n'),
    );
  });

  it('--check validates without running and exits 0', async () => {
    const result = await cli('run-pipeline', ['--check', 'spec/fixtures/pipelines/good.yaml'], { env: { SPEC_OUT: '/dev/null' } });
    expect(result.code).to.equal(0);
    expect(result.stdout).to.equal('spec/fixtures/pipelines/good.yaml: ok, 2 step(s): read-jsonl → write-jsonl\n');
  });

  it('exits 2 with every configuration problem as file:line:col and runs nothing', async () => {
    const result = await cli('run-pipeline', ['spec/fixtures/pipelines/bad-options.yaml']);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.equal(
      [
        'spec/fixtures/pipelines/bad-options.yaml:5:7 write-jsonl.strip_metta: unknown option (did you mean "strip_meta"?); write-jsonl takes path, strip_meta, on_error',
        'spec/fixtures/pipelines/bad-options.yaml:6:13 write-jsonl.path: must be a string, not number 42',
        '2 configuration problem(s); nothing was run.',
        '',
      ].join('\n'),
    );
  });

  it('says which pipelines are bundled when the file is not found', async () => {
    const result = await cli('run-pipeline', ['dmeo.yaml']);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.contain('no pipeline file "dmeo.yaml" here, and no bundled pipeline of that name (did you mean "demo.yaml"?)');
  });

  it('lists the stages and describes one', async () => {
    const list = await cli('run-pipeline', ['--list-stages']);
    expect(list.stdout).to.match(/^read-jsonl +source +Reads leads/m);
    const described = await cli('run-pipeline', ['--describe', 'write-jsonl']);
    expect(described.stdout).to.contain('strip_meta  boolean\n      Leave out `_meta`');
    const typo = await cli('run-pipeline', ['--describe', 'write-jsnol']);
    expect(typo.code).to.equal(2);
    expect(typo.stderr).to.contain('unknown stage "write-jsnol" (did you mean "write-jsonl"?)');
  });

  it('stops cleanly on Ctrl-C: partial counts, no stack trace, exit 130', async () => {
    const dir = tempDir();
    const pipelineFile = path.join(dir, 'p.yaml');
    fs.writeFileSync(pipelineFile, 'steps:\n  - read-jsonl: { path: "-" }\n  - write-jsonl: { path: out.jsonl }\n');
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'bin', 'run-pipeline.js'), pipelineFile], { cwd: dir });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.write('{"name":"one"}\n{"name":"two"}\n');
    // Interrupt once the run has started and the two records went through (a loaded machine is slow to start node).
    for (let waited = 0; !stderr.includes('Run started.') && waited < 15_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 600));
    child.kill('SIGINT');
    const code = await new Promise((r) => child.on('close', r));
    expect(code).to.equal(130);
    expect(stderr).to.contain('Interrupted');
    expect(stderr).to.match(/read-jsonl +0 +2 /);
    expect(stderr).not.to.match(/^\s+at /m);
  });
});

describe('run-stage', () => {
  it('runs one stage over JSONL from stdin to stdout', async () => {
    const result = await cli('run-stage', ['write-jsonl', '--strip_meta'], { input: '{"name":"A","_meta":{"x":1}}\n{"name":"B"}\n' });
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.equal('{"name":"A"}\n{"name":"B"}\n');
  });

  it('keeps _meta between stages so shell pipes compose', async () => {
    const first = await cli('run-stage', ['read-jsonl'], { input: '{"name":"A"}\n' });
    expect(JSON.parse(first.stdout)).to.deep.equal({ name: 'A', _meta: { line: 1 } });
  });

  it('sends malformed input lines to the rejects file and says so', async () => {
    const dir = tempDir();
    const result = await cli('run-stage', ['write-jsonl'], { cwd: dir, input: '{"name":"A"}\n{oops\n' });
    expect(result.code).to.equal(0);
    expect(result.stdout.trim().split('\n')).to.have.length(1);
    expect(result.stderr).to.contain('1 rejected record(s) written to');
    const rejects = fs
      .readFileSync(path.join(dir, 'rejects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rejects[0]).to.include({ reason: 'malformed_json', line: 2, raw: '{oops' });
  });

  it('rejects an unknown option with a hint and exit 2', async () => {
    const result = await cli('run-stage', ['write-jsonl', '--strip-metta']);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.contain('unknown option --strip-metta for write-jsonl (did you mean "--strip-meta"?)');
  });

  it('checks option values like a pipeline does', async () => {
    const result = await cli('run-stage', ['write-jsonl', '--on_error', 'ignore']);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.contain('write-jsonl.on_error: must be one of fail, skip, tag, not "ignore"');
  });
});
