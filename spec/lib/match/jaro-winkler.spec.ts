import { expect } from 'chai';
import { jaroWinkler } from '../../../lib/match/jaro-winkler.js';

describe('match/jaro-winkler', () => {
  it('gives the published reference values (Winkler 1990)', () => {
    expect(jaroWinkler('MARTHA', 'MARHTA')).to.be.closeTo(0.961, 0.001);
    expect(jaroWinkler('DWAYNE', 'DUANE')).to.be.closeTo(0.84, 0.001);
    expect(jaroWinkler('DIXON', 'DICKSONX')).to.be.closeTo(0.813, 0.001);
    expect(jaroWinkler('JELLYFISH', 'SMELLYFISH')).to.be.closeTo(0.896, 0.001);
  });

  it('is 1 for equal words, 0 when no letter matches or a word is empty, and the same both ways', () => {
    expect(jaroWinkler('ada', 'ada')).to.equal(1);
    expect(jaroWinkler('ann', 'bob')).to.equal(0);
    expect(jaroWinkler('', 'bob')).to.equal(0);
    expect(jaroWinkler('dwayne', 'duane')).to.equal(jaroWinkler('duane', 'dwayne'));
  });
});
