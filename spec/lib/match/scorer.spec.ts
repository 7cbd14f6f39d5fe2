import { expect } from 'chai';
import type { MatchModel } from '../../../lib/match/model/weights.js';
import { formatExplanation, learnedScorer, weightedScorer } from '../../../lib/match/scorer.js';
import { LEAD_WEIGHTS, scorePair, type Profile } from '../../../lib/match/similarity.js';

const MODEL: MatchModel = {
  prior: 0.0001,
  fields: [
    {
      field: 'name',
      type: 'name',
      levels: ['exact', 'same tokens', 'part of the other', 'close', 'somewhat close', 'different'],
      m: [0.7, 0.05, 0.02, 0.15, 0.03, 0.05],
      u: [0.0005, 0.0001, 0.0003, 0.002, 0.02, 0.9771],
    },
    { field: 'company', type: 'text', levels: ['exact', 'close', 'somewhat close', 'different'], m: [0.8, 0.1, 0.05, 0.05], u: [0.01, 0.01, 0.05, 0.93] },
    { field: 'phone', type: 'phone', levels: ['exact', 'same last 7 digits', 'different'], m: [0.9, 0.05, 0.05], u: [0.0001, 0.0009, 0.999] },
  ],
};

describe('match/scorer', () => {
  const a: Profile = { f: { name: 'helene lewis', company: 'vipix', phone: '+14164346477' } };
  const b: Profile = { f: { name: 'helene leiws', company: 'vipix', phone: '+14164346477' } };

  it("scores through hand weights exactly as today's weighted mean does, and says each field's share", () => {
    const scorer = weightedScorer(LEAD_WEIGHTS);
    expect(scorer.score(a, b)).to.equal(scorePair(a, b, LEAD_WEIGHTS));
    const explanation = scorer.explain(a, b);
    expect(explanation.scoring).to.equal('weighted');
    expect(explanation.score).to.equal(scorePair(a, b, LEAD_WEIGHTS));
    expect(explanation.fields.find((f) => f.field === 'company')).to.deep.equal({ field: 'company', level: '1.00', weight: 3 });
    expect(explanation.fields.find((f) => f.field === 'email')).to.deep.equal({ field: 'email', level: 'missing', weight: 0 });
  });

  it('scores through a learned model as the match probability, with the waterfall that makes it', () => {
    const scorer = learnedScorer(MODEL);
    const explanation = scorer.explain(a, b);
    expect(explanation.fields.map((f) => `${f.field}: ${f.level}`)).to.deep.equal(['name: close', 'company: exact', 'phone: exact']);
    expect(explanation.total).to.be.closeTo(explanation.prior_weight! + explanation.fields.reduce((s, f) => s + f.weight, 0), 1e-9);
    expect(scorer.score(a, b)).to.equal(explanation.score);
    expect(explanation.score).to.be.greaterThan(0.99);
  });

  it('rules out a pair with two different LinkedIn profiles whatever the model makes of it', () => {
    const scorer = learnedScorer(MODEL);
    expect(scorer.score({ ...a, li: 'helene-1' }, { ...b, li: 'helene-2' })).to.equal(0);
    expect(scorer.explain({ ...a, li: 'helene-1' }, { ...b, li: 'helene-2' })).to.include({
      score: 0,
      ruled_out: 'different LinkedIn profiles or work emails',
    });
  });

  it('prints the waterfall a line a step: prior, each field with its level and weight, total and probability', () => {
    const lines = formatExplanation(learnedScorer(MODEL).explain(a, { f: { name: 'helene leiws', company: 'vipix' } }));
    expect(lines).to.have.length(5);
    expect(lines[0]).to.match(/^prior\s+-13\.29$/);
    expect(lines[1]).to.match(/^name\s+close\s+\+6\.23$/);
    expect(lines[3]).to.match(/^phone\s+missing\s+0$/);
    expect(lines[4]).to.match(/^total\s+-0\.74 {2}probability 0\.3750$/);
  });
});
