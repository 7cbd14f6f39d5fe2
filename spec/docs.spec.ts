import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { configMarkdown, stagesMarkdown } from '../lib/core/describe.js';
import { EXIT_CODES, exitCodesMarkdown, TOOLS } from '../lib/core/exit-codes.js';
import { COMMON_OPTIONS } from '../lib/core/options.js';
import { stages } from '../stages/index.js';
import type { OptionSpec } from '../lib/core/stage.js';
import { ROOT } from './helpers.js';

const README = path.join(ROOT, 'README.md');
const START = '<!-- stages:start -->\n';
const END = '<!-- stages:end -->';

/** Checks (or with UPDATE_DOCS=1 rewrites) the README's generated section between `<!-- name:start/end -->`. */
function generatedSection(name: string, content: string): void {
  const start = `<!-- ${name}:start -->\n`;
  const end = `<!-- ${name}:end -->`;
  const text = fs.readFileSync(README, 'utf8');
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  expect(from, `README has the ${name} markers`).to.be.greaterThan(-1);
  if (process.env.UPDATE_DOCS) fs.writeFileSync(README, text.slice(0, from + start.length) + content + text.slice(to));
  const now = fs.readFileSync(README, 'utf8');
  expect(now.slice(now.indexOf(start) + start.length, now.indexOf(end))).to.equal(content);
}

describe('documentation', () => {
  for (const stage of Object.values(stages)) {
    it(`${stage.name}: has a one-sentence summary and a description for every option`, () => {
      expect(stage.summary, 'summary').to.match(/^[A-Z].{10,}\.$/s);
      for (const [name, spec] of Object.entries({ ...stage.options, ...COMMON_OPTIONS } as Record<string, OptionSpec>)) {
        expect(spec.description, `${stage.name}.${name}`)
          .to.be.a('string')
          .and.match(/^[A-Z`].{5,}\.$/s);
      }
    });
  }

  it('the README stage table equals `run-pipeline --list-stages --markdown` (UPDATE_DOCS=1 rewrites it)', () => {
    const text = fs.readFileSync(README, 'utf8');
    const start = text.indexOf(START);
    const end = text.indexOf(END);
    expect(start, 'README has the stages markers').to.be.greaterThan(-1);
    const table = stagesMarkdown();
    if (process.env.UPDATE_DOCS) fs.writeFileSync(README, text.slice(0, start + START.length) + table + text.slice(end));
    expect(fs.readFileSync(README, 'utf8').slice(start + START.length, fs.readFileSync(README, 'utf8').indexOf(END))).to.equal(table);
  });

  it('the README configuration table lists every key of config/maintenance.yaml and the options it feeds (UPDATE_DOCS=1 rewrites it)', () => {
    generatedSection('config', configMarkdown());
  });

  it('the README shows `db-maintenance --help` as it is (UPDATE_DOCS=1 rewrites it)', () => {
    const help = execFileSync(process.execPath, [path.join(ROOT, 'dist', 'bin', 'db-maintenance.js'), '--help'], { encoding: 'utf8' });
    generatedSection('db-maintenance', '```text\n' + help + '```\n');
  });

  it('the README exit-code table is the one table every tool returns its codes from (UPDATE_DOCS=1 rewrites it)', () => {
    generatedSection('exit-codes', exitCodesMarkdown());
  });

  for (const tool of TOOLS) {
    it(`\`${tool} --help\` lists exactly the exit codes the table gives it`, () => {
      const help = execFileSync(process.execPath, [path.join(ROOT, 'dist', 'bin', `${tool}.js`), '--help'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const listed = help.slice(help.indexOf('Exit codes:')).match(/^ {2}\d+ /gm) ?? [];
      const expected = Object.values(EXIT_CODES)
        .filter((entry) => (entry.tools as readonly string[]).includes(tool))
        .map((entry) => entry.code);
      expect(listed.map(Number)).to.deep.equal(expected);
    });
  }

  it('the README starts with the main job and the test command', () => {
    const text = fs.readFileSync(README, 'utf8');
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(text)?.[1] ?? '';
    expect(firstBlock).to.contain('npm start');
    expect(firstBlock).to.contain('npm test');
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.start).to.be.a('string');
    expect(pkg.scripts.test).to.be.a('string');
  });

  it('shows only images the repository holds (a fresh clone has them; spec/artifacts/ is not committed)', () => {
    const images = [...fs.readFileSync(README, 'utf8').matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((src) => !/^https?:/.test(src));
    expect(images, 'the README shows the review page').to.include('docs/review-page.png');
    const tracked = new Set(execFileSync('git', ['ls-files', '--', ...images], { cwd: ROOT, encoding: 'utf8' }).split('\n'));
    for (const image of images) expect(tracked.has(image), `${image} is committed`).to.equal(true);
  });
});

describe('package', () => {
  it('declares every command as a built file that starts with a node shebang', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.bin)).to.include.members(['run-pipeline', 'run-stage']);
    for (const [name, file] of Object.entries(pkg.bin as Record<string, string>)) {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      expect(text.startsWith('#!/usr/bin/env node\n'), name).to.equal(true);
    }
  });

  it('pins better-sqlite3 to 12 (13 crashes on Node 20)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.dependencies['better-sqlite3']).to.match(/^\^12\./);
  });
});
