import type { Lead } from '../core/record.js';
import { clusterIdOf, type Cluster } from '../match/cluster.js';
import { membersOfKey } from './memory.js';
import { recordKey, recordVersion } from './version.js';

/**
 * The dedupe side of "not duplicates": a cluster made of a group a person kept apart, each of its
 * records unchanged since (same version), plus at most the counterparts linked to them in the
 * other system (a run creates those once the leads are apart), is split back into its leads (a
 * local lead with the Airtable record it links to stays one lead). Nothing merges them and nothing
 * proposes them again. A changed record, or a new one joining the cluster, brings the group back
 * for review.
 */
export class KeptApart {
  /** Each remembered group's records (`key@version`), by each of its records. */
  private readonly groupsOf = new Map<string, string[][]>();

  constructor(
    /** The groups' keys (lib/review/memory.ts `groupKey`). */
    groups: readonly string[],
    private readonly linkField: string,
  ) {
    for (const group of groups) {
      const members = membersOfKey(group);
      for (const member of members) this.groupsOf.set(member, [...(this.groupsOf.get(member) ?? []), members]);
    }
  }

  /** The cluster split into its leads when it is a group kept apart; undefined otherwise. */
  split<C extends Cluster & { texts?: Array<string | undefined> }>(cluster: C): C[] | undefined {
    const present = new Set(cluster.members.map((member) => `${recordKey(member)}@${recordVersion(member, this.linkField)}`));
    const candidates = new Set<string[]>();
    for (const member of present) for (const group of this.groupsOf.get(member) ?? []) candidates.add(group);
    for (const group of candidates) {
      if (!group.every((member) => present.has(member))) continue;
      const parts = this.leadsOf(cluster, new Set(group.map((member) => member.slice(0, member.lastIndexOf('@')))));
      if (parts) return parts.map((indexes) => part(cluster, indexes));
    }
    return undefined;
  }

  /** The cluster's members as leads (indexes), when every member outside the group is linked to one in it. */
  private leadsOf(cluster: Cluster, group: ReadonlySet<string>): number[][] | undefined {
    const members = cluster.members;
    const airtableIndex = new Map<string, number>();
    members.forEach((m, i) => {
      if (m._meta?.source === 'airtable') airtableIndex.set(String(m._meta?.id), i);
    });
    const leads: number[][] = [];
    const placed = new Set<number>();
    members.forEach((member, i) => {
      if (member._meta?.source === 'airtable') return;
      const twin = airtableIndex.get(String(linkOf(member, this.linkField)));
      const lead = twin !== undefined && !placed.has(twin) ? [i, twin] : [i];
      for (const j of lead) placed.add(j);
      leads.push(lead);
    });
    members.forEach((_, i) => {
      if (!placed.has(i)) leads.push([i]);
    });
    // A lead none of whose records was in the group is new to it: the group is not as it was decided.
    const inGroup = (i: number): boolean => group.has(recordKey(members[i]!));
    return leads.every((lead) => lead.some(inGroup)) ? leads : undefined;
  }
}

function part<C extends Cluster & { texts?: Array<string | undefined> }>(cluster: C, indexes: number[]): C {
  const idents = indexes.map((i) => cluster.idents[i]!);
  return {
    ...cluster,
    id: clusterIdOf(idents),
    members: indexes.map((i) => cluster.members[i]!),
    idents,
    reasons: indexes.map((i, n) => (n === 0 ? undefined : cluster.reasons[i])),
    ...(cluster.texts ? { texts: indexes.map((i) => cluster.texts![i]) } : {}),
  };
}

function linkOf(record: Lead, linkField: string): unknown {
  return linkField && Object.hasOwn(record, linkField) ? record[linkField] : undefined;
}
