import { BLOCK_PREFIX } from '../lib/match/keys.js';
import type { Lead } from '../lib/core/record.js';

/**
 * Why the matching bench's true pairs were missed, and how many any matcher could find without
 * guessing: the diagnosis printed beside precision and recall.
 */

const pairs = (n: number): number => (n * (n - 1)) / 2;

/** True pairs left in two clusters, by where they were lost. */
export interface MissedPairs {
  missed_not_blocked: number;
  missed_below_threshold: number;
}

/** The keys that can join two records: identifiers and blocking keys (`recall_ceiling`). */
const isJoiningKey = (name: string): boolean => name.startsWith(BLOCK_PREFIX) || name === 'email' || name === 'linkedin' || name === 'link';

/** How many true pairs are joined by evidence (`Quality.recall_ceiling`): within each person, by shared keys or a name only they have. */
export function joinedByEvidence(records: Lead[]): number {
  const peopleByName = new Map<string, Set<string>>();
  const byEntity = new Map<string, Array<Record<string, string>>>();
  for (const r of records) {
    const entity = String(r._meta!.entity);
    const keys = (r._meta!.keys ?? {}) as Record<string, string>;
    if (keys.name) (peopleByName.get(keys.name) ?? peopleByName.set(keys.name, new Set()).get(keys.name)!).add(entity);
    (byEntity.get(entity) ?? byEntity.set(entity, []).get(entity)!).push(keys);
  }
  let joined = 0;
  for (const members of byEntity.values()) {
    if (members.length < 2) continue;
    const parent = members.map((_, i) => i);
    const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
    const evidence = (a: Record<string, string>, b: Record<string, string>): boolean =>
      Object.keys(a).some((name) => a[name] === b[name] && (isJoiningKey(name) || (name === 'name' && peopleByName.get(a.name!)!.size === 1)));
    for (let i = 0; i < members.length; i++) {
      for (let j = i + 1; j < members.length; j++) if (evidence(members[i]!, members[j]!)) parent[find(i)] = find(j);
    }
    const sizes = new Map<number, number>();
    for (let i = 0; i < members.length; i++) sizes.set(find(i), (sizes.get(find(i)) ?? 0) + 1);
    for (const size of sizes.values()) joined += pairs(size);
  }
  return joined;
}

/** The true pairs left in two clusters, by where they were lost: never blocked together, or scored below the threshold. */
export function missedPairs(records: Lead[], candidate: Set<number>): MissedPairs {
  const n = records.length;
  const byEntity = new Map<string, number[]>();
  records.forEach((r, i) => {
    const entity = String(r._meta!.entity);
    const list = byEntity.get(entity);
    if (list) list.push(i);
    else byEntity.set(entity, [i]);
  });
  const result = { missed_not_blocked: 0, missed_below_threshold: 0 };
  for (const members of byEntity.values()) {
    for (let i = 0; i < members.length; i++) {
      for (let j = i + 1; j < members.length; j++) {
        const [a, b] = [members[i]!, members[j]!];
        if (records[a]!._meta!.cluster === records[b]!._meta!.cluster) continue;
        if (candidate.has(Math.min(a, b) * n + Math.max(a, b))) result.missed_below_threshold++;
        else result.missed_not_blocked++;
      }
    }
  }
  return result;
}
