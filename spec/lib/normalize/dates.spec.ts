import { expect } from 'chai';
import fc from 'fast-check';
import { canonicalDate, canonicalDateTime } from '../../../lib/normalize/index.js';
import { canonicalEpoch, dateTimeThroughParser } from '../../../lib/normalize/dates.js';
import { checkVectors, type Vector } from './vectors.js';

const dates: Vector[] = [
  ['2025-08-14', '2025-08-14'],
  ['2025-8-4', '2025-08-04'],
  ['2025/08/14', '2025-08-14'],
  ['2025-08-14T09:30:00', '2025-08-14'],
  ['2025-08-14 23:59:59', '2025-08-14'],
  ['2025-08-14T23:30:00-05:00', '2025-08-14'],
  ['2025-08-14T09:30:00.123456Z', '2025-08-14'],
  ['08/14/2025', '2025-08-14'],
  ['8/4/2025', '2025-08-04'],
  ['08-14-2025', '2025-08-14'],
  ['08/14/2025 3:05 PM', '2025-08-14'],
  [' 2025-08-14 ', '2025-08-14'],
  ['2024-02-29', '2024-02-29'],
  ['2025-02-29', null, ['invalid_date']],
  ['2025-13-01', null, ['invalid_date']],
  ['2025-00-10', null, ['invalid_date']],
  ['14/08/2025', null, ['invalid_date']],
  ['yesterday', null, ['invalid_date']],
  ['Aug 14, 2025', '2025-08-14'],
  ['2025-08-14T25:00:00', null, ['invalid_date']],
  ['20250814', null, ['invalid_date']],
  ['2'.repeat(500), null, ['invalid_date']],
  ['March 4, 2025', '2025-03-04'],
  ['Tuesday, March 4, 2025', '2025-03-04'],
  ["Mar 4 '25", '2025-03-04'],
  ['4 March 2025', '2025-03-04'],
  ['4 mars 2025', '2025-03-04'],
  ['le 1er mars 2025', '2025-03-01'],
  ['mardi 4 mars 2025', '2025-03-04'],
  ['4 déc. 2025', '2025-12-04'],
  ['1741046400', '2025-03-04'],
  ['1741046400000', '2025-03-04'],
  ['Mar 4', null, ['invalid_date']],
  ['4 mars', null, ['invalid_date']],
  ['next Friday', null, ['invalid_date']],
  ['Feb 29, 2025', null, ['invalid_date']],
  ['March 4, 2025 and March 5, 2025', null, ['invalid_date']],
  ['Meeting on March 4, 2025 at the office', null, ['invalid_date']],
  ['946684799', null, ['invalid_date']],
];

const times: Vector[] = [
  ['2025-08-14T09:30:00.000Z', '2025-08-14T09:30:00.000Z'],
  ['2025-08-14T09:30:00Z', '2025-08-14T09:30:00.000Z'],
  ['2025-08-14 09:30:00', '2025-08-14T09:30:00.000Z'],
  ['2025-08-14T09:30:00.123456', '2025-08-14T09:30:00.123Z'],
  ['2025-08-14T09:30', '2025-08-14T09:30:00.000Z'],
  ['2025-08-14T09:30:00-04:00', '2025-08-14T13:30:00.000Z'],
  ['2025-08-14T09:30:00+0200', '2025-08-14T07:30:00.000Z'],
  ['2025-08-14 22:30:00 -05:00', '2025-08-15T03:30:00.000Z'],
  ['2025-08-14 09:30:00 UTC', '2025-08-14T09:30:00.000Z'],
  ['2025-08-14', '2025-08-14T00:00:00.000Z'],
  ['08/14/2025 3:05 PM', '2025-08-14T15:05:00.000Z'],
  ['08/14/2025 12:00 AM', '2025-08-14T00:00:00.000Z'],
  ['08/14/2025 12:00 PM', '2025-08-14T12:00:00.000Z'],
  ['08/14/2025 14:05:09', '2025-08-14T14:05:09.000Z'],
  ['2025-12-31T23:59:59-01:00', '2026-01-01T00:59:59.000Z'],
  ['2025-08-14T09:60:00', null, ['invalid_date']],
  ['08/14/2025 13:00 PM', null, ['invalid_date']],
  ['not a time', null, ['invalid_date']],
  ['1755163800', '2025-08-14T09:30:00.000Z'],
  ['2025-08-14T09:30:00+25:00', null, ['invalid_date']],
  ['March 4, 2025 3:30 PM', '2025-03-04T15:30:00.000Z'],
  ['March 4, 2025 3:30 PM EST', '2025-03-04T20:30:00.000Z'],
  ['4 mars 2025 à 14h30', '2025-03-04T14:30:00.000Z'],
  ['4 mars 2025', '2025-03-04T00:00:00.000Z'],
  ['1741082400.5', '2025-03-04T10:00:00.500Z'],
  ['1741082400123', '2025-03-04T10:00:00.123Z'],
];

describe('canonicalEpoch', () => {
  it('reads numbers in date fields as Unix times in seconds or milliseconds, by their range', () => {
    expect(canonicalEpoch(1741082400, 'datetime')).to.deep.equal({ value: '2025-03-04T10:00:00.000Z', steps: ['epoch'], problems: [] });
    expect(canonicalEpoch(1741082400123, 'datetime').value).to.equal('2025-03-04T10:00:00.123Z');
    expect(canonicalEpoch(1741082400, 'date').value).to.equal('2025-03-04');
    expect(canonicalEpoch(1741082400123, 'date').value).to.equal('2025-03-04');
  });

  it('flags numbers outside both ranges (a day count, an Excel serial, YYYYMMDD) instead of guessing', () => {
    for (const n of [45720, 20250304, 0, -1741082400, 1741082400123.5, 99999999999999, Number.NaN]) {
      const result = canonicalEpoch(n, 'date');
      expect(result.value, String(n)).to.equal(undefined);
      expect(result.problems.map((p) => p.code)).to.deep.equal(['invalid_date']);
    }
  });
});

describe('canonicalDate', () => {
  checkVectors((v: string) => canonicalDate(v), dates);

  it('reads DD/MM/YYYY when day_month_order is day_first', () => {
    expect(canonicalDate('14/08/2025', 'day_first').value).to.equal('2025-08-14');
    expect(canonicalDate('03/04/2025', 'day_first').value).to.equal('2025-04-03');
    expect(canonicalDate('03/04/2025', 'month_first').value).to.equal('2025-03-04');
  });
});

describe('canonicalDateTime', () => {
  checkVectors((v: string) => canonicalDateTime(v), times);

  it('gives its own output back unchanged, and the same moment (property)', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }), (date) => {
        const iso = date.toISOString();
        expect(canonicalDateTime(iso).value).to.equal(iso);
        const naive = iso.replace('T', ' ').replace(/\.\d+Z$/, '');
        const once = canonicalDateTime(naive).value!;
        expect(canonicalDateTime(once).value).to.equal(once);
        expect(canonicalDate(once).value).to.equal(iso.slice(0, 10));
      }),
      { seed: 17, numRuns: 500 },
    );
  });

  it('answers as the general parser does for every text of the canonical shape, impossible days and years below 100 included (property)', () => {
    const n = (max: number, width: number) => fc.integer({ min: 0, max }).map((v) => String(v).padStart(width, '0'));
    const year = fc.oneof(n(9999, 4), fc.constantFrom('0000', '0099', '0100', '1900', '2000', '2024', '2100'));
    const shaped = fc
      .tuple(year, n(13, 2), n(32, 2), n(24, 2), n(60, 2), n(60, 2), n(999, 3))
      .map(([y, mo, d, h, mi, s, ms]) => `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
    const leapDays = fc
      .tuple(fc.integer({ min: 1896, max: 2404 }), fc.constantFrom('02-28', '02-29', '02-30', '04-31', '12-31'))
      .map(([y, day]) => `${y}-${day}T12:00:00.000Z`);
    fc.assert(
      fc.property(fc.oneof(shaped, leapDays), (text) => {
        expect(canonicalDateTime(text), text).to.deep.equal(dateTimeThroughParser(text));
      }),
      { seed: 23, numRuns: 5000 },
    );
  });
});
