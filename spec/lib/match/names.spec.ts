import { expect } from 'chai';
import fs from 'node:fs';
import { fold, nameKey } from '../../../lib/match/keys.js';
import { nameSimilarity, namesAgree } from '../../../lib/match/names.js';
import { fieldSimilarity, LEAD_WEIGHTS, scorePair } from '../../../lib/match/similarity.js';
import { ROOT } from '../../helpers.js';

/** The two names as their match keys, as the engine compares them. */
const agree = (a: string, b: string): boolean => namesAgree(nameKey(a)!, nameKey(b)!);
const similarity = (a: string, b: string): number => nameSimilarity(nameKey(a)!, nameKey(b)!);

describe('match/names', () => {
  it('agrees on names with a typo, a swapped pair of letters or an initial, and not on other people', () => {
    expect(namesAgree('john lapointe', 'jhn lapointe')).to.equal(true);
    expect(namesAgree('jacob kowalski', 'jacbo kowalski')).to.equal(true);
    expect(namesAgree('j smith', 'john smith')).to.equal(true);
    expect(namesAgree('anthony khan', 'anthony kumar')).to.equal(false);
    expect(namesAgree('carter mary', 'carter melanie')).to.equal(false);
  });

  it('gives the same answer whichever name comes first', () => {
    expect(namesAgree('omer o brien', 'zoe o brien')).to.equal(false);
    expect(namesAgree('zoe o brien', 'omer o brien')).to.equal(false);
    for (const [a, b] of [
      ['j smith', 'john smith'],
      ['aa x sanchez', 'ama x sanchez'],
      ['anthony khan', 'anthony kumar'],
      ['marie o neil', 'mark o neil'],
    ]) {
      expect(namesAgree(a!, b!), `${a} / ${b}`).to.equal(namesAgree(b!, a!));
    }
  });

  it('agrees when the shorter name is part of the longer one, in any order, and not when a token has no match', () => {
    expect(namesAgree('lapointe', 'john lapointe')).to.equal(true);
    expect(namesAgree('lapointe john', 'john lapointe')).to.equal(true);
    expect(namesAgree('john smith', 'john paul smith')).to.equal(true);
    expect(namesAgree('mary smith', 'john paul smith')).to.equal(false);
  });

  it('agrees on a letter dropped from a short first name, but not on another short name', () => {
    expect(agree('Aa X. Sanchez', 'Ama X. Sanchez')).to.equal(true);
    expect(agree('Jo Martin', 'Joe Martin')).to.equal(true);
    expect(agree('Kim Lee', 'Tim Lee')).to.equal(false);
    expect(agree('Al Lee', 'Eli Lee')).to.equal(false);
  });

  it('agrees on a nickname and the name it stands for, French ones and initials of a compound name too', () => {
    for (const [nickname, name] of [
      ['Bob Smith', 'Robert Smith'],
      ['Bill Carter', 'William Carter'],
      ['Kate Roy', 'Katherine Roy'],
      ['Jim Lee', 'James Lee'],
      ['Liz Gagnon', 'Elizabeth Gagnon'],
      ['Pat Kelly', 'Patrick Kelly'],
      ['Mike Chen', 'Michael Chen'],
      ['Alex Morin', 'Alexander Morin'],
      ['Dave Wong', 'David Wong'],
      ['Tom Hart', 'Thomas Hart'],
      ['Seb Côté', 'Sébastien Côté'],
      ['JF Tremblay', 'Jean-François Tremblay'],
      ['JP Roy', 'Jean Pierre Roy'],
      ['Bob Smith', 'Rob Smith'],
    ]) {
      expect(agree(nickname, name), `${nickname} / ${name}`).to.equal(true);
      expect(similarity(nickname, name), `${nickname} / ${name}`).to.be.at.least(0.85);
    }
  });

  it('keeps namesakes apart: a nickname joins no two names that share it, nor two other people', () => {
    expect(agree('Bob Smith', 'William Smith')).to.equal(false);
    expect(agree('Christopher Lee', 'Christina Lee')).to.equal(false);
    expect(agree('Samuel Roy', 'Samantha Roy')).to.equal(false);
    expect(agree('Michael Lee', 'Michelle Lee')).to.equal(false);
    expect(agree('Anthony Khan', 'Anthony Kumar')).to.equal(false);
    expect(agree('Mary Carter', 'Mélanie Carter')).to.equal(false);
    expect(agree('JF Tremblay', 'Jean Tremblay')).to.equal(false);
  });

  it('scores names word by word in any order, so a typo in one word costs little and an unrelated word much', () => {
    expect(nameSimilarity('ada lovelace', 'ada lovelace')).to.equal(1);
    expect(nameSimilarity('ann', 'bob')).to.equal(0);
    expect(similarity('Pierre Pnea', 'Pierre Pena')).to.be.at.least(0.85);
    expect(similarity('Helene Lewis', 'Helene Leiws')).to.be.at.least(0.85);
    expect(similarity('Tremblay, Jean', 'Jean Tremblya')).to.be.at.least(0.85);
    expect(similarity('Aa X. Sanchez', 'Ama X. Sanchez')).to.be.at.least(0.85);
    // One letter changed beside a repeated one, which Jaro-Winkler reads as transpositions.
    expect(similarity('Zoë Tanaka', 'Zoë Tnnaka')).to.be.at.least(0.85);
    expect(similarity('Éric Paquette', 'Ã‰ric Pequette')).to.be.at.least(0.85);
    expect(similarity('Mark Smith', 'Mary Smith'), 'a letter of a short name is another name').to.be.below(0.85);
    expect(similarity('Anthony Khan', 'Anthony Kumar')).to.be.below(0.7);
    expect(similarity('Mary Carter', 'Mélanie Carter')).to.be.below(0.7);
  });

  it('ranks a typo and a nickname above an initial, an initial above a missing name, and that above another name', () => {
    const typo = similarity('Robert Smith', 'Robret Smith');
    const nickname = similarity('Robert Smith', 'Bob Smith');
    const initial = similarity('Robert Smith', 'R Smith');
    const missing = similarity('Robert Smith', 'Smith');
    const other = similarity('Robert Smith', 'Gilles Smith');
    expect(Math.min(typo, nickname)).to.be.above(initial);
    expect(initial).to.be.above(missing);
    expect(missing).to.be.above(other);
  });

  it('lets two records of one person with a typo in the surname reach the threshold on name and company', () => {
    const profile = (name: string) => ({ f: { name: nameKey(name)!, company: 'voxa' } });
    expect(scorePair(profile('Pierre Pnea'), profile('Pierre Pena'), LEAD_WEIGHTS)).to.be.at.least(0.85);
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

  it('reads its nicknames from a data file of folded names, one word per nickname', () => {
    const table = JSON.parse(fs.readFileSync(`${ROOT}/lib/match/nicknames.json`, 'utf8')) as Record<string, string[]>;
    expect(Object.keys(table).length).to.be.at.least(50);
    for (const [name, nicknames] of Object.entries(table)) {
      expect(fold(name), name).to.equal(name);
      for (const nickname of nicknames) expect(nickname, name).to.match(/^[a-z]+$/);
    }
  });
});
