import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './helpers.js';

/**
 * The spec run's order (.mocharc.jsonc): the slowest files by name first, then one pattern for all
 * the others that leaves those names out. A spec file whose base name is one of them but is not
 * listed itself would never run; one listed twice would run twice.
 */
describe('the spec run', () => {
  it('runs every spec file once: the slow files named first, every other one through the last pattern', () => {
    const text = fs.readFileSync(path.join(ROOT, '.mocharc.jsonc'), 'utf8').replace(/^\s*\/\/.*$/gm, '');
    const spec = (JSON.parse(text) as { spec: string[] }).spec;
    const named = spec.slice(0, -1);
    const rest = /^dist\/spec\/\*\*\/!\(([^)]+)\)\.spec\.js$/.exec(spec.at(-1)!);
    expect(rest, 'the last pattern: dist/spec/**/!(name|…).spec.js').to.not.equal(null);
    const specFiles = (dir: string): string[] =>
      fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
        const file = `${dir}/${entry.name}`;
        if (entry.isDirectory()) return specFiles(file);
        return entry.name.endsWith('.spec.ts') ? [file] : [];
      });
    const sources = specFiles('spec').map((file) => `dist/${file.replace(/\.ts$/, '.js')}`);
    const left = new Set(rest![1]!.split('|'));
    const baseName = (file: string): string => path.basename(file, '.spec.js');
    expect(new Set(named).size, 'no file named twice').to.equal(named.length);
    expect([...left].sort(), 'the names left out of the last pattern are the files named').to.deep.equal(named.map(baseName).sort());
    expect(
      sources.filter((file) => left.has(baseName(file)) && !named.includes(file)),
      'spec files left out and never named',
    ).to.deep.equal([]);
    expect(
      named.filter((file) => !sources.includes(file)),
      'named files that are not specs',
    ).to.deep.equal([]);
  });
});
