import { expect } from 'chai';
import { seededRandom } from '../../../../lib/core/random.js';
import { countPatterns, expectationMaximisation, levelShares, MISSING, randomPairs, tiedFields } from '../../../../lib/match/model/estimate.js';

/** Draws a level from a distribution over levels. */
function draw(random: () => number, probabilities: readonly number[]): number {
  let r = random();
  for (let level = 0; level < probabilities.length; level++) {
    r -= probabilities[level]!;
    if (r < 0) return level;
  }
  return probabilities.length - 1;
}

describe('match/model/estimate', () => {
  // Three fields, conditionally independent given match status: the model EM assumes.
  const m = [
    [0.85, 0.1, 0.05],
    [0.9, 0.1],
    [0.7, 0.2, 0.1],
  ];
  const u = [
    [0.02, 0.08, 0.9],
    [0.05, 0.95],
    [0.01, 0.09, 0.9],
  ];

  function synthetic(pairs: number, prior: number, seed: number): number[][] {
    const random = seededRandom(seed);
    const patterns: number[][] = [];
    for (let k = 0; k < pairs; k++) {
      const source = random() < prior ? m : u;
      patterns.push(source.map((levels) => draw(random, levels)));
    }
    return patterns;
  }

  it('recovers the m probabilities and the share of matches from unlabelled pairs drawn from known m and u', () => {
    const result = expectationMaximisation(synthetic(40_000, 0.3, 7), u);
    expect(result.prior).to.be.closeTo(0.3, 0.02);
    result.m.forEach((levels, field) => {
      levels.forEach((p, level) => {
        expect(p, `m of field ${field} level ${level}`).to.be.closeTo(m[field]![level]!, 0.03);
      });
    });
  });

  it('estimates u as the share of each level among random pairs', () => {
    const estimated = levelShares(synthetic(40_000, 0, 3), [3, 2, 3]);
    estimated.forEach((levels, field) => {
      levels.forEach((p, level) => {
        expect(p).to.be.closeTo(u[field]![level]!, 0.01);
      });
    });
  });

  it('leaves a missing value out of both estimates, and a field left out of a session as it was', () => {
    const patterns = synthetic(20_000, 0.3, 11).map((p, k) => (k % 2 ? [p[0]!, MISSING, p[2]!] : p));
    const result = expectationMaximisation(patterns, u, { exclude: [2] });
    expect(result.m[1]![0]).to.be.closeTo(0.9, 0.04);
    expect(result.m[2]).to.deep.equal([1 / (1 + 1 / 4 + 1 / 16), 1 / 4 / (1 + 1 / 4 + 1 / 16), 1 / 16 / (1 + 1 / 4 + 1 / 16)]);
    expect(levelShares([[MISSING, 0, 1]], [3, 2, 3])[0]).to.deep.equal([1 / 3, 1 / 3, 1 / 3]);
  });

  it('draws the same random pairs for the same seed, never a record with itself, and every pair of a small set', () => {
    const first = [...randomPairs(1000, 500, 5)];
    expect(first).to.deep.equal([...randomPairs(1000, 500, 5)]);
    expect(first.every(([i, j]) => i !== j && i < 1000 && j < 1000)).to.equal(true);
    expect([...randomPairs(4, 100, 5)]).to.have.length(6);
  });

  it('ties a field to another that agrees with it among pairs of two people, and not to one that agrees only for one person', () => {
    // Fields: company, website, name (levels exact, different). Colleagues share company and
    // website under different names; copies of one person agree on everything.
    const random = seededRandom(3);
    const patterns: number[][] = [];
    for (let k = 0; k < 2000; k++) {
      const r = random();
      if (r < 0.05) patterns.push([0, 0, 1]);
      else if (r < 0.07) patterns.push([0, 0, 0]);
      else patterns.push([1, random() < 0.01 ? 0 : 1, random() < 0.01 ? 0 : 1]);
    }
    const tied = tiedFields(countPatterns(patterns), [1, 1, 1]);
    expect(tied[0]).to.deep.equal([1]);
    expect(tied[1]).to.deep.equal([0]);
    expect(tied[2]).to.deep.equal([]);
  });

  it('counts EM over patterns the same whatever order the pairs came in', () => {
    const patterns = synthetic(5000, 0.1, 11);
    const forward = expectationMaximisation(patterns, u);
    const backward = expectationMaximisation([...patterns].reverse(), u);
    expect(backward).to.deep.equal(forward);
  });
});
