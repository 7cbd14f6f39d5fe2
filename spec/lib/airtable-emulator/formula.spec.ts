import { expect } from 'chai';
import { evaluate, isTruthy, parseFormula } from '../../../lib/airtable-emulator/formula.js';
import type { Env, Value } from '../../../lib/airtable-emulator/formula-functions.js';

const FIELDS: Record<string, Value> = {
  fldEmail: 'ada@example.com',
  fldName: '  Ada Lovelace ',
  fldCount: 3,
  fldEmpty: null,
  fldTags: ['a', 'b'],
  fldDate: '2025-08-13',
};
const NAMES: Record<string, string> = { Email: 'fldEmail', 'Full Name': 'fldName', Count: 'fldCount', Empty: 'fldEmpty', Tags: 'fldTags', Date: 'fldDate' };

const env: Env = {
  field: (id) => FIELDS[id] ?? null,
  recordId: 'recAAAAAAAAAAAAAA',
  createdTime: Date.parse('2025-01-01T00:00:00Z'),
  lastModified: (ids) => new Date(ids.includes('fldName') ? '2025-03-01T00:00:00Z' : '2025-06-01T00:00:00Z'),
  now: Date.parse('2025-09-01T12:00:00Z'),
};

function run(src: string): Value {
  return evaluate(
    parseFormula(src, (n) => NAMES[n] ?? (n.startsWith('fld') ? n : undefined)),
    env,
  );
}

function typeOfError(src: string): string {
  try {
    parseFormula(src, (n) => NAMES[n]);
  } catch (e: any) {
    return `${e.status} ${e.body.error.type}: ${e.body.error.message}`;
  }
  return 'no error';
}

describe('airtable emulator: filterByFormula subset', () => {
  it('compares fields by name or id with = and != against string and number literals', () => {
    expect(run("{Email} = 'ada@example.com'")).to.equal(true);
    expect(run('{fldEmail} = "ada@example.com"')).to.equal(true);
    expect(run("{Email} != 'ada@example.com'")).to.equal(false);
    expect(run('{Count} >= 3')).to.equal(true);
    expect(run('Count < 3')).to.equal(false);
    expect(run('{Count} <> 4')).to.equal(true);
  });

  it('treats a blank cell as equal to an empty string and to BLANK()', () => {
    expect(run("{Empty} = ''")).to.equal(true);
    expect(run('{Empty} = BLANK()')).to.equal(true);
    expect(run("{Email} = ''")).to.equal(false);
  });

  it('evaluates logic, text and concatenation functions', () => {
    expect(run("AND({Count} > 1, OR({Email} = 'x', TRUE()))")).to.equal(true);
    expect(run('NOT({Count})')).to.equal(false);
    expect(run("IF({Empty}, 'y', 'n')")).to.equal('n');
    expect(run("LOWER(TRIM({Full Name})) & '!'")).to.equal('ada lovelace!');
    expect(run('UPPER({Email})')).to.equal('ADA@EXAMPLE.COM');
    expect(run('LEN(TRIM({Full Name}))')).to.equal(12);
    expect(run("FIND('@', {Email})")).to.equal(4);
    expect(run("FIND('zz', {Email})")).to.equal(0);
    expect(run("SEARCH('example', {Email})")).to.equal(5);
    expect(run("SEARCH('EXAMPLE', {Email})")).to.equal(null);
    expect(run("FIND('b', ARRAYJOIN({Tags}))")).to.be.greaterThan(0);
    expect(run('{Count} * 2 + 1')).to.equal(7);
    expect(run('RECORD_ID()')).to.equal('recAAAAAAAAAAAAAA');
  });

  it('compares times with IS_AFTER, IS_BEFORE, LAST_MODIFIED_TIME and DATETIME_PARSE', () => {
    expect(run("IS_AFTER(LAST_MODIFIED_TIME(), '2025-05-31T23:59:59.000Z')")).to.equal(true);
    expect(run("IS_AFTER(LAST_MODIFIED_TIME({Full Name}), '2025-05-31T23:59:59.000Z')")).to.equal(false);
    expect(run("IS_BEFORE(CREATED_TIME(), DATETIME_PARSE('2025-02-01'))")).to.equal(true);
    expect(run("IS_AFTER({Date}, '2025-08-01')")).to.equal(true);
    expect(run("IS_SAME(NOW(), '2025-09-01T00:00:00Z', 'day')")).to.equal(true);
    expect(run("DATETIME_DIFF(NOW(), CREATED_TIME(), 'days')")).to.equal(243);
  });

  it('follows the filter rule: 0, false, empty text, NaN, empty arrays and blanks exclude', () => {
    for (const v of [0, false, '', NaN, [], null]) expect(isTruthy(v as Value), String(v)).to.equal(false);
    for (const v of [1, true, 'x', ['a'], new Date(0)]) expect(isTruthy(v as Value), String(v)).to.equal(true);
  });

  it('runs REGEX_MATCH in linear time, so a backtracking pattern answers at once, and refuses lookarounds as RE2 does', () => {
    // 25 letters take backtracking engines seconds (2^25 ways to split them); linear time, microseconds.
    FIELDS.fldName = `${'a'.repeat(25)}!`;
    try {
      const t0 = Date.now();
      expect(run("REGEX_MATCH({Full Name}, '^(a+)+$')")).to.equal(false);
      expect(run("REGEX_MATCH({Full Name}, '^(a|aa)+!$')")).to.equal(true);
      expect(Date.now() - t0).to.be.below(500);
    } finally {
      FIELDS.fldName = '  Ada Lovelace ';
    }
    expect(run("REGEX_MATCH({Email}, '^[a-z]+@example\\.com$')")).to.equal(true);
    expect(() => run("REGEX_MATCH({Email}, 'a(?=d)')")).to.throw('bad regex');
  });

  it('refuses bad syntax and unknown functions as INVALID_FILTER_BY_FORMULA', () => {
    const generic = '422 INVALID_FILTER_BY_FORMULA: The formula for filtering records is invalid: please check your formula text.';
    expect(typeOfError("{Email} = 'x")).to.equal(generic);
    expect(typeOfError('AND({Email}, ')).to.equal(generic);
    expect(typeOfError('FROBNICATE({Email})')).to.equal(generic);
    expect(typeOfError('{Email} = = 1')).to.equal(generic);
  });

  it('names every unknown field in the error', () => {
    expect(typeOfError("AND({Mail} = 'x', {Title})")).to.equal(
      '422 INVALID_FILTER_BY_FORMULA: The formula for filtering records is invalid: Unknown field names: Mail, Title',
    );
  });
});

describe('airtable emulator: times without an offset', () => {
  it('reads a date-time without offset as UTC whatever the machine zone', () => {
    expect(run("IS_SAME(DATETIME_PARSE('2025-03-01 10:00'), '2025-03-01T10:00:00.000Z')")).to.equal(true);
    expect(run("IS_AFTER(LAST_MODIFIED_TIME(), '2025-06-01T00:00:00')")).to.equal(false);
  });
});
