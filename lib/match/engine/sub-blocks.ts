import type { FieldWeights, Profile } from '../similarity.js';

/**
 * How a block larger than `max_block_size` is compared without comparing all its pairs, whose
 * number grows as the square of its size: it is split into sub-blocks by a second key, the tokens
 * of its members' most heavily weighted fields (for leads, the words of the name), so that a
 * duplicate with a typo in one word still shares a sub-block with its original through another.
 * A sub-block that is itself larger than the bound (many members sharing one word) is compared
 * by a sorted neighbourhood: its members sorted by those fields' values, each compared with the
 * next `max_block_size - 1`; the pairs left outside that window are counted, not compared.
 *
 * Everything here depends on the members' values and identities only, never on their order, so
 * the pairs compared are the same whatever the input order and however many threads parked them.
 */

/** A member of a split block as this module needs it: its profile and identity, read beforehand. */
export interface SplitMember {
  profile: Profile;
  ident: string;
}

/** The fields whose tokens split a block: the most heavily weighted ones (the name, for leads). */
export function splitFields(weights: FieldWeights): string[] {
  const top = Math.max(0, ...Object.values(weights));
  return top > 0 ? Object.keys(weights).filter((field) => weights[field] === top) : [];
}

/**
 * A member's sub-block keys: each distinct token of its split fields' values, prefixed by the
 * field's place so that one word in two fields is two keys; one empty key when it has none (the
 * members without those fields are a sub-block of their own).
 */
function subBlockKeys(profile: Profile, fields: readonly string[]): string[] {
  const keys = new Set<string>();
  fields.forEach((field, place) => {
    const value = profile.f[field];
    if (value) for (const token of value.split(' ')) if (token) keys.add(`${place}:${token}`);
  });
  return keys.size ? [...keys].sort() : [''];
}

/**
 * Calls `compare` once for each pair of a split block's members that shares a sub-block (in the
 * first of the keys they share, in key order), within the window when that sub-block is still
 * larger than `bound`; returns how many pairs of such sub-blocks were left outside the window.
 */
export function forEachSplitPair(members: readonly SplitMember[], fields: readonly string[], bound: number, compare: (i: number, j: number) => void): number {
  const keysOf = members.map((m) => subBlockKeys(m.profile, fields));
  const subBlocks = new Map<string, number[]>();
  keysOf.forEach((keys, i) => {
    for (const key of keys) {
      const list = subBlocks.get(key);
      if (list) list.push(i);
      else subBlocks.set(key, [i]);
    }
  });
  // Whether two members share a key that comes before `key`: their pair is compared there.
  const pairedBefore = (i: number, j: number, key: string): boolean => {
    const other = keysOf[j]!;
    for (const k of keysOf[i]!) if (k < key && other.includes(k)) return true;
    return false;
  };
  let uncompared = 0;
  for (const [key, list] of subBlocks) {
    if (list.length < 2) continue;
    const visit = (i: number, j: number): void => {
      if (!pairedBefore(i, j, key)) compare(i, j);
    };
    if (list.length <= bound) {
      for (let a = 0; a < list.length; a++) for (let b = a + 1; b < list.length; b++) visit(list[a]!, list[b]!);
      continue;
    }
    uncompared += windowed(sortedForWindow(list, members, fields), bound - 1, visit);
  }
  return uncompared;
}

/** Member indices sorted by their split fields' values, then identity: an order that does not depend on the input's. */
function sortedForWindow(list: readonly number[], members: readonly SplitMember[], fields: readonly string[]): number[] {
  const sortKey = (i: number): string => fields.map((field) => members[i]!.profile.f[field] ?? '').join('\u0000');
  const keyed = list.map((i) => ({ i, key: sortKey(i), ident: members[i]!.ident }));
  keyed.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : x.ident < y.ident ? -1 : x.ident > y.ident ? 1 : 0));
  return keyed.map((k) => k.i);
}

/** Visits each member with the next `width` in `order`; returns how many of the order's pairs were not visited. */
function windowed(order: readonly number[], width: number, visit: (i: number, j: number) => void): number {
  const n = order.length;
  let visited = 0;
  for (let a = 0; a < n; a++) {
    const last = Math.min(n - 1, a + width);
    for (let b = a + 1; b <= last; b++) {
      const [i, j] = order[a]! < order[b]! ? [order[a]!, order[b]!] : [order[b]!, order[a]!];
      visit(i, j);
    }
    visited += last - a;
  }
  return (n * (n - 1)) / 2 - visited;
}
