import type { Lead } from '../../core/record.js';
import type { MatchReason } from '../cluster.js';
import { namesAgree } from '../names.js';
import { isWeakKey } from '../phone-key.js';
import { Buckets, sharedKeys } from './buckets.js';
import type { ClusterStats } from './cluster-settings.js';
import { keyParts, keyText, strongRowAt, unescapeField, type StrongRow } from './parking-row.js';
import type { UnionFind } from './union-find.js';

/**
 * Exact links: records sharing a strong key (email, LinkedIn slug, Airtable link, configured
 * identifiers) are one entity, transitively, except that a shared email, phone or other identifier
 * does not join two different LinkedIn profiles or two clearly different names (`jsmith@` of John
 * and of Jane Smith): those become separate sub-groups of the key (see `keyGroups`).
 */
export function linkExact(strong: Buckets, sets: UnionFind, stats: ClusterStats): void {
  for (let bucket = 0; bucket < Buckets.COUNT; bucket++) {
    const text = strong.read(bucket);
    for (const [key, starts] of sharedKeys(text)) {
      for (const seqs of keyGroups(
        unescapeField(key),
        starts.map((start) => strongRowAt(text, start)),
      )) {
        for (const seq of seqs) if (sets.union(seqs[0]!, seq) >= 0) stats.exact_links++;
      }
    }
  }
}

/**
 * Why each member of a cluster is in it by an exact key: the smallest key (in byte order) of
 * the key's sub-groups of two or more that hold it. A key's sub-groups lie each within one
 * cluster, and forming them from the cluster's members alone gives the same sub-groups.
 */
export function exactReasons(seqs: number[], members: Lead[], idents: string[], strongKeys: readonly string[]): Array<MatchReason | undefined> {
  const reasons: Array<MatchReason | undefined> = new Array(seqs.length).fill(undefined);
  const smallest: Array<string | undefined> = new Array(seqs.length).fill(undefined);
  const index = new Map<number, number>(seqs.map((seq, i) => [seq, i]));
  for (const [key, rows] of membersByKey(seqs, members, idents, strongKeys)) {
    if (rows.length < 2) continue;
    for (const group of keyGroups(key, rows)) {
      if (group.length < 2) continue;
      for (const seq of group) {
        const i = index.get(seq)!;
        if (smallest[i] !== undefined && !bytesBefore(key, smallest[i]!)) continue;
        smallest[i] = key;
        const [name, value] = keyParts(key);
        reasons[i] = { key: name, value, score: 1 };
      }
    }
  }
  return reasons;
}

/** The members' strong-key rows by key (name, NUL, value), as the strong-key buckets hold them. */
function membersByKey(seqs: number[], members: Lead[], idents: string[], strongKeys: readonly string[]): Map<string, StrongRow[]> {
  const byKey = new Map<string, StrongRow[]>();
  members.forEach((record, i) => {
    const keys = record._meta?.keys ?? {};
    for (const name of strongKeys) {
      const value = keys[name];
      // As `parkingRow` files them: a lower-confidence key is no strong key.
      if (value === undefined || isWeakKey(value)) continue;
      const key = keyText(name, value);
      const row: StrongRow = { seq: seqs[i]!, ident: idents[i]!, li: keys.linkedin || undefined, nm: keys.name || undefined };
      const rows = byKey.get(key);
      if (rows) rows.push(row);
      else byKey.set(key, [row]);
    }
  });
  return byKey;
}

/**
 * The sub-groups of the records sharing one key, each a list of seqs, formed in identity order:
 * a LinkedIn slug or Airtable link joins all; any other key joins records only when their LinkedIn
 * profiles and names do not contradict each other.
 */
function keyGroups(key: string, rows: StrongRow[]): number[][] {
  const [name] = keyParts(key);
  const guarded = name !== 'linkedin' && name !== 'link';
  rows.sort((a, b) => (a.ident < b.ident ? -1 : a.ident > b.ident ? 1 : 0));
  const groups: Array<{ seqs: number[]; li?: string; names: string[] }> = [];
  for (const { seq, li, nm } of rows) {
    const fits = (g: (typeof groups)[number]): boolean =>
      !guarded || ((!li || !g.li || g.li === li) && (!nm || g.names.every((other) => namesAgree(nm, other))));
    const group = groups.find(fits);
    if (group) {
      group.seqs.push(seq);
      group.li ??= li;
      if (nm && !group.names.includes(nm)) group.names.push(nm);
    } else {
      groups.push({ seqs: [seq], li, names: nm ? [nm] : [] });
    }
  }
  return groups.map((g) => g.seqs);
}

/** True when a sorts before b as UTF-8 bytes (code point order; UTF-16 order differs past U+D7FF). */
function bytesBefore(a: string, b: string): boolean {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const surrogateX = x >= 0xd800 && x <= 0xdfff;
    const surrogateY = y >= 0xd800 && y <= 0xdfff;
    if (surrogateX !== surrogateY && (x >= 0xe000 || y >= 0xe000)) return surrogateY;
    return x < y;
  }
  return a.length < b.length;
}
