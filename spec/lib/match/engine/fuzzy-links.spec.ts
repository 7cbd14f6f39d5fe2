import { expect } from 'chai';
import path from 'node:path';
import { generateBigEmployer } from '../../../../bench/big-employer.js';
import type { ClusterFindings, ClusterSettings, ClusterStats } from '../../../../lib/match/engine/cluster-settings.js';
import { decidingFields } from '../../../../lib/match/scorer.js';
import { ClusterStore, type ParkedCluster } from '../../../../lib/match/engine/store.js';
import type { Lead } from '../../../../lib/core/record.js';
import { tempDir } from '../../../helpers.js';
import { keyed, SETTINGS } from './helpers.js';

/** Clusters the records; returns each record's cluster (by id), what the store counted and what it found. */
function cluster(records: Lead[], settings: ClusterSettings = SETTINGS): { clusterOf: Map<string, string>; stats: ClusterStats; findings: ClusterFindings } {
  const store = new ClusterStore(path.join(tempDir(), 'c.db'), settings);
  try {
    for (const record of records) store.add(record, record._meta!.keys as Record<string, string>);
    const clusterOf = new Map<string, string>();
    for (const c of store.clusters()) if (!('entry' in c)) for (const m of (c as ParkedCluster).members) clusterOf.set(String(m.id), c.id);
    return { clusterOf, stats: { ...store.stats }, findings: store.findings };
  } finally {
    store.close();
  }
}

describe('match/engine/fuzzy-links: blocks past max_block_size', function () {
  this.timeout(60_000);
  const size = 4000;
  const generated = [...generateBigEmployer(size, { seed: 5 })];
  const records = (): Lead[] => generated.map(({ record }) => keyed(structuredClone(record)));
  const entityOf = new Map(generated.map(({ record, entity }) => [String(record.id), entity]));
  let forward: ReturnType<typeof cluster>;
  before(() => (forward = cluster(records())));

  it('compares the leads of a 4,000-lead employer with work that grows with the block, not its square', () => {
    const { stats } = forward;
    // The company and the website blocks, at least, are past the bound and split.
    expect(stats.split_blocks).to.be.at.least(2);
    expect(stats.uncompared_pairs).to.equal(0);
    // Each lead meets at most max_block_size - 1 others per word of its name (two here), per block.
    expect(stats.comparisons).to.be.at.most(size * 2 * (SETTINGS.max_block_size - 1));
    expect(stats.comparisons).to.be.below((size * (size - 1)) / 2 / 20);
  });

  it('joins the second records that lack email and LinkedIn to their person, and no one else', () => {
    const { clusterOf } = forward;
    const byEntity = new Map<string, Set<string | undefined>>();
    for (const [id, entity] of entityOf) byEntity.set(entity, (byEntity.get(entity) ?? new Set()).add(clusterOf.get(id) ?? `single ${id}`));
    const people = [...byEntity.values()];
    const twice = [...entityOf.values()].filter((e, i, all) => all.indexOf(e) !== i).length;
    const split = people.filter((clusters) => clusters.size > 1).length;
    expect(split / twice, 'people whose records were not joined').to.be.at.most(0.01);
    const clusterEntities = new Map<string, Set<string>>();
    for (const [id, c] of clusterOf) clusterEntities.set(c, (clusterEntities.get(c) ?? new Set()).add(entityOf.get(id)!));
    expect(
      [...clusterEntities.values()].filter((entities) => entities.size > 1),
      'clusters of several people',
    ).to.deep.equal([]);
  });

  it('finds the same clusters, with the same counts, whatever the input order', () => {
    const backward = cluster(records().reverse());
    expect(backward.stats).to.deep.equal(forward.stats);
    expect(Object.fromEntries([...backward.clusterOf].sort())).to.deep.equal(Object.fromEntries([...forward.clusterOf].sort()));
  });

  it("explains the first five pairs it joined by score, by their records' arrival, as explaining each pair alone does", () => {
    const first = forward.findings.first_pairs!;
    expect(first).to.have.length(5);
    const arrival = (id: string) => generated.findIndex(({ record }) => `record:${String(record.id)}` === id);
    const earlier = first.map((p) => Math.min(...p.ids.map(arrival)));
    expect(earlier).to.deep.equal([...earlier].sort((a, b) => a - b));
    for (const { ids } of first)
      expect(forward.clusterOf.get(ids[0]!.slice('record:'.length))).to.equal(forward.clusterOf.get(ids[1]!.slice('record:'.length)));
    // The pair explained alone reads both records back from the blocks: the same fields decide it.
    const alone = cluster(records(), { ...SETTINGS, explain: first[4]!.ids }).findings.explained!;
    expect(decidingFields(alone.explanation!, SETTINGS.threshold)).to.deep.equal(first[4]!.decided_by);
    expect(first[4]!.decided_by.join(', ')).to.match(/^name \(\d\.\d\d\)/);
  });
});
