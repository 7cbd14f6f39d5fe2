import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import type { Lead } from '../record.js';
import { Buckets, escapeField, unescapeField } from './buckets.js';
import { BLOCK_PREFIX, isFreeMail } from './keys.js';
import { annotatableAsText } from './resolution.js';
import { namesAgree, profileOf, scorePair, type FieldWeights, type Profile } from './similarity.js';
import { RecordFile } from './record-file.js';
import { hash53, scratch } from './scratch-db.js';
import { UnionFind } from './union-find.js';

/**
 * Clustering leads into entities with flat memory: records are appended to a scratch file, their
 * strong keys and blocks (with comparison profiles) to hash-partitioned bucket files read back one
 * bucket at a time, fuzzy candidates and their scores kept in a scratch SQLite database. What stays
 * in memory per record: a union-find entry, then a next-member link (4 bytes each) and two entry
 * lengths (2 bytes each), 12 bytes in all.
 *
 * 1. Exact: records sharing a strong key (email, LinkedIn slug, Airtable link, configured
 *    identifiers) are one entity, transitively.
 * 2. Fuzzy: within each block (records sharing a blocking key) of at most `max_block_size`
 *    records, pairs not already joined are scored; pairs at or above the threshold are applied
 *    best first (ties by record identity, so input order does not matter), and a pair whose two
 *    entities hold contradicting identifiers is not joined, so fuzzy matches do not chain.
 */

export interface ClusterSettings {
  /** `_meta.keys` names that link exactly. */
  strong_keys: readonly string[];
  weights: FieldWeights;
  threshold: number;
  max_block_size: number;
  default_country: string;
}

/** Why a record is in its cluster: the key it shares, or `fuzzy` with the score. */
export interface MatchReason {
  key: string;
  value?: string;
  score: number;
}

/** One entity: its members (in input order), their match reasons, and the cluster id. */
export interface Cluster {
  id: string;
  members: Lead[];
  /** Per member, its identity (system and id). */
  idents: string[];
  /** Per member, why it joined (undefined for a singleton). */
  reasons: Array<MatchReason | undefined>;
  /**
   * Per member, its JSON as it was parked when its annotations can be spliced into it
   * (`annotatableAsText`), else undefined.
   */
  texts?: Array<string | undefined>;
}

/**
 * A record without duplicates as the clustering hands it over: its parked entry as UTF-8 bytes
 * (`!` when its annotations cannot be spliced into its JSON, its identity as JSON, a tab, its
 * JSON), a view valid until the next cluster is asked for.
 */
export interface SingleEntry {
  entry: Buffer;
}

/**
 * A record as the clustering parks it: one line of tab-separated fields, worked out where the
 * record's keys are (a parallel run's worker threads, else the clustering thread), laid out so
 * that the clustering thread copies its parts into its files as UTF-8 bytes and decodes nothing
 * (see `ClusterStore.addParked`):
 *
 * - how many strong keys (`ClusterSettings.strong_keys`) the record has; for each, its bucket
 *   and the key (name, NUL, value);
 * - the tail of its strong-key rows: identity, LinkedIn slug, name key;
 * - the tail of its block rows: the 53-bit hashes of its blocking keys (name, NUL, value) joined
 *   by commas, identity, comparison profile (a fixed number of slots; one empty field when the
 *   record has no blocks);
 * - its ids entry: LinkedIn slug, work (not free-mail) email;
 * - its records-file entry: `!` when its annotations cannot be spliced into its JSON
 *   (`annotatableAsText`), its identity as JSON, a tab and its JSON (`json`, when the caller has
 *   it already).
 *
 * Text fields are escaped; JSON never holds a raw tab or newline.
 */
export function parkingRow(record: Lead, keys: Record<string, string>, settings: ClusterSettings, json = JSON.stringify(record)): string {
  const identity = identityOf(record);
  const ident = escapeField(identity);
  const linkedin = keys.linkedin ? escapeField(keys.linkedin) : '';
  const email = keys.email;
  const workEmail = email && !isFreeMail(email) ? escapeField(email) : '';
  let strong = '';
  let count = 0;
  for (const name of settings.strong_keys) {
    const value = keys[name];
    if (value === undefined) continue;
    const key = `${name}\u0000${value}`;
    strong += `${bucketOf(key)}\t${escapeField(key)}\t`;
    count++;
  }
  let hashes = '';
  for (const name in keys) if (name.startsWith(BLOCK_PREFIX)) hashes += `${hashes ? ',' : ''}${hash53(`${name}\u0000${keys[name]}`)}`;
  const comparison = hashes ? profileText(profileOf(record, keys, settings.weights, settings.default_country), settings.weights) : '';
  return `${count}\t${strong}${ident}\t${linkedin}\t${keys.name ? escapeField(keys.name) : ''}\t${hashes}\t${ident}\t${comparison}\t${linkedin}\t${workEmail}\t${annotatableAsText(record) ? '' : '!'}${JSON.stringify(identity)}\t${json}`;
}

/** How many tab-separated slots a comparison profile has: LinkedIn, work email, one per weighted field. */
function profileSlots(settings: ClusterSettings): number {
  return 2 + Object.keys(settings.weights).length;
}

export interface ClusterStats {
  records: number;
  exact_links: number;
  blocks: number;
  oversized_blocks: number;
  comparisons: number;
  fuzzy_candidates: number;
  fuzzy_links: number;
  fuzzy_blocked_by_identifiers: number;
  clusters: number;
  multi_member_clusters: number;
}

/** A stable id for a record, independent of input order: its system and id, else its content. */
export function identityOf(record: Lead): string {
  const meta = record._meta ?? {};
  if (meta.id !== undefined && meta.id !== null && meta.id !== '') return `${meta.source ?? 'record'}:${meta.id}`;
  if (typeof record.id === 'string' || typeof record.id === 'number') return `${meta.source ?? 'record'}:${record.id}`;
  const { _meta, ...fields } = record;
  return `content:${createHash('sha1').update(JSON.stringify(fields)).digest('hex')}`;
}

/**
 * The cluster id: the smallest member identity (`airtable:rec…`, `local:42`). Unique per cluster,
 * the same whatever the input order, and the same for both systems' records of the entity.
 */
export function clusterIdOf(idents: readonly string[]): string {
  let smallest = idents[0] ?? '';
  for (const ident of idents) if (ident < smallest) smallest = ident;
  return smallest;
}

export class ClusterStore {
  // Two connections: SQLite cannot write on a connection while it reads a result row by row, so
  // what is read in bulk (fuzzy candidates) and what is written meanwhile live apart.
  private readonly db: Database.Database;
  private readonly work: Database.Database;
  private readonly sets = new UnionFind();
  private readonly records: RecordFile;
  /** Per record, its LinkedIn slug and work email: the identifiers that stop a fuzzy merge. */
  private readonly ids: RecordFile;
  /** Strong-key rows, partitioned by key: `key, seq, identity, linkedin, name`. */
  private readonly strong: Buckets;
  /** Block rows, partitioned by block: `block hash, seq, the record's block hashes, identity, comparison profile`. */
  private readonly blocks: Buckets;
  /** How many slots a comparison profile has in a prepared row. */
  private readonly slots: number;
  readonly stats: ClusterStats = {
    records: 0, exact_links: 0, blocks: 0, oversized_blocks: 0, comparisons: 0, fuzzy_candidates: 0,
    fuzzy_links: 0, fuzzy_blocked_by_identifiers: 0, clusters: 0, multi_member_clusters: 0,
  };

  constructor(file: string, private readonly settings: ClusterSettings) {
    this.slots = profileSlots(settings);
    this.db = scratch(file);
    this.work = scratch(`${file}-work`);
    this.db.exec('CREATE TABLE fuzzy_reason (seq INTEGER PRIMARY KEY, score REAL NOT NULL);');
    this.work.exec(`
      CREATE TABLE fuzzy (a INTEGER NOT NULL, b INTEGER NOT NULL, score REAL NOT NULL, ia TEXT NOT NULL, ib TEXT NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;
    `);
    this.records = new RecordFile(`${file}-records`);
    this.ids = new RecordFile(`${file}-ids`);
    this.strong = new Buckets(`${file}-strong`);
    this.blocks = new Buckets(`${file}-blocks`);
  }

  close(): void {
    for (const db of [this.db, this.work]) if (db.open) db.close();
    this.records.close();
    this.ids.close();
    this.strong.close();
    this.blocks.close();
  }

  /** Parks one record with its match keys (and its JSON, when the caller has it already). */
  add(record: Lead, keys: Record<string, string>, json?: string): void {
    const row = Buffer.from(parkingRow(record, keys, this.settings, json));
    this.addParked(row, 0, row.length);
  }

  /**
   * Parks one record from its `parkingRow` as UTF-8 bytes, `row[start, end)`: its parts are copied
   * into the files as they are, with its number (seq) put into its strong-key and block rows.
   */
  addParked(row: Uint8Array, start: number, end: number): void {
    const seq = String(this.sets.add());
    this.stats.records++;
    let at = start;
    let stop = tabAt(row, at);
    let count = decimalAt(row, at, stop);
    const keysAt = stop + 1;
    at = skipFields(row, keysAt, 2 * count);
    // The strong-key rows: key, seq, the tail.
    const strongTail = at;
    at = skipFields(row, at, 3);
    for (let key = keysAt; count > 0; count--) {
      stop = tabAt(row, key);
      const bucket = decimalAt(row, key, stop);
      const keyEnd = tabAt(row, stop + 1);
      this.strong.add(bucket, row, stop + 1, keyEnd, seq, strongTail, at - 1);
      key = keyEnd + 1;
    }
    // The block rows: a block hash, seq, the tail (all the hashes, identity, profile).
    const blockTail = at;
    const hashesEnd = tabAt(row, at);
    at = skipFields(row, hashesEnd + 1, 1 + (hashesEnd > blockTail ? this.slots : 1));
    for (let hash = blockTail; hash < hashesEnd;) {
      let next = hash;
      while (row[next] !== 44 && next < hashesEnd) next++; // up to ',' or the end of the hashes
      this.blocks.add(decimalAt(row, hash, next) % Buckets.COUNT, row, hash, next, seq, blockTail, at - 1);
      hash = next + 1;
    }
    const idsEnd = skipFields(row, at, 2) - 1;
    this.ids.appendBytes(row, at, idsEnd);
    this.records.appendBytes(row, idsEnd + 1, end);
  }

  /** Links the records, then yields every cluster once, in the order of its first member's arrival. */
  *clusters(): Generator<Cluster | SingleEntry> {
    this.linkExact();
    this.scoreBlocks();
    this.linkFuzzy();
    yield* this.emit();
  }

  /**
   * Records sharing a key are one entity, except that a shared email, phone or other identifier
   * does not join two different LinkedIn profiles or two clearly different names (`jsmith@` of
   * John and of Jane Smith): those become separate sub-groups of the key (see `keyGroups`).
   */
  private linkExact(): void {
    for (let bucket = 0; bucket < Buckets.COUNT; bucket++) {
      const text = this.strong.read(bucket);
      for (const [key, starts] of sharedKeys(text)) {
        for (const seqs of keyGroups(unescapeField(key), starts.map((start) => strongRow(text, start)))) {
          for (const seq of seqs) if (this.sets.union(seqs[0]!, seq) >= 0) this.stats.exact_links++;
        }
      }
    }
  }

  /**
   * Scores the pairs of each block. A pair that shares several blocks is scored in one of them
   * only: the first in bucket and hash order that is within the size bound.
   */
  private scoreBlocks(): void {
    const { weights, threshold, max_block_size } = this.settings;
    const fields = Object.keys(weights);
    const insert = this.work.prepare('INSERT OR IGNORE INTO fuzzy (a, b, score, ia, ib) VALUES (?, ?, ?, ?, ?)');
    // The blocks past the bound so far (a handful: each holds more than max_block_size records).
    const oversized = new Set<number>();
    this.work.exec('BEGIN');
    for (let bucket = 0; bucket < Buckets.COUNT; bucket++) {
      const text = this.blocks.read(bucket);
      const blocks = sharedKeys(text);
      for (const [hash, starts] of blocks) if (starts.length > max_block_size) oversized.add(Number(hash));
      // Whether a pair sharing `shared` besides this block is scored in that block instead.
      const scoredIn = (shared: number, hash: number): boolean => {
        const other = shared % Buckets.COUNT;
        return (other < bucket || (other === bucket && shared < hash)) && !oversized.has(shared);
      };
      for (const [key, starts] of blocks) {
        // A block past the bound is counted and not compared: its pairs would grow as its square.
        if (starts.length > max_block_size) {
          this.stats.oversized_blocks++;
          continue;
        }
        this.stats.blocks++;
        const members = starts.map((start) => blockMember(text, start));
        // Entities do not change while blocks are scored: each member's is looked up once.
        const roots = members.map((m) => this.sets.find(m.seq));
        // A block whose members are one entity already (exact duplicates) has nothing to compare.
        if (roots.every((root) => root === roots[0])) continue;
        const hash = Number(key);
        for (let i = 0; i < members.length; i++) {
          for (let j = i + 1; j < members.length; j++) {
            if (roots[i] === roots[j]) continue;
            const [a, b] = [members[i]!, members[j]!];
            if (a.several && b.several && scoredElsewhere(memberHashes(text, a), memberHashes(text, b), hash, scoredIn)) continue;
            this.stats.comparisons++;
            const s = scorePair(memberProfile(text, a, fields), memberProfile(text, b, fields), weights, threshold);
            // Ties are broken by the pair's identities, smaller first, so input order does not matter.
            if (s >= threshold && s > 0) insert.run(a.seq, b.seq, s, ...(a.ident! < b.ident! ? [a.ident, b.ident] : [b.ident, a.ident]));
          }
        }
      }
    }
    this.work.exec('COMMIT');
    this.stats.fuzzy_candidates = this.work.prepare('SELECT count(*) FROM fuzzy').pluck().get() as number;
  }

  private linkFuzzy(): void {
    if (this.stats.fuzzy_candidates === 0) return;
    // The identifiers of the entities that fuzzy pairs touch (bounded by the candidate count).
    const touched = new Map<number, { li: Set<string>; em: Set<string> }>();
    for (const [a, b] of this.work.prepare('SELECT a, b FROM fuzzy').raw().iterate() as Iterable<[number, number]>) {
      for (const seq of [a, b]) {
        const root = this.sets.find(seq);
        if (!touched.has(root)) touched.set(root, { li: new Set(), em: new Set() });
      }
    }
    for (const [seq, line] of this.ids.entries((seq) => touched.has(this.sets.find(seq)))) {
      if (!line) continue;
      const ids = touched.get(this.sets.find(seq))!;
      const tab = line.indexOf('\t');
      if (tab > 0) ids.li.add(unescapeField(line.slice(0, tab)));
      if (tab < line.length - 1) ids.em.add(unescapeField(line.slice(tab + 1)));
    }
    const disjoint = (x: Set<string>, y: Set<string>): boolean => x.size > 0 && y.size > 0 && ![...x].some((v) => y.has(v));
    const reason = this.db.prepare('INSERT OR IGNORE INTO fuzzy_reason (seq, score) VALUES (?, ?)');
    this.db.exec('BEGIN');
    for (const [a, b, s] of this.work.prepare('SELECT a, b, score FROM fuzzy ORDER BY score DESC, ia, ib').raw().iterate() as Iterable<[number, number, number]>) {
      const ra = this.sets.find(a);
      const rb = this.sets.find(b);
      if (ra === rb) continue;
      const x = touched.get(ra)!;
      const y = touched.get(rb)!;
      if (disjoint(x.li, y.li) || disjoint(x.em, y.em)) {
        this.stats.fuzzy_blocked_by_identifiers++;
        continue;
      }
      const root = this.sets.union(ra, rb);
      touched.set(root, { li: new Set([...x.li, ...y.li]), em: new Set([...x.em, ...y.em]) });
      touched.delete(root === ra ? rb : ra);
      this.stats.fuzzy_links++;
      reason.run(a, s);
      reason.run(b, s);
    }
    this.db.exec('COMMIT');
  }

  private *emit(): Generator<Cluster | SingleEntry> {
    // Each cluster's members as a list threaded through one array: next[seq] is the next member
    // after seq (in input order), -1 at the end; built backwards so each list comes out in order.
    const n = this.sets.size;
    const next = new Int32Array(n).fill(-1);
    for (let seq = n - 1; seq >= 0; seq--) {
      const root = this.sets.find(seq);
      if (root === seq) continue;
      next[seq] = next[root]!;
      next[root] = seq;
    }
    const fuzzyOf = this.db.prepare('SELECT score FROM fuzzy_reason WHERE seq = ?').pluck();
    // Members after the first of their cluster are read when the first comes, not in passing; a
    // record without duplicates (most of them) goes on as bytes, never decoded here.
    for (const [seq, bytes] of this.records.entryBytes((seq) => this.sets.find(seq) === seq)) {
      this.stats.clusters++;
      if (next[seq] === -1) {
        yield { entry: bytes };
        continue;
      }
      const rows = [parseEntry(seq, bytes.toString())];
      this.stats.multi_member_clusters++;
      for (let member = next[seq]!; member !== -1; member = next[member]!) rows.push(parseEntry(member, this.records.get(member)));
      const idents = rows.map((r) => r[1]);
      const members = rows.map((r) => JSON.parse(r[2]) as Lead);
      const texts = rows.map((r) => (r[3] ? r[2] : undefined));
      const reasons = this.exactReasons(rows.map((r) => r[0]), members, idents);
      reasons.forEach((reason, i) => {
        if (reason) return;
        const score = fuzzyOf.get(rows[i]![0]) as number | undefined;
        if (score !== undefined) reasons[i] = { key: 'fuzzy', score };
      });
      yield { id: clusterIdOf(idents), members, idents, reasons, texts };
    }
  }

  /**
   * Why each member of a cluster is in it by an exact key: the smallest key (in byte order) of
   * the key's sub-groups of two or more that hold it. A key's sub-groups lie each within one
   * cluster, and forming them from the cluster's members alone gives the same sub-groups.
   */
  private exactReasons(seqs: number[], members: Lead[], idents: string[]): Array<MatchReason | undefined> {
    const reasons: Array<MatchReason | undefined> = new Array(seqs.length).fill(undefined);
    const smallest: Array<string | undefined> = new Array(seqs.length).fill(undefined);
    const index = new Map<number, number>(seqs.map((seq, i) => [seq, i]));
    const byKey = new Map<string, StrongRow[]>();
    members.forEach((record, i) => {
      const keys = record._meta?.keys ?? {};
      for (const name of this.settings.strong_keys) {
        const value = keys[name];
        if (value === undefined) continue;
        const key = `${name}\u0000${value}`;
        const row: StrongRow = { seq: seqs[i]!, ident: idents[i]!, li: keys.linkedin || undefined, nm: keys.name || undefined };
        const rows = byKey.get(key);
        if (rows) rows.push(row);
        else byKey.set(key, [row]);
      }
    });
    for (const [key, rows] of byKey) {
      if (rows.length < 2) continue;
      for (const group of keyGroups(key, rows)) {
        if (group.length < 2) continue;
        for (const seq of group) {
          const i = index.get(seq)!;
          if (smallest[i] !== undefined && !bytesBefore(key, smallest[i]!)) continue;
          smallest[i] = key;
          const cut = key.indexOf('\u0000');
          reasons[i] = { key: key.slice(0, cut), value: key.slice(cut + 1), score: 1 };
        }
      }
    }
    return reasons;
  }
}

/**
 * The sub-groups of the records sharing one key, each a list of seqs, formed in identity order:
 * a LinkedIn slug or Airtable link joins all; any other key joins records only when their LinkedIn
 * profiles and names do not contradict each other.
 */
function keyGroups(key: string, rows: StrongRow[]): number[][] {
  const name = key.slice(0, key.indexOf('\u0000'));
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

interface StrongRow {
  seq: number;
  ident: string;
  li?: string;
  nm?: string;
}

/**
 * The keys (first field) that two or more lines of a bucket share, each with where its lines
 * start, in line order. Most keys are on one line only and cost one map entry.
 */
function sharedKeys(text: string): Map<string, number[]> {
  const first = new Map<string, number>();
  const shared = new Map<string, number[]>();
  for (let start = 0; start < text.length;) {
    const key = text.slice(start, text.indexOf('\t', start));
    const seen = first.get(key);
    if (seen === undefined) first.set(key, start);
    else {
      const starts = shared.get(key);
      if (starts) starts.push(start);
      else shared.set(key, [seen, start]);
    }
    start = text.indexOf('\n', start) + 1;
  }
  return shared;
}

function strongRow(text: string, start: number): StrongRow {
  const [, seq, ident, li, nm] = text.slice(start, text.indexOf('\n', start)).split('\t');
  return { seq: Number(seq), ident: unescapeField(ident!), li: li ? unescapeField(li) : undefined, nm: nm ? unescapeField(nm) : undefined };
}

/** Whether two members of the block `hash` share another block in which their pair is scored instead. */
function scoredElsewhere(a: readonly number[], b: readonly number[], hash: number, scoredIn: (shared: number, hash: number) => boolean): boolean {
  for (const h of a) if (h !== hash && b.includes(h) && scoredIn(h, hash)) return true;
  return false;
}

/**
 * One record of a block: its seq at once; its block hashes when a pair needs them (only when both
 * records of the pair have several), its identity and profile when first compared.
 */
interface BlockMember {
  start: number;
  seq: number;
  /** Where its block hashes are in the bucket text, and whether there are several. */
  hashesAt: number;
  several: boolean;
  hashes?: number[];
  ident?: string;
  profile?: Profile;
}

function blockMember(text: string, start: number): BlockMember {
  const seqAt = text.indexOf('\t', start) + 1;
  const hashesAt = text.indexOf('\t', seqAt) + 1;
  const comma = text.indexOf(',', hashesAt);
  return { start, seq: Number(text.slice(seqAt, hashesAt - 1)), hashesAt, several: comma !== -1 && comma < text.indexOf('\t', hashesAt) };
}

/** A block member's block hashes, read from its row on first use (digit by digit: they are integers below 2^53). */
function memberHashes(text: string, member: BlockMember): number[] {
  if (member.hashes) return member.hashes;
  const hashes: number[] = [];
  let value = 0;
  for (let at = member.hashesAt; at < text.length; at++) {
    const c = text.charCodeAt(at);
    if (c === 44 || c === 9) { // ',' or tab
      hashes.push(value);
      value = 0;
      if (c === 9) break;
    } else {
      value = value * 10 + c - 48;
    }
  }
  return (member.hashes = hashes);
}

/** A block member's profile, read from its row on first use. */
function memberProfile(text: string, member: BlockMember, fields: readonly string[]): Profile {
  if (member.profile) return member.profile;
  const values = text.slice(member.start, text.indexOf('\n', member.start)).split('\t');
  const profile: Profile = { f: {} };
  if (values[4]) profile.li = unescapeField(values[4]);
  if (values[5]) profile.em = unescapeField(values[5]);
  for (let i = 0; i < fields.length; i++) {
    const value = values[6 + i];
    if (value) profile.f[fields[i]!] = unescapeField(value.slice(1));
  }
  member.ident = unescapeField(values[3]!);
  return (member.profile = profile);
}

/**
 * A comparison profile as tab-separated fields: LinkedIn slug, work email, then one slot per
 * weighted field in the weights' order (which is the profile's, and the score's sums follow it):
 * `=` and the key, or nothing. The field names are not written: read back, they are the weights'
 * own strings, so every profile's object takes the same shape.
 */
function profileText(profile: Profile, weights: FieldWeights): string {
  let text = `${profile.li === undefined ? '' : escapeField(profile.li)}\t${profile.em === undefined ? '' : escapeField(profile.em)}`;
  for (const field in weights) {
    const value = profile.f[field];
    text += value === undefined ? '\t' : `\t=${escapeField(value)}`;
  }
  return text;
}

/** Where the next tab is, from `at` on (a row's fields are short: a loop beats a native call). */
function tabAt(row: Uint8Array, at: number): number {
  while (row[at] !== 9) {
    if (at >= row.length) throw new Error('a parking row ended early: it was not made by parkingRow for these settings');
    at++;
  }
  return at;
}

/** Where the field `count` fields after the one at `at` starts. */
function skipFields(row: Uint8Array, at: number, count: number): number {
  for (; count > 0; count--) at = tabAt(row, at) + 1;
  return at;
}

/** The decimal number in `row[start, end)`. */
function decimalAt(row: Uint8Array, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + row[i]! - 48;
  return value;
}

/** A bucket for a key: FNV-1a, spread over the bucket count. */
function bucketOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % Buckets.COUNT;
}

/**
 * Splits a record file entry (`!` when not spliceable, identity as JSON, a tab, the record's JSON;
 * JSON never holds a raw tab) into seq, identity, JSON and whether it is spliceable.
 */
function parseEntry(seq: number, entry: string): [number, string, string, boolean] {
  const tab = entry.indexOf('\t');
  const spliceable = entry.charCodeAt(0) !== 33;
  return [seq, identityFromJson(entry.slice(spliceable ? 0 : 1, tab)), entry.slice(tab + 1), spliceable];
}

/** An identity from its JSON: without a backslash, the text between the quotes is the identity. */
export function identityFromJson(json: string): string {
  return json.includes('\\') ? (JSON.parse(json) as string) : json.slice(1, -1);
}
