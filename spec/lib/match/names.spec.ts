import { expect } from 'chai';
import { nameSimilarity, namesAgree } from '../../../lib/match/names.js';
import { fieldSimilarity } from '../../../lib/match/similarity.js';

describe('match/names', () => {
  it('agrees on names with a typo, a swapped pair of letters or an initial, and not on other people', () => {
    expect(namesAgree('john lapointe', 'jhn lapointe')).to.equal(true);
    expect(namesAgree('jacob kowalski', 'jacbo kowalski')).to.equal(true);
    expect(namesAgree('j smith', 'john smith')).to.equal(true);
    expect(namesAgree('anthony khan', 'anthony kumar')).to.equal(false);
    expect(namesAgree('carter mary', 'carter melanie')).to.equal(false);
  });

  it('agrees when the shorter name is part of the longer one, in any order, and not when a token has no match', () => {
    expect(namesAgree('lapointe', 'john lapointe')).to.equal(true);
    expect(namesAgree('lapointe john', 'john lapointe')).to.equal(true);
    expect(namesAgree('john smith', 'john paul smith')).to.equal(true);
    expect(namesAgree('mary smith', 'john paul smith')).to.equal(false);
  });

  it('scores two names by their edit distance over the longer length, 1 when equal', () => {
    expect(nameSimilarity('ada lovelace', 'ada lovelace')).to.equal(1);
    expect(nameSimilarity('helene lewis', 'helene leiws')).to.be.closeTo(10 / 12, 1e-9);
    expect(nameSimilarity('jhn', 'john')).to.equal(0.75);
    expect(nameSimilarity('ann', 'bob')).to.equal(0);
  });

  it('is the comparison the fuzzy score uses for the name field', () => {
    for (const [a, b] of [
      ['helene lewis', 'helene leiws'],
      ['jhn lapointe', 'john lapointe'],
      ['ann lee', 'ann lee'],
    ] as const) {
      expect(fieldSimilarity('name', a, b)).to.equal(nameSimilarity(a, b));
    }
  });
});
