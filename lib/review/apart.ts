import type { Lead } from '../core/record.js';
import { clusterIdOf, type Cluster } from '../match/cluster.js';
import { groupKey } from './memory.js';
import { recordKey, recordVersion } from './version.js';

/**
 * The dedupe side of "not duplicates": a cluster whose records are exactly a group a person kept
 * apart, each unchanged since (the group's key, lib/review/memory.ts), is split back into its
 * leads (a local lead with the Airtable record it links to stays one lead), so nothing merges
 * them and nothing proposes them again. Any change to a record gives it a new version, and the
 * group is proposed again.
 */
export function splitApart<C extends Cluster & { texts?: Array<string | undefined> }>(cluster: C, apart: ReadonlySet<string>, linkField: string): C[] | undefined {
  const versions: Record<string, string> = {};
  for (const member of cluster.members) versions[recordKey(member)] = recordVersion(member);
  if (!apart.has(groupKey(versions))) return undefined;
  const parts: number[][] = [];
  const partOfAirtable = new Map<string, number[]>();
  cluster.members.forEach((member, i) => {
    if (member._meta?.source !== 'airtable') return;
    const part = [i];
    parts.push(part);
    partOfAirtable.set(String(member._meta?.id), part);
  });
  cluster.members.forEach((member, i) => {
    if (member._meta?.source === 'airtable') return;
    const linked = partOfAirtable.get(String(linkOf(member, linkField)));
    // A second local lead linking to the same record is a lead of its own here.
    if (linked && linked.every((j) => cluster.members[j]!._meta?.source === 'airtable')) linked.push(i);
    else parts.push([i]);
  });
  return parts.map((indexes) => {
    const idents = indexes.map((i) => cluster.idents[i]!);
    return {
      ...cluster,
      id: clusterIdOf(idents),
      members: indexes.map((i) => cluster.members[i]!),
      idents,
      reasons: indexes.map((i, n) => (n === 0 ? undefined : cluster.reasons[i])),
      ...(cluster.texts ? { texts: indexes.map((i) => cluster.texts![i]) } : {}),
    };
  });
}

function linkOf(record: Lead, linkField: string): unknown {
  return linkField && Object.hasOwn(record, linkField) ? record[linkField] : undefined;
}
