import { expect } from 'chai';
import { forEachSplitPair, splitFields, type SplitMember } from '../../../../lib/match/engine/sub-blocks.js';
import { LEAD_WEIGHTS } from '../../../../lib/match/similarity.js';

/** Members named by their name keys, identified by their place. */
const named = (...names: Array<string | undefined>): SplitMember[] =>
  names.map((name, i): SplitMember => ({ profile: { f: name === undefined ? { company: 'voxa' } : { name, company: 'voxa' } }, ident: `id-${i}` }));

/** The pairs compared, as identity pairs, and how many were left out. */
function split(members: SplitMember[], bound: number): { pairs: string[]; uncompared: number } {
  const pairs: string[] = [];
  const uncompared = forEachSplitPair(members, ['name'], bound, (i, j) => pairs.push([members[i]!.ident, members[j]!.ident].sort().join('+')));
  return { pairs: pairs.sort(), uncompared };
}

describe('match/engine/sub-blocks', () => {
  it('splits a block by the most heavily weighted fields: the name for leads', () => {
    expect(splitFields(LEAD_WEIGHTS)).to.deep.equal(['name']);
    expect(splitFields({ given_name: 2, surname: 2, postcode: 1.5 })).to.deep.equal(['given_name', 'surname']);
    expect(splitFields({})).to.deep.equal([]);
  });

  it('compares the leads that share a word of their name, once each, and no others', () => {
    const members = named('jean tremblay', 'jean roy', 'marie roy', 'paul smith', 'jean tremblay');
    expect(split(members, 3)).to.deep.equal({ pairs: ['id-0+id-1', 'id-0+id-4', 'id-1+id-2', 'id-1+id-4'], uncompared: 0 });
  });

  it('finds a duplicate with a typo in one word through the other', () => {
    expect(split(named('gary gagne', 'gary ggne', 'gagne marie'), 2).pairs).to.include.members(['id-0+id-1', 'id-0+id-2']);
  });

  it('compares the leads without a name among themselves', () => {
    expect(split(named(undefined, 'jean roy', undefined), 2)).to.deep.equal({ pairs: ['id-0+id-2'], uncompared: 0 });
  });

  it('compares a part still past the bound by neighbours in name order, and counts the pairs it leaves out', () => {
    const members = named('jean e', 'jean a', 'jean d', 'jean b', 'jean c');
    // Width 2: a-b, a-c, b-c, b-d, c-d, c-e, d-e compared; a-d, a-e, b-e left out.
    expect(split(members, 3)).to.deep.equal({
      pairs: ['id-0+id-2', 'id-0+id-4', 'id-1+id-3', 'id-1+id-4', 'id-2+id-3', 'id-2+id-4', 'id-3+id-4'],
      uncompared: 3,
    });
  });

  it('compares the same pairs whatever the order of the members', () => {
    const members = named('jean e', 'jean a', 'marie a', 'jean d', 'jean b', undefined, 'jean c', 'marie e', undefined);
    const forward = split(members, 3);
    expect(split([...members].reverse(), 3)).to.deep.equal(forward);
    expect(forward.uncompared).to.be.greaterThan(0);
  });
});
