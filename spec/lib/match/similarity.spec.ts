import { expect } from 'chai';
import { nameSimilarity } from '../../../lib/match/names.js';
import { contradicts, fieldSimilarity, LEAD_WEIGHTS, scorePair, type Profile } from '../../../lib/match/similarity.js';

describe('match/similarity', () => {
  it('compares emails, phones and domains for equality only, text by Levenshtein ratio', () => {
    expect(fieldSimilarity('phone', '+15145550142', '+15145550143')).to.equal(0);
    expect(fieldSimilarity('company_website', 'voxa.ca', 'voxa.ca')).to.equal(1);
    expect(fieldSimilarity('company', 'voxa', 'voxi')).to.equal(0.75);
  });

  it('scores a pair by the weighted fields both have, and 0 when they share too little', () => {
    const a: Profile = { f: { name: 'helene lewis', company: 'vipix', phone: '+14164346477' } };
    const b: Profile = { f: { name: 'helene leiws', company: 'vipix', phone: '+14164346477' } };
    // The name's share is whatever names.ts makes of the two names.
    expect(scorePair(a, b, LEAD_WEIGHTS)).to.be.closeTo((4 * nameSimilarity('helene lewis', 'helene leiws') + 3 + 2) / 9, 1e-9);
    // A company and its website describe everyone who works there.
    expect(
      scorePair({ f: { company: 'vipix', company_website: 'vipix.io' } }, { f: { company: 'vipix', company_website: 'vipix.io' } }, LEAD_WEIGHTS),
    ).to.equal(0);
    expect(scorePair({ f: { name: 'ada lovelace' } }, { f: { name: 'ada lovelace' } }, LEAD_WEIGHTS)).to.equal(0);
  });

  it('rules out pairs with different LinkedIn profiles or work emails whatever their score', () => {
    const same = { name: 'ada lovelace', company: 'engines' };
    expect(contradicts({ f: same, li: 'ada-1' }, { f: same, li: 'ada-2' })).to.equal(true);
    expect(contradicts({ f: same, em: 'ada@engines.io' }, { f: same, em: 'a.lovelace@engines.io' })).to.equal(true);
    expect(contradicts({ f: same, li: 'ada-1' }, { f: same })).to.equal(false);
    expect(scorePair({ f: same, li: 'ada-1' }, { f: same, li: 'ada-2' }, LEAD_WEIGHTS)).to.equal(0);
  });
});
