import { expect } from 'chai';
import { contradicts, fieldSimilarity, LEAD_WEIGHTS, namesAgree, scorePair, type Profile } from '../../../lib/match/similarity.js';
import { UnionFind } from '../../../lib/match/union-find.js';

describe('match/similarity', () => {
  it('agrees on names with a typo, a swapped pair of letters or an initial, and not on other people', () => {
    expect(namesAgree('john lapointe', 'jhn lapointe')).to.equal(true);
    expect(namesAgree('jacob kowalski', 'jacbo kowalski')).to.equal(true);
    expect(namesAgree('j smith', 'john smith')).to.equal(true);
    expect(namesAgree('anthony khan', 'anthony kumar')).to.equal(false);
    expect(namesAgree('carter mary', 'carter melanie')).to.equal(false);
  });

  it('compares emails, phones and domains for equality only, text by Levenshtein ratio', () => {
    expect(fieldSimilarity('phone', '+15145550142', '+15145550143')).to.equal(0);
    expect(fieldSimilarity('company_website', 'voxa.ca', 'voxa.ca')).to.equal(1);
    expect(fieldSimilarity('company', 'voxa', 'voxi')).to.equal(0.75);
  });

  it('scores a pair by the weighted fields both have, and 0 when they share too little', () => {
    const a: Profile = { f: { name: 'helene lewis', company: 'vipix', phone: '+14164346477' } };
    const b: Profile = { f: { name: 'helene leiws', company: 'vipix', phone: '+14164346477' } };
    expect(scorePair(a, b, LEAD_WEIGHTS)).to.be.closeTo((4 * (10 / 12) + 3 + 2) / 9, 1e-9);
    // A company and its website describe everyone who works there.
    expect(scorePair({ f: { company: 'vipix', company_website: 'vipix.io' } }, { f: { company: 'vipix', company_website: 'vipix.io' } }, LEAD_WEIGHTS)).to.equal(0);
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

describe('match/union-find', () => {
  it('joins sets transitively with the smallest member as root, whatever the order of unions', () => {
    const sets = new UnionFind();
    for (let i = 0; i < 3000; i++) sets.add();
    expect(sets.union(2999, 5)).to.equal(5);
    expect(sets.union(7, 2999)).to.equal(5);
    expect(sets.union(5, 7)).to.equal(-1);
    expect([sets.find(7), sets.find(2999), sets.find(6)]).to.deep.equal([5, 5, 6]);
  });
});
