import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { COMMON_OPTIONS } from '../lib/core/options.js';
import type { OptionSpec } from '../lib/core/stage.js';
import * as library from '../lib/index.js';
import { stages } from '../stages/index.js';
import { ROOT } from './helpers.js';

/** Words of the team that wrote the tool, which mean nothing to a user: its specification's name and requirement numbers, its notes. */
const IN_HOUSE = [/\bthe seed\b/i, /\bseed's\b/i, /\bseed R\d/i, /\bR\d+\.\d+\b/, /\.\.\/shared\//];

/** What a user reads: the READMEs, the shipped configuration, the stages' summaries and option descriptions, every --help. */
function userFacingTexts(): [string, string][] {
  const files = [
    'README.md',
    'lib/airtable-emulator/README.md',
    'lib/airtable-emulator/DECISIONS.md',
    ...fs.readdirSync(path.join(ROOT, 'config')).map((f) => `config/${f}`),
  ];
  const texts: [string, string][] = files.map((file) => [file, fs.readFileSync(path.join(ROOT, file), 'utf8')]);
  for (const stage of Object.values(stages)) {
    texts.push([`${stage.name} summary`, stage.summary]);
    for (const [name, spec] of Object.entries({ ...stage.options, ...COMMON_OPTIONS } as Record<string, OptionSpec>))
      texts.push([`${stage.name}.${name}`, String(spec.description)]);
  }
  for (const bin of ['db-maintenance', 'run-pipeline', 'run-stage', 'airtable-emulator', 'create-sample-db', 'migrate-db']) {
    const help = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'bin', `${bin}.js`), '--help'], { encoding: 'utf8' });
    texts.push([`${bin} --help`, help.stdout + help.stderr]);
  }
  return texts;
}

describe('user-facing docs', () => {
  it('speak no in-house words (the specification the tool was built from, its requirement numbers, notes outside the repository)', () => {
    const found: string[] = [];
    for (const [where, text] of userFacingTexts())
      for (const word of IN_HOUSE) {
        const match = word.exec(text);
        if (match) found.push(`${where}: "${text.slice(Math.max(0, match.index - 30), match.index + 40).replace(/\s+/g, ' ')}"`);
      }
    expect(found).to.deep.equal([]);
  });

  it('the emulator README links only files in the repository and imports only what the package exports', () => {
    const dir = path.join(ROOT, 'lib', 'airtable-emulator');
    const text = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    const links = [...text.matchAll(/\]\(([^)#]+)\)/g)].map((m) => m[1]).filter((link) => !/^https?:/.test(link));
    for (const link of links) expect(fs.existsSync(path.resolve(dir, link)), link).to.equal(true);
    for (const [, names, from] of text.matchAll(/import \{([^}]+)\} from '([^']+)'/g)) {
      expect(from, 'examples import the package as a user does').to.equal('lead-maintenance');
      for (const name of names.split(',').map((n) => n.trim())) expect(Object.hasOwn(library, name), `${name} is exported by lead-maintenance`).to.equal(true);
    }
  });
});
