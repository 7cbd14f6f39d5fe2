import { expect } from 'chai';
import { jaroWinkler } from '../../../../lib/match/jaro-winkler.js';
import { COMPARISON_TYPES, comparisonOf } from '../../../../lib/match/model/comparisons.js';

const levelName = (type: string, a: string, b: string): string => {
  const comparison = comparisonOf(type);
  return comparison.levels[comparison.level(a, b)]!;
};

describe('match/model/comparisons', () => {
  it('computes Jaro-Winkler as published (MARTHA/MARHTA, DWAYNE/DUANE, DIXON/DICKSONX)', () => {
    expect(jaroWinkler('martha', 'marhta')).to.be.closeTo(0.961, 0.001);
    expect(jaroWinkler('dwayne', 'duane')).to.be.closeTo(0.84, 0.001);
    expect(jaroWinkler('dixon', 'dicksonx')).to.be.closeTo(0.813, 0.001);
    expect(jaroWinkler('abc', '')).to.equal(0);
  });

  it('orders name levels from exact to different, whatever the case, the spacing or the order of the tokens', () => {
    expect(levelName('name', 'Ada  Lovelace', 'ada lovelace')).to.equal('exact');
    expect(levelName('name', 'lovelace ada', 'ada lovelace')).to.equal('same tokens');
    expect(levelName('name', 'pierre pnea', 'pierre pena')).to.equal('close');
    expect(levelName('name', 'wilde', 'sebastian wilde')).to.equal('part of the other');
    expect(levelName('name', 'ada lovelace', 'bob marley')).to.equal('different');
  });

  it('finds a date one digit off, and an address with a typo and a missing part close', () => {
    expect(levelName('date', '19560409', '19560408')).to.equal('one digit off');
    expect(levelName('date', '1956-04-09', '19560409')).to.equal('exact');
    expect(levelName('date', '19560409', '20011231')).to.equal('different');
    expect(levelName('address', '7 wallaby place delmar cleveland 2119 sa', '7 walaby place cleveland 2119 sa')).to.equal('close');
    expect(levelName('address', '7 wallaby place delmar cleveland 2119 sa', '12 pinkerton circuit richlands 4560 vic')).to.equal('different');
  });

  it('compares phones by their digits, identifiers, emails and URLs exactly', () => {
    expect(levelName('phone', '+1 (514) 555-0142', '15145550142')).to.equal('exact');
    expect(levelName('phone', '+1 514 555 0142', '+33 514 555 0142')).to.equal('same last 7 digits');
    expect(levelName('exact', 'A-17', 'a-17')).to.equal('exact');
    // An identifier typed by hand: a digit swapped or mistyped.
    expect(levelName('exact', '4817613', '4816613')).to.equal('one character off');
    expect(levelName('exact', '6794161', '6794611')).to.equal('one character off');
    expect(levelName('exact', '6794161', '1234567')).to.equal('different');
    expect(levelName('email', 'ada@x.io', 'ada@y.io')).to.equal('different');
    expect(COMPARISON_TYPES).to.include.members(['exact', 'name', 'text', 'address', 'date', 'phone', 'email', 'url']);
  });

  it('names the known types when asked for an unknown one', () => {
    expect(() => comparisonOf('fuzzy')).to.throw('Unknown comparison type "fuzzy"; use one of exact, name, text, address, date, phone, email, url.');
  });
});
