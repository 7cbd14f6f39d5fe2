import { expect } from 'chai';
import { UnionFind } from '../../../../lib/match/engine/union-find.js';

describe('match/engine/union-find', () => {
  it('joins sets transitively with the smallest member as root, whatever the order of unions', () => {
    const sets = new UnionFind();
    for (let i = 0; i < 3000; i++) sets.add();
    expect(sets.union(2999, 5)).to.equal(5);
    expect(sets.union(7, 2999)).to.equal(5);
    expect(sets.union(5, 7)).to.equal(-1);
    expect([sets.find(7), sets.find(2999), sets.find(6)]).to.deep.equal([5, 5, 6]);
  });
});
