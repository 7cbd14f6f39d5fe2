import { expect } from 'chai';
import { explainPair, matchProbability, probabilityOf, termFrequencies, weightTable, type MatchModel } from '../../../../lib/match/model/weights.js';

/** A model of a surname and a date of birth with known m and u. */
function model(surnames?: string[]): MatchModel {
  return {
    prior: 0.001,
    fields: [
      {
        field: 'surname',
        type: 'text',
        levels: ['exact', 'close', 'somewhat close', 'different'],
        m: [0.8, 0.1, 0.05, 0.05],
        u: [0.01, 0.02, 0.07, 0.9],
        ...(surnames ? { tf: termFrequencies(surnames, 'text') } : {}),
      },
      { field: 'dob', type: 'date', levels: ['exact', 'one digit off', 'close', 'different'], m: [0.9, 0.05, 0.03, 0.02], u: [0.001, 0.01, 0.02, 0.969] },
    ],
  };
}

describe('match/model/weights', () => {
  it("adds the prior's weight and each field's log2(m/u) into the pair's total and probability", () => {
    const w = explainPair(model(), { surname: 'smith', dob: '19800101' }, { surname: 'smith', dob: '19800102' });
    expect(w.prior_weight).to.be.closeTo(Math.log2(0.001 / 0.999), 1e-12);
    expect(w.fields).to.deep.equal([
      { field: 'surname', level: 'exact', weight: Math.log2(0.8 / 0.01) },
      { field: 'dob', level: 'one digit off', weight: Math.log2(0.05 / 0.01) },
    ]);
    expect(w.total).to.be.closeTo(w.prior_weight + Math.log2(80) + Math.log2(5), 1e-12);
    expect(w.probability).to.equal(probabilityOf(w.total));
  });

  it('counts a missing value as neither for nor against', () => {
    const w = explainPair(model(), { surname: 'smith' }, { surname: 'smith', dob: '19800101' });
    expect(w.fields[1]).to.deep.equal({ field: 'dob', level: 'missing', weight: 0 });
    expect(w.total).to.be.closeTo(w.prior_weight + Math.log2(80), 1e-12);
  });

  it("weighs a rare surname's agreement more than a common one's", () => {
    const surnames = [...Array(300).fill('smith'), ...Array(699).fill('other'), 'zbigniewski'];
    const trained = model(surnames);
    const common = explainPair(trained, { surname: 'Smith' }, { surname: 'smith' }).fields[0]!;
    const rare = explainPair(trained, { surname: 'zbigniewski' }, { surname: 'zbigniewski' }).fields[0]!;
    expect(rare.weight).to.be.greaterThan(common.weight);
    // u becomes the agreed value's share: 0.3 for smith, one record in a thousand for the rare one.
    expect(common.weight).to.be.closeTo(Math.log2(0.8 / 0.3), 1e-9);
    expect(rare.weight).to.be.closeTo(Math.log2(0.8 / 0.001), 1e-9);
    expect(rare.tf_adjustment).to.be.closeTo(Math.log2(0.01 / 0.001), 1e-9);
  });

  it("weighs a full name by its tokens' shares, so a common first name with a rare surname still counts", () => {
    const names = [...Array(50).fill('john smith'), ...Array(49).fill('john doe'), 'john zbigniewski'];
    const tf = termFrequencies(names, 'name');
    expect(tf.shares.get('john')).to.equal(1);
    expect(tf.shares.get('zbigniewski')).to.equal(0.01);
  });

  it('lists the estimated weight of every level of every field, agreement above disagreement', () => {
    const table = weightTable(model());
    expect(table).to.have.length(8);
    expect(table[0]).to.deep.equal({ field: 'surname', level: 'exact', m: 0.8, u: 0.01, weight: Math.log2(80) });
    expect(table.find((r) => r.field === 'dob' && r.level === 'different')!.weight).to.be.lessThan(0);
  });

  it('counts the agreements of fields that say the same thing once: the strongest of them', () => {
    const company = { type: 'url' as const, levels: ['exact', 'different'], m: [0.9, 0.1], u: [0.001, 0.999] };
    const tied: MatchModel = {
      prior: 0.001,
      fields: [
        { field: 'company', ...company },
        { field: 'website', ...company, m: [0.8, 0.2] },
        { field: 'dob', type: 'date', levels: ['exact', 'one digit off', 'close', 'different'], m: [0.9, 0.05, 0.03, 0.02], u: [0.001, 0.01, 0.02, 0.969] },
      ],
      groups: [0, 0, 2],
    };
    const pair = [
      { company: 'acme', website: 'acme.com', dob: '19800101' },
      { company: 'acme', website: 'acme.com', dob: '19800101' },
    ] as const;
    const w = explainPair(tied, pair[0], pair[1]);
    expect(w.fields[1]).to.deep.equal({ field: 'website', level: 'exact (as company)', weight: 0 });
    expect(w.total).to.be.closeTo(w.prior_weight + Math.log2(900) + Math.log2(900), 1e-9);
    expect(matchProbability(tied, pair[0], pair[1])).to.be.closeTo(w.probability, 1e-12);
    // A disagreement still counts against the pair.
    const apart = explainPair(tied, pair[0], { ...pair[1], website: 'other.com' });
    expect(apart.fields[1]!.weight).to.be.closeTo(Math.log2(0.2 / 0.999), 1e-9);
  });
});
