import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../../lib/core/errors.js';
import { parseDecisions, readDecisionsFile } from '../../../lib/review/decisions-file.js';
import { tempDir } from '../../helpers.js';

const V = '0123456789abcdef';
const W = 'fedcba9876543210';

function problems(text: string): string[] {
  try {
    parseDecisions(text, 'decisions.json');
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).message.split('\n');
  }
  throw new Error('the file was accepted');
}

const file = (decisions: unknown[]): string => JSON.stringify({ format: 'lead-maintenance-decisions', version: 1, decisions }, null, 2);

describe('the decisions file', () => {
  it('reads every kind of decision, numbered in file order', () => {
    const decisions = parseDecisions(
      file([
        {
          type: 'duplicates',
          records: ['local:1', 'local:2'],
          seen: { 'local:1': V, 'local:2': W },
          action: 'merge',
          survivor: 'local:1',
          values: { email: { from: 'local:2' }, title: { value: 'CEO' } },
        },
        { type: 'duplicates', records: ['local:3', 'airtable:recB'], seen: { 'local:3': V, 'airtable:recB': W }, action: 'not_duplicates', note: 'two people' },
        { type: 'conflict', local: '4', airtable: 'recC', field: 'phone', seen: { 'local:4': V, 'airtable:recC': W }, choice: 'value', value: '+15145550100' },
      ]),
      'decisions.json',
    );
    expect(decisions.map((d) => [d.number, d.type, 'action' in d ? d.action : d.choice])).to.deep.equal([
      [1, 'duplicates', 'merge'],
      [2, 'duplicates', 'not_duplicates'],
      [3, 'conflict', 'value'],
    ]);
  });

  it('gives a JSON syntax error its line and column', () => {
    expect(problems('{\n  "format": "lead-maintenance-decisions",\n  "version": 1\n  "decisions": []\n}')).to.deep.equal([
      "decisions.json:4:3 JSON syntax: Expected ',' or '}' after property value; a decisions file is JSON (see config/decisions.schema.json)",
    ]);
    expect(problems('{ "format": "lead-maintenance-decisions", "decisions": [')[0]).to.match(/^decisions\.json:1:\d+ JSON syntax: /);
  });

  it('points at each value that breaks the schema and says how to fix it', () => {
    const text = file([
      { type: 'duplicates', records: ['local:1', 'lokal:2'], seen: { 'local:1': 'abc' }, action: 'merge' },
      { type: 'conflict', local: '1', airtable: 'recA', field: 'title', seen: {}, choice: 'theirs', colour: 'red' },
    ]).replace('"version": 1', '"version": 2');
    expect(problems(text)).to.deep.equal([
      'decisions.json:3:14 version: this reader knows decisions version 1 only; write "version": 1 (a newer version needs a newer lead-maintenance)',
      'decisions.json:5:5 decisions[0]: "survivor" is missing: a merge names the record that stays: "survivor": one of "records"',
      'decisions.json:9:9 decisions[0].records[1]: a record is named `local:<id>` or `airtable:<record id>`, as in the review line\'s "versions"',
      'decisions.json:12:20 decisions[0].seen.local:1: a version is 16 hex digits, as in the review line\'s "versions": copy it from there',
      'decisions.json:22:17 decisions[1].choice: must be one of "local", "airtable", "value"',
      'decisions.json:23:7 decisions[1].colour: unknown key "colour": remove it (config/decisions.schema.json lists the keys of each kind of decision)',
    ]);
  });

  it('checks what the schema cannot: seen names exactly the records, the survivor and sources are members, each record is decided once', () => {
    const lines = problems(
      file([
        {
          type: 'duplicates',
          records: ['local:1', 'local:2'],
          seen: { 'local:1': V, 'local:9': V },
          action: 'merge',
          survivor: 'local:5',
          values: { email: { from: 'local:3' } },
        },
        { type: 'duplicates', records: ['local:1', 'local:4'], seen: { 'local:1': V, 'local:4': V }, action: 'not_duplicates', survivor: 'local:1' },
        { type: 'conflict', local: '7', airtable: 'recA', field: 'title', seen: { 'local:7': V, 'airtable:recA': V }, choice: 'local', value: 'x' },
      ]),
    );
    expect(lines.map((l) => l.replace(/^decisions\.json:\d+:\d+ /, ''))).to.deep.equal([
      `decisions[0].seen: no version for local:2: copy the review line's "versions" into "seen"`,
      'decisions[0].seen.local:9: local:9 is not a record of this decision; "seen" gives the versions of local:1, local:2 only',
      'decisions[0].survivor: the survivor must be one of "records" (local:1, local:2)',
      'decisions[0].values.email.from: "from" must be one of "records" (local:1, local:2)',
      'decisions[1].records: local:1 is already in decision 1; decide about each record once',
      'decisions[1].survivor: "survivor" goes with "action": "merge"; remove it, or make the action merge',
      'decisions[2].value: "value" goes with "choice": "value"; remove it, or make the choice value',
    ]);
    expect(lines.every((l) => /^decisions\.json:\d+:\d+ /.test(l))).to.equal(true);
  });

  it('reports every problem at once: a schema error in one decision does not hide what is wrong with the others', () => {
    const lines = problems(
      file([
        { type: 'duplicates', records: ['local:1', 'local:2'], seen: { 'local:1': V, 'local:2': V }, action: 'merge', survivor: 'local:1', colour: 'red' },
        { type: 'duplicates', records: ['local:3', 'local:4'], seen: { 'local:3': V, 'local:4': V }, action: 'merge', survivor: 'local:5' },
        { type: 'duplicates', records: ['local:3', 'local:6'], seen: { 'local:3': V, 'local:6': V }, action: 'not_duplicates' },
      ]).replace('"version": 1', '"version": 2'),
    );
    expect(lines.map((l) => l.replace(/^decisions\.json:\d+:\d+ /, '').replace(/:.*$/, ''))).to.deep.equal([
      'version',
      'decisions[0].colour',
      'decisions[1].survivor',
      'decisions[2].records',
    ]);
  });

  it('refuses a key given twice in one object', () => {
    const text = file([{ type: 'duplicates', records: ['local:1', 'local:2'], seen: { 'local:1': V, 'local:2': V }, action: 'not_duplicates' }]).replace(
      '"action": "not_duplicates"',
      '"action": "merge", "action": "not_duplicates"',
    );
    expect(problems(text)).to.deep.equal(['decisions.json:15:26 this key is given twice in one object; keep one']);
  });

  it('says which file is missing, and reads one that starts with a byte-order mark', () => {
    const dir = tempDir();
    expect(() => readDecisionsFile(path.join(dir, 'none.json'), 'none.json')).to.throw(ConfigError, 'cannot read none.json: no such file');
    const bom = path.join(dir, 'bom.json');
    fs.writeFileSync(bom, `\uFEFF${file([])}`);
    expect(readDecisionsFile(bom)).to.deep.equal([]);
  });
});
