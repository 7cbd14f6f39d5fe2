import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './helpers.js';
import {
  installPacked,
  readmeBlocks,
  runScript,
  startEmulatorBin,
  substitute,
  transcriptMismatches,
  userEnv,
  workDir,
  type Block,
  type Ran,
} from './readme/support.js';

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  scripts: Record<string, string>;
  bin: Record<string, string>;
};
const RUNNABLE = ['sh', 'ts', 'cron', 'ini'];
const TOKEN = 'emulator-token';

/** The README's examples this spec runs, each found by what it holds. */
const EXAMPLES: Record<string, (b: Block) => boolean> = {
  'own data': (b) => b.lang === 'sh' && b.text.includes('db-maintenance --init'),
  'scheduling setup': (b) => b.lang === 'sh' && b.text.includes('lead-maintenance.env'),
  cron: (b) => b.lang === 'cron',
  'systemd service': (b) => b.lang === 'ini' && /lead-maintenance\.service`:\s*$/.test(b.before),
  'systemd timer': (b) => b.lang === 'ini' && /lead-maintenance\.timer`:\s*$/.test(b.before),
  'three ways': (b) => b.lang === 'sh' && b.text.includes('run-pipeline demo.yaml'),
  library: (b) => b.lang === 'ts',
  'pipeline file': (b) => b.lang === 'yaml' && b.text.startsWith('description: Copy leads'),
};

/** Why an example may stay unrun, and the check that the reason holds. */
const ILLUSTRATIVE: Record<string, (b: Block) => void> = {
  // Commands of a clone of the repository (npm test runs this very spec): each is a script of package.json.
  clone: (b) => {
    for (const command of commands(b)) {
      const script = /^npm (?:install && npm )?(?:run )?(\S+)/.exec(command)?.[1];
      expect(PKG.scripts, `README line ${b.line}: ${command}`).to.have.property(script ?? command);
    }
  },
  // Opens a browser; the transcript spec checks that the file it opens is there after npm start.
  browser: (b) => expect(commands(b).join('\n')).to.match(/^xdg-open data\/reports\/latest\/report\.html$/),
  // Names two leads of the reader's own file; spec/stages/dedupe-learned.spec.ts explains pairs of generated leads.
  'own-ids': (b) => expect(commands(b).join('\n')).to.match(/^run-stage dedupe .*--explain [^\s,]+,[^\s,]+ /),
};

function commands(block: Block): string[] {
  return block.text
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line && !line.startsWith('#'));
}

function example(name: string): Block {
  const found = readmeBlocks(README).filter(EXAMPLES[name]);
  expect(found, `the README's ${name} example`).to.have.length(1);
  return found[0];
}

function expectRan(ran: Ran, what: string): void {
  expect(ran.code, `${what} exited ${ran.code}:\n${ran.output.slice(-3000)}`).to.equal(0);
}

/** Compiles a TypeScript example to JavaScript beside it, type-checked against the packed package's types. */
function compileExample(root: string, dir: string, file: string): void {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const types = ['--typeRoots', path.join(ROOT, 'node_modules', '@types'), '--types', 'node'];
  const args = [tsc, file, '--module', 'nodenext', '--target', 'es2022', '--strict', '--skipLibCheck', ...types];
  const compiled = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', env: userEnv(root) });
  expect(compiled.status, `${file} compiles against the packed types:\n${compiled.stdout}${compiled.stderr}`).to.equal(0);
}

/** The three ways example and the library example, in a directory of their own. */
async function threeWays(root: string): Promise<void> {
  const dir = workDir(root, 'three-ways');
  const sample = fs.readFileSync(path.join(ROOT, 'pipelines', 'samples', 'leads.jsonl'), 'utf8');
  // The inputs the examples name, as a user would have them.
  for (const file of ['export.jsonl', 'in.jsonl', 'exports/leads.jsonl']) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), sample);
  }
  fs.writeFileSync(path.join(dir, 'my-pipeline.yaml'), example('pipeline file').text);
  expectRan(await runScript(example('three ways').text, dir, userEnv(root)), 'the three ways example');
  expect(fs.readFileSync(path.join(dir, 'clean.jsonl'), 'utf8').split('\n').length).to.equal(sample.split('\n').length);
  expect(fs.existsSync(path.join(dir, 'clean', 'leads.jsonl'))).to.equal(true);

  fs.rmSync(path.join(dir, 'data'), { recursive: true, force: true });
  fs.writeFileSync(path.join(dir, 'example.ts'), example('library').text);
  compileExample(root, dir, 'example.ts');
  const ran = await runScript('node example.js', dir, userEnv(root));
  expectRan(ran, 'the library example');
  expect(ran.output).to.match(/^\d+ leads standardized into data\/demo-leads\.jsonl$/m);
  expect(ran.output).to.contain('Marc Gagnon marc@acme.ca');
  expect(fs.readFileSync(path.join(dir, 'data', 'demo-leads.jsonl'), 'utf8')).to.contain('"name"');
  expect(fs.readFileSync(path.join(dir, 'out.jsonl'), 'utf8').split('\n').length).to.equal(sample.split('\n').length);
  expect(fs.existsSync(path.join(root, 'node_modules', 'lead-maintenance', 'data')), 'nothing written into the package').to.equal(false);
}

/** The own-data steps against the emulator started from its bin. */
async function ownData(root: string): Promise<void> {
  const dir = workDir(root, 'own-data');
  const emulator = await startEmulatorBin(root);
  try {
    expectRan(await runScript('create-sample-db --out leads.db --count 30', dir, userEnv(root)), 'create-sample-db');
    const script = substitute(example('own data').text, [
      ['/path/to/leads.db', path.join(dir, 'leads.db')],
      ['pat…', TOKEN],
      ['app…', emulator.baseId],
      ['$EDITOR lead-maintenance.yaml', 'test -s lead-maintenance.yaml'],
      // Off a terminal it asks for --yes instead of asking (exit 5), as the README says.
      ['--full-maintenance               # 4.', '--full-maintenance --yes         # 4.'],
    ]);
    // The one setting a user of the real Airtable never gives: where the emulator listens.
    const ran = await runScript(script, dir, userEnv(root, { AIRTABLE_ENDPOINT_URL: emulator.url }));
    expectRan(ran, 'the own-data example');
    expect(ran.output).to.contain('Both systems hold the same leads.');
    expect(ran.output).not.to.contain(TOKEN);
    expect(fs.existsSync(path.join(dir, 'data', 'reports', 'latest', 'report.html'))).to.equal(true);
  } finally {
    emulator.stop();
  }
}

/** The scheduling setup and the cron line, in a directory standing for /srv/leads. */
async function cronSchedule(root: string): Promise<void> {
  const srv = workDir(root, 'srv');
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(srv, 'node_modules'));
  expectRan(await runScript('create-sample-db --out leads.db --count 30', srv, userEnv(root)), 'create-sample-db');
  const emulator = await startEmulatorBin(root);
  try {
    const setup = substitute(example('scheduling setup').text, [
      // Installed from the packed tarball already: the registry is not reachable from the specs.
      ['npm install lead-maintenance', `test -x node_modules/.bin/db-maintenance`],
      ['/srv/leads', srv],
    ]);
    const secrets = { AIRTABLE_TOKEN: TOKEN, AIRTABLE_BASE_ID: emulator.baseId, LEADS_DB: path.join(srv, 'leads.db') };
    expectRan(await runScript(setup, srv, userEnv(root, secrets)), 'the scheduling setup');
    const envFile = path.join(srv, 'lead-maintenance.env');
    expect(fs.statSync(envFile).mode & 0o777, 'the env file is private').to.equal(0o600);
    expect(fs.readFileSync(envFile, 'utf8')).to.contain(`AIRTABLE_TOKEN=${TOKEN}\n`);
    fs.appendFileSync(envFile, `AIRTABLE_ENDPOINT_URL=${emulator.url}\n`);

    const line = example('cron').text.trim();
    expect(line.split('\n'), 'one cron line').to.have.length(1);
    const [minute, hour, , , , ...command] = line.split(/\s+/);
    expect(`${minute} ${hour}`).to.equal('30 2');
    expect(command.join(' ')).not.to.match(/\bnpx\b|AIRTABLE_TOKEN=/);
    // cron runs the command with /bin/sh and an environment of its own: no token, no PATH to the bins.
    const ran = await runScript(substitute(command.join(' '), [['/srv/leads', srv]]), '/', { PATH: process.env.PATH, HOME: srv }, ['sh', '-c']);
    expectRan(ran, 'the cron line');
    expect(fs.readFileSync(path.join(srv, 'lead-maintenance.log'), 'utf8')).to.contain('Both systems hold the same leads.');
  } finally {
    emulator.stop();
  }
}

describe('the README, run from a directory outside the repository against the packed package', function () {
  // About 40 s on an idle two-core machine; far more when it is shared.
  this.timeout(240_000);
  let root: string;
  let firstMinute: Promise<{ dir: string; runs: Ran[] }>;
  // The examples wait on processes most of their time (npx, the emulators, the rate limit): they run side by side, each in its own directory.
  const started: Record<'threeWays' | 'ownData' | 'cronSchedule', Promise<void>> = {} as never;

  before(() => {
    root = installPacked().dir;
    // The sample run waits on the emulated Airtable's rate limit most of its time: it goes on while the other examples run.
    firstMinute = (async () => {
      const dir = workDir(root, 'first-minute');
      const start = PKG.scripts.start.replace(/^node \S+ /, 'db-maintenance ');
      const runs = [await runScript(start, dir, userEnv(root)), await runScript(start, dir, userEnv(root))];
      return { dir, runs };
    })();
    for (const [name, run] of Object.entries({ threeWays, ownData, cronSchedule })) {
      started[name as keyof typeof started] = run(root);
      // Awaited by its own test; a failure is reported there, not as an unhandled rejection.
      started[name as keyof typeof started].catch(() => undefined);
    }
  });
  after(async () => {
    await Promise.allSettled([firstMinute, ...Object.values(started)]);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('runs every shell, TypeScript, cron and systemd example, or marks it illustrative with a reason it checks', () => {
    for (const block of readmeBlocks(README).filter((b) => RUNNABLE.includes(b.lang))) {
      const claimed = Object.keys(EXAMPLES).filter((name) => EXAMPLES[name](block));
      const reason = /^illustrative: (\S+)$/.exec(block.marker ?? '')?.[1];
      expect(claimed.length + (reason ? 1 : 0), `README line ${block.line}: run by this spec or marked <!-- illustrative: REASON -->`).to.equal(1);
      if (reason) {
        expect(ILLUSTRATIVE, `README line ${block.line}: reasons are ${Object.keys(ILLUSTRATIVE).join(', ')}`).to.have.property(reason);
        ILLUSTRATIVE[reason](block);
      }
    }
    expect(readmeBlocks(README)[0].text).to.contain('npm install && npm start').and.contain('npm test');
  });

  it('three ways to use it: the shell examples and the library example, with outputs under the working directory only', () => started.threeWays);

  it('on your own data: --init, the dry run and the run, against the emulator started from its bin on 127.0.0.1', () => started.ownData);

  it('scheduling: a private env file, a cron line that runs the installed bin and keeps the token off the command line', () => started.cronSchedule);

  it("the emulator README's example runs against the packed package", async () => {
    const dir = workDir(root, 'emulator');
    const text = fs.readFileSync(path.join(ROOT, 'lib', 'airtable-emulator', 'README.md'), 'utf8');
    const examples = readmeBlocks(text).filter((b) => b.lang === 'ts');
    expect(examples).to.have.length(1);
    fs.writeFileSync(path.join(dir, 'emulator.ts'), examples[0].text);
    compileExample(root, dir, 'emulator.ts');
    expectRan(await runScript('node emulator.js', dir, userEnv(root)), "the emulator README's example");
  });

  it('scheduling: the systemd service and timer are two valid unit files, comments on their own lines', function () {
    const units = workDir(root, 'units');
    for (const [name, file] of [
      ['systemd service', 'lead-maintenance.service'],
      ['systemd timer', 'lead-maintenance.timer'],
    ]) {
      const text = example(name).text;
      for (const line of text.split('\n')) if (!/^[#;]/.test(line)) expect(line, `${file}: a comment only at the start of a line`).not.to.match(/[#;]/);
      fs.writeFileSync(path.join(units, file), text.split('/srv/leads').join(path.join(root, 'srv')));
    }
    const service = fs.readFileSync(path.join(units, 'lead-maintenance.service'), 'utf8');
    expect(service).to.match(/^EnvironmentFile=\S+lead-maintenance\.env$/m);
    expect(service).to.match(/^ExecStart=\S+\/node_modules\/\.bin\/db-maintenance --full-maintenance --yes$/m);
    const analyze = spawnSync('systemd-analyze', ['verify', '--man=no', 'lead-maintenance.service', 'lead-maintenance.timer'], {
      cwd: units,
      encoding: 'utf8',
    });
    if (analyze.error) {
      // Not every machine has systemd: the lines above still hold; the full check needs systemd-analyze.
      console.log(`      (systemd-analyze is not installed, so the unit files were checked line by line only: ${analyze.error.message})`);
      this.skip();
    }
    expect(`${analyze.stdout}${analyze.stderr}`, 'systemd-analyze verify says nothing').to.equal('');
    expect(analyze.status).to.equal(0);
  });

  it("a new user's first minute: npm start prints what the transcript shows, writes the report the README opens, and again changes nothing", async () => {
    const { dir, runs } = await firstMinute;
    expect(PKG.scripts.start).to.equal(`node ${PKG.bin['db-maintenance'].replace(/^\.\//, '')} --full-maintenance --sample`);
    const transcript = readmeBlocks(README).find((b) => b.marker === 'transcript');
    expect(transcript, 'the README has a transcript').to.not.equal(undefined);
    const segments = transcript!.text.split(/^\$ /m).slice(1);
    expect(segments.map((s) => s.split('\n')[0])).to.deep.equal([
      'git clone <this repository> lead-maintenance && cd lead-maintenance',
      'npm install && npm start',
      'xdg-open data/reports/latest/report.html',
      'npm start',
      'npm test',
    ]);
    // npm's own lines (install, build) come before the tool's.
    const printed = (segment: string): string[] =>
      segment
        .split('\n')
        .slice(1, -1)
        .filter((l) => !/^(added|> )/.test(l));
    expectRan(runs[0], 'the first npm start');
    expect(transcriptMismatches(printed(segments[1]), runs[0].output), 'the first run').to.deep.equal([]);
    expect(fs.existsSync(path.join(dir, 'data', 'reports', 'latest', 'report.html')), 'the report xdg-open opens').to.equal(true);
    expectRan(runs[1], 'the second npm start');
    expect(transcriptMismatches(printed(segments[3]), runs[1].output), 'the second run').to.deep.equal([]);
  });
});
