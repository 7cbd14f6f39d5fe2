import { expect } from 'chai';
import { seededRandom } from '../../../../lib/core/random.js';
import { trainModel } from '../../../../lib/match/model/train.js';
import { matchProbability, type FieldSpec, type FieldValues } from '../../../../lib/match/model/weights.js';

const FIELDS: FieldSpec[] = [
  { field: 'name', type: 'name' },
  { field: 'dob', type: 'date' },
  { field: 'ssn', type: 'exact' },
];

/** 400 people, half of them twice: the copy has a typo in the name, and a tenth lose their date of birth. */
function people(): { records: FieldValues[]; twins: [number, number][] } {
  const random = seededRandom(3);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const word = (n: number) => Array.from({ length: n }, () => letters[Math.floor(random() * 26)]).join('');
  const firsts = ['john', 'mary', 'james', 'linda', 'ahmed', 'chloe', 'noah', 'ines'];
  const records: FieldValues[] = [];
  const twins: [number, number][] = [];
  for (let k = 0; k < 400; k++) {
    const surname = word(7);
    const person = {
      name: `${firsts[k % firsts.length]} ${surname}`,
      dob: `19${10 + Math.floor(random() * 89)}0${1 + Math.floor(random() * 9)}1${Math.floor(random() * 9)}`,
      ssn: String(1_000_000 + Math.floor(random() * 8_999_999)),
    };
    records.push(person);
    if (k % 2) continue;
    const copy: Record<string, string | undefined> = { ...person, name: `${firsts[k % firsts.length]} ${surname.slice(0, 3)}x${surname.slice(4)}` };
    if (k % 20 === 0) copy.dob = undefined;
    twins.push([records.length - 1, records.length]);
    records.push(copy);
  }
  return { records, twins };
}

describe('match/model/train', () => {
  const { records, twins } = people();
  const { model, sessions } = trainModel(records, FIELDS, { seed: 5 });

  it('learns from unlabelled records that an agreeing SSN or date of birth is strong evidence', () => {
    const [, dob, ssn] = model.fields;
    expect(ssn!.m[0]).to.be.greaterThan(0.95);
    // Random pairs include the few matches, which lifts u a little above one in 600.
    expect(ssn!.u[0]).to.be.lessThan(0.002);
    expect(dob!.m[0]).to.be.greaterThan(0.9);
    // 200 matching pairs among 600 records.
    expect(model.prior).to.be.closeTo(200 / ((600 * 599) / 2), 0.0003);
    // No two names are alike: too few pairs agree on one to learn from, so that session is skipped.
    expect(sessions.map((s) => s.field)).to.deep.equal(['dob', 'ssn']);
  });

  it('scores the copies of one person as a match and two different people as none', () => {
    for (const [a, b] of twins) expect(matchProbability(model, records[a]!, records[b]!)).to.be.greaterThan(0.95);
    expect(matchProbability(model, records[0]!, records[2]!)).to.be.lessThan(0.01);
    // Same first name, same date of birth by chance, nothing else: not one person.
    expect(
      matchProbability(model, { name: 'john smith', dob: '19800101', ssn: '1234567' }, { name: 'john brown', dob: '19800101', ssn: '7654321' }),
    ).to.be.lessThan(0.5);
  });

  it('trains the same model twice from the same records and seed', () => {
    expect(JSON.stringify(trainModel(records, FIELDS, { seed: 5 }).model, (_, v) => (v instanceof Map ? [...v] : v))).to.equal(
      JSON.stringify(model, (_, v) => (v instanceof Map ? [...v] : v)),
    );
  });

  it('says which fields it knows when asked to block a session on another', () => {
    expect(() => trainModel(records, FIELDS, { sessions: ['email'] })).to.throw(
      'Training session on "email", which is not a compared field; use one of name, dob, ssn.',
    );
  });
});
