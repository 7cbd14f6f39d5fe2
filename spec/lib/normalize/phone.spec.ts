import { expect } from 'chai';
import fc from 'fast-check';
import { isCountryCode, toE164 } from '../../../lib/normalize/index.js';
import { checkVectors, type Vector } from './vectors.js';

const vectors: Vector<string | number>[] = [
  ['+15145551234', '+15145551234'],
  ['514-555-1234', '+15145551234'],
  ['(514) 555-1234', '+15145551234'],
  ['514.555.1234', '+15145551234'],
  ['514 555 1234', '+15145551234'],
  ['1 514 555 1234', '+15145551234'],
  ['+1 (514) 555-1234', '+15145551234'],
  ['  +1 514 555 1234  ', '+15145551234'],
  ['5145551234', '+15145551234'],
  [5145551234, '+15145551234'],
  ['416-555-0199', '+14165550199'],
  ['+33 1 42 68 53 00', '+33142685300'],
  ['+44 20 7946 0958', '+442079460958'],
  ['+1 514 555 1234 ext. 12', '+15145551234 ext. 12'],
  ['514-555-1234 x12', '+15145551234 ext. 12'],
  ['+15145551234 ext. 12', '+15145551234 ext. 12'],
  ['+1 514 555 1234', '+15145551234'],
  ['555-1234', null, ['invalid_phone']],
  ['123', null, ['invalid_phone']],
  ['not a phone', null, ['invalid_phone']],
  ['+1 000 000 0000', null, ['invalid_phone']],
  ['514-555-1234 / 514-555-9999', null, ['invalid_phone']],
  ['9'.repeat(300), null, ['invalid_phone']],
  ['+999 1234 5678', null, ['invalid_phone']],
  // Exports written in Europe: the international prefix 00 where + goes.
  ['001 514 555 1234', '+15145551234'],
  ['00 1 514 555 1234', '+15145551234'],
  ['0033 1 42 68 53 00', '+33142685300'],
  ['0044 20 7946 0958', '+442079460958'],
  ['00', null, ['invalid_phone']],
  // Québec exports write an extension as `poste`.
  ['514-555-1234 poste 204', '+15145551234 ext. 204'],
  ['(514) 555-1234 Poste 7', '+15145551234 ext. 7'],
  ['poste 12', null, ['invalid_phone']],
  ['514-555-1234 x12', '+15145551234 ext. 12'],
  ['514-555-1234,,22', '+15145551234 ext. 22'],
];

describe('toE164', () => {
  checkVectors((v: string | number) => toE164(v, 'CA'), vectors);

  it("reads numbers without a country code as the default country's", () => {
    expect(toE164('01 42 68 53 00', 'FR').value).to.equal('+33142685300');
    expect(toE164('020 7946 0958', 'GB').value).to.equal('+442079460958');
  });

  it("gives the same answer for a number seen before (the library's answers are remembered)", () => {
    for (const text of ['+33 1 42 68 53 00', '0033 1 42 68 53 00', '555-1234']) {
      const first = toE164(text, 'CA');
      expect(toE164(text, 'CA')).to.deep.equal(first);
      expect(toE164(` ${text}`, 'CA').value).to.equal(first.value);
    }
    expect(toE164('01 42 68 53 00', 'CA').value, 'remembered per default country').to.equal(undefined);
    expect(toE164('01 42 68 53 00', 'FR').value).to.equal('+33142685300');
  });

  it('knows real country codes only', () => {
    expect(isCountryCode('CA')).to.equal(true);
    expect(isCountryCode('US')).to.equal(true);
    expect(isCountryCode('XX')).to.equal(false);
    expect(isCountryCode('ca')).to.equal(false);
  });

  it('gives its own output back unchanged (property)', () => {
    const nanp = fc
      .tuple(fc.integer({ min: 200, max: 989 }), fc.integer({ min: 200, max: 999 }), fc.integer({ min: 0, max: 9999 }), fc.constantFrom('-', ' ', '.', ''))
      .map(([a, b, c, sep]) => `${a}${sep}${b}${sep}${String(c).padStart(4, '0')}`);
    fc.assert(
      fc.property(fc.oneof(nanp, fc.string()), (input) => {
        const once = toE164(input, 'CA');
        if (once.value === undefined) return;
        expect(toE164(once.value, 'CA').value).to.equal(once.value);
        expect(toE164(once.value, 'US').value, 'the country no longer matters').to.equal(once.value);
      }),
      { seed: 13, numRuns: 500 },
    );
  });
});
