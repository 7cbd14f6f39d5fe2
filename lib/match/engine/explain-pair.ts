import { decidingFields, type PairScorer } from '../scorer.js';
import type { Profile } from '../similarity.js';
import { Buckets } from './buckets.js';
import type { ClusterFindings } from './cluster-settings.js';
import type { JoinedPair } from './fuzzy-links.js';
import { blockMemberAt, memberProfile } from './parking-row.js';

/**
 * The explanation of one pair a person asked about (`explain`): both records' comparison
 * profiles are looked up in the block rows (a record without blocks was never compared fuzzily, and
 * is reported missing), then scored by the run's own scorer, the smaller identity first, as the
 * engine scores it.
 */
export function explainParkedPair(blocks: Buckets, ids: readonly string[], fields: readonly string[], scorer: PairScorer): ClusterFindings['explained'] {
  const wanted = ids.slice(0, 2);
  const found = new Map<string, Profile>();
  for (let bucket = 0; bucket < Buckets.COUNT && found.size < wanted.length; bucket++) {
    const text = blocks.read(bucket);
    for (let start = 0; start < text.length; start = text.indexOf('\n', start) + 1) {
      const member = blockMemberAt(text, start);
      const profile = memberProfile(text, member, fields);
      if (wanted.includes(member.ident!)) found.set(member.ident!, profile);
    }
  }
  const missing = wanted.filter((id) => !found.has(id));
  if (missing.length || wanted.length < 2) return { ids: wanted, missing };
  const [x, y] = [...wanted].sort();
  return { ids: wanted, explanation: scorer.explain(found.get(x!)!, found.get(y!)!), missing };
}

/**
 * The fields that decided each of the pairs fuzzy matching joined first (`FuzzyLinks.firstLinks`),
 * each pair explained by the run's scorer as the engine scored it, the smaller identity first.
 * Their records' profiles are those `known` (by identity) or, for any other, read from the block
 * rows in one pass.
 */
export function explainJoinedPairs(
  blocks: Buckets,
  pairs: readonly JoinedPair[],
  fields: readonly string[],
  scorer: PairScorer,
  threshold: number,
  known: ReadonlyMap<string, Profile> = new Map(),
): NonNullable<ClusterFindings['first_pairs']> {
  const found = new Map(known);
  // The records of the pairs not all known, by seq: read from the blocks until each is found.
  const wanted = new Set(pairs.filter((p) => !p.ids.every((id) => found.has(id))).flatMap((p) => p.seqs));
  for (let bucket = 0; bucket < Buckets.COUNT && wanted.size > 0; bucket++) {
    const text = blocks.read(bucket);
    for (let start = 0; start < text.length && wanted.size > 0; start = text.indexOf('\n', start) + 1) {
      const member = blockMemberAt(text, start);
      if (!wanted.delete(member.seq)) continue;
      const profile = memberProfile(text, member, fields);
      found.set(member.ident!, profile);
    }
  }
  return pairs.map(({ ids, score }) => ({
    ids: [...ids],
    score,
    decided_by: decidingFields(scorer.explain(found.get(ids[0])!, found.get(ids[1])!), threshold),
  }));
}
