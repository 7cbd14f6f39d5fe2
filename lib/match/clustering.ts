import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import type { Lead } from '../record.js';
import { BLOCK_PREFIX } from './keys.js';
import { namesAgree, profileOf, scorePair, type FieldWeights, type Profile } from './similarity.js';
import { RecordFile } from './record-file.js';
import { BatchInsert, hash53, scratch } from './scratch-db.js';
import { UnionFind } from './union-find.js';

/**
 * Clustering leads into entities with flat memory: records (with their comparison profiles) are
 * appended to a scratch file, their keys and candidate pairs parked in a scratch SQLite database;
 * only a union-find entry and a file offset (12 bytes) per record stay in memory.
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
  // what is read in bulk (records, keys, blocks) and what is written meanwhile live apart.
  private readonly db: Database.Database;
  private readonly work: Database.Database;
  private readonly sets = new UnionFind();
  private pending = 0;
  private readonly records: RecordFile;
  /** Identity and comparison profile per record, apart from the records: comparing reads only these. */
  private readonly profiles: RecordFile;
  private readonly insertStrong: BatchInsert;
  private readonly insertBlock: BatchInsert;
  readonly stats: ClusterStats = {
    records: 0, exact_links: 0, blocks: 0, oversized_blocks: 0, comparisons: 0, fuzzy_candidates: 0,
    fuzzy_links: 0, fuzzy_blocked_by_identifiers: 0, clusters: 0, multi_member_clusters: 0,
  };

  constructor(file: string, private readonly settings: ClusterSettings) {
    this.db = scratch(file);
    this.work = scratch(`${file}-work`);
    this.db.exec(`
      CREATE TABLE strong (key TEXT NOT NULL, seq INTEGER NOT NULL, ident TEXT NOT NULL, li TEXT, nm TEXT);
      CREATE TABLE block (hash INTEGER NOT NULL, seq INTEGER NOT NULL);
      CREATE TABLE fuzzy_reason (seq INTEGER PRIMARY KEY, score REAL NOT NULL);
    `);
    this.work.exec(`
      CREATE TABLE fuzzy (a INTEGER NOT NULL, b INTEGER NOT NULL, score REAL NOT NULL, ia TEXT NOT NULL, ib TEXT NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;
      CREATE TABLE reason (seq INTEGER PRIMARY KEY, key TEXT NOT NULL, value TEXT NOT NULL);
      CREATE TABLE parked (seq INTEGER PRIMARY KEY, json TEXT NOT NULL);
      CREATE TABLE member (root INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (root, seq)) WITHOUT ROWID;
    `);
    this.records = new RecordFile(`${file}-records`);
    this.profiles = new RecordFile(`${file}-profiles`);
    this.insertStrong = new BatchInsert(this.db, 'strong (key, seq, ident, li, nm)', 5);
    this.insertBlock = new BatchInsert(this.db, 'block (hash, seq)', 2);
  }

  close(): void {
    for (const db of [this.db, this.work]) if (db.open) db.close();
    this.records.close();
    this.profiles.close();
  }

  /** Keeps a JSON document (a duplicate group) until `parked()` reads them back in order. */
  park(document: unknown): void {
    (this.parkStatement ??= this.work.prepare('INSERT INTO parked (json) VALUES (?)')).run(JSON.stringify(document));
  }
  private parkStatement: Database.Statement | undefined;

  *parked(): Generator<unknown> {
    for (const json of this.work.prepare('SELECT json FROM parked ORDER BY seq').pluck().iterate() as Iterable<string>) yield JSON.parse(json);
  }

  /** Parks one record with its match keys. */
  add(record: Lead, keys: Record<string, string>): void {
    if (this.pending++ === 0) this.db.exec('BEGIN');
    const seq = this.sets.add();
    this.stats.records++;
    const ident = identityOf(record);
    const profile = JSON.stringify(profileOf(record, keys, this.settings.weights, this.settings.default_country));
    const identJson = JSON.stringify(ident);
    this.records.append(`${identJson}\t${JSON.stringify(record)}`);
    this.profiles.append(`[${identJson},${profile}]`);
    for (const name of this.settings.strong_keys) {
      const value = keys[name];
      if (value !== undefined) this.insertStrong.run(`${name}\u0000${value}`, seq, ident, keys.linkedin ?? null, keys.name ?? null);
    }
    // Blocks are sorted by a 53-bit hash of their key: two keys that collide only make one block
    // a little larger (every pair in it is still scored).
    for (const name in keys) if (name.startsWith(BLOCK_PREFIX)) this.insertBlock.run(hash53(`${name}\u0000${keys[name]}`), seq);
    if (this.pending >= 5000) this.commit();
  }

  private commit(): void {
    for (const batch of [this.insertStrong, this.insertBlock]) batch.flush();
    this.records.flush();
    this.profiles.flush();
    if (this.pending > 0) this.db.exec('COMMIT');
    this.pending = 0;
  }

  /** Links the records, then yields every cluster once, in the order of its first member's arrival. */
  *clusters(): Generator<Cluster> {
    this.commit();
    this.linkExact();
    this.scoreBlocks();
    this.linkFuzzy();
    yield* this.emit();
  }

  /**
   * Records sharing a key are one entity, except that a shared email, phone or other identifier
   * does not join two different LinkedIn profiles or two clearly different names (`jsmith@` of
   * John and of Jane Smith): those become separate sub-groups of the key, formed in identity order.
   */
  private linkExact(): void {
    const reason = this.work.prepare('INSERT OR IGNORE INTO reason (seq, key, value) VALUES (?, ?, ?)');
    this.work.exec('BEGIN');
    let key: string | undefined;
    let rows: Array<{ seq: number; ident: string; li?: string; nm?: string }> = [];
    const link = (): void => {
      if (key === undefined || rows.length < 2) return;
      const cut = key.indexOf('\u0000');
      const [name, value] = [key.slice(0, cut), key.slice(cut + 1)];
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
      for (const group of groups) {
        if (group.seqs.length < 2) continue;
        for (const seq of group.seqs) {
          reason.run(seq, name, value);
          if (this.sets.union(group.seqs[0]!, seq) >= 0) this.stats.exact_links++;
        }
      }
    };
    for (const [k, seq, ident, li, nm] of this.db.prepare('SELECT key, seq, ident, li, nm FROM strong ORDER BY key').raw().iterate() as Iterable<[string, number, string, string | null, string | null]>) {
      if (k !== key) {
        link();
        key = k;
        rows = [];
      }
      rows.push({ seq, ident, li: li ?? undefined, nm: nm ?? undefined });
    }
    link();
    this.work.exec('COMMIT');
  }

  private scoreBlocks(): void {
    const { weights, threshold, max_block_size } = this.settings;
    const insert = this.work.prepare('INSERT OR IGNORE INTO fuzzy (a, b, score, ia, ib) VALUES (?, ?, ?, ?, ?)');
    let block: number | undefined;
    let rows: number[] = [];
    let oversized = false;
    const score = (): void => {
      if (oversized) this.stats.oversized_blocks++;
      else if (rows.length > 1) {
        this.stats.blocks++;
        // A block whose members are one entity already (exact duplicates) has nothing to compare.
        const root = this.sets.find(rows[0]!);
        if (rows.every((seq) => this.sets.find(seq) === root)) {
          rows = [];
          return;
        }
        const members = rows.map((seq) => ({ seq, ...this.comparable(seq) }));
        for (let i = 0; i < members.length; i++) {
          for (let j = i + 1; j < members.length; j++) {
            const [a, b] = [members[i]!, members[j]!];
            if (this.sets.find(a.seq) === this.sets.find(b.seq)) continue;
            this.stats.comparisons++;
            const s = scorePair(a.profile, b.profile, weights, threshold);
            // Ties are broken by the pair's identities, smaller first, so input order does not matter.
            if (s >= threshold && s > 0) insert.run(a.seq, b.seq, s, ...(a.ident < b.ident ? [a.ident, b.ident] : [b.ident, a.ident]));
          }
        }
      }
      rows = [];
      oversized = false;
    };
    this.work.exec('BEGIN');
    // Integer rows sort fast; the profiles of the few blocks with two or more members are read by seq.
    const blocks = this.db.prepare('SELECT hash, seq FROM block ORDER BY hash, seq').raw().iterate() as Iterable<[number, number]>;
    for (const [hash, seq] of blocks) {
      if (hash !== block) {
        score();
        block = hash;
      }
      if (oversized) continue;
      // A block past the bound is counted and not compared: its pairs would grow as its square.
      if (rows.length >= max_block_size) oversized = true;
      else rows.push(seq);
    }
    score();
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
    for (let seq = 0; seq < this.sets.size; seq++) {
      const ids = touched.get(this.sets.find(seq));
      if (!ids) continue;
      const p = this.comparable(seq).profile;
      if (p.li) ids.li.add(p.li);
      if (p.em) ids.em.add(p.em);
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

  /** A parked record's identity and comparison profile. */
  private comparable(seq: number): { ident: string; profile: Profile } {
    const [ident, profile] = JSON.parse(this.profiles.get(seq)) as [string, Profile];
    return { ident, profile };
  }

  private *emit(): Generator<Cluster> {
    const n = this.sets.size;
    const grouped = new Uint8Array(n);
    const insert = this.work.prepare('INSERT INTO member (root, seq) VALUES (?, ?)');
    this.work.exec('BEGIN');
    for (let seq = 0; seq < n; seq++) {
      const root = this.sets.find(seq);
      if (root !== seq) {
        grouped[root] = 1;
        insert.run(root, seq);
      }
    }
    this.work.exec('COMMIT');
    const membersOf = this.work.prepare('SELECT seq FROM member WHERE root = ? ORDER BY seq').pluck();
    const exactOf = this.work.prepare('SELECT key, value FROM reason WHERE seq = ?').raw();
    const fuzzyOf = this.db.prepare('SELECT score FROM fuzzy_reason WHERE seq = ?').pluck();
    for (const [seq, entry] of this.records.entries()) {
      if (this.sets.find(seq) !== seq) continue;
      this.stats.clusters++;
      const rows = [parseEntry(seq, entry)];
      if (grouped[seq]) {
        this.stats.multi_member_clusters++;
        for (const member of membersOf.all(seq) as number[]) rows.push(parseEntry(member, this.records.get(member)));
      }
      const members = rows.map((r) => JSON.parse(r[2]) as Lead);
      const reasons = rows.map((r): MatchReason | undefined => {
        if (rows.length === 1) return undefined;
        const exact = exactOf.get(r[0]) as [string, string] | undefined;
        if (exact) return { key: exact[0], value: exact[1], score: 1 };
        const score = fuzzyOf.get(r[0]) as number | undefined;
        return score === undefined ? undefined : { key: 'fuzzy', score };
      });
      const idents = rows.map((r) => r[1]);
      yield { id: clusterIdOf(idents), members, idents, reasons };
    }
  }
}

/** Splits a record file entry (identity and record JSON; JSON never holds a raw tab). */
function parseEntry(seq: number, entry: string): [number, string, string] {
  const tab = entry.indexOf('\t');
  return [seq, JSON.parse(entry.slice(0, tab)) as string, entry.slice(tab + 1)];
}
