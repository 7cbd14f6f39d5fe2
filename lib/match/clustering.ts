import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import type { Lead } from '../record.js';
import { BLOCK_PREFIX } from './keys.js';
import { namesAgree, profileOf, scorePair, type FieldWeights, type Profile } from './similarity.js';
import { UnionFind } from './union-find.js';

/**
 * Clustering leads into entities with flat memory: records, their keys and candidate pairs are
 * parked in a scratch SQLite database; only a 4-byte union-find entry per record stays in memory.
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
 * The cluster id: a hash of the smallest member identity. Unique per cluster, the same whatever
 * the input order, and the same across both systems' records of the entity.
 */
export function clusterIdOf(idents: readonly string[]): string {
  let smallest = idents[0] ?? '';
  for (const ident of idents) if (ident < smallest) smallest = ident;
  return createHash('sha1').update(smallest).digest('hex').slice(0, 16);
}

export class ClusterStore {
  // Two connections: SQLite cannot write on a connection while it reads a result row by row, so
  // what is read in bulk (records, keys, blocks) and what is written meanwhile live apart.
  private readonly db: Database.Database;
  private readonly work: Database.Database;
  private readonly sets = new UnionFind();
  private pending = 0;
  private readonly insertRecord: Database.Statement;
  private readonly insertStrong: Database.Statement;
  private readonly insertBlock: Database.Statement;
  readonly stats: ClusterStats = {
    records: 0, exact_links: 0, blocks: 0, oversized_blocks: 0, comparisons: 0, fuzzy_candidates: 0,
    fuzzy_links: 0, fuzzy_blocked_by_identifiers: 0, clusters: 0, multi_member_clusters: 0,
  };

  constructor(file: string, private readonly settings: ClusterSettings) {
    this.db = scratch(file);
    this.work = scratch(`${file}-work`);
    this.db.exec(`
      CREATE TABLE rec (seq INTEGER PRIMARY KEY, ident TEXT NOT NULL, json TEXT NOT NULL);
      CREATE TABLE strong (key TEXT NOT NULL, ident TEXT NOT NULL, seq INTEGER NOT NULL, li TEXT, nm TEXT);
      CREATE TABLE block (key TEXT NOT NULL, seq INTEGER NOT NULL, profile TEXT NOT NULL);
      CREATE TABLE fuzzy_reason (seq INTEGER PRIMARY KEY, score REAL NOT NULL);
    `);
    this.work.exec(`
      CREATE TABLE fuzzy (a INTEGER NOT NULL, b INTEGER NOT NULL, score REAL NOT NULL, ia TEXT NOT NULL, ib TEXT NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;
      CREATE TABLE reason (seq INTEGER PRIMARY KEY, key TEXT NOT NULL, value TEXT NOT NULL);
      CREATE TABLE parked (seq INTEGER PRIMARY KEY, json TEXT NOT NULL);
      CREATE TABLE member (root INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (root, seq)) WITHOUT ROWID;
    `);
    this.insertRecord = this.db.prepare('INSERT INTO rec (seq, ident, json) VALUES (?, ?, ?)');
    this.insertStrong = this.db.prepare('INSERT INTO strong (key, ident, seq, li, nm) VALUES (?, ?, ?, ?, ?)');
    this.insertBlock = this.db.prepare('INSERT INTO block (key, seq, profile) VALUES (?, ?, ?)');
  }

  close(): void {
    for (const db of [this.db, this.work]) if (db.open) db.close();
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
    this.insertRecord.run(seq, ident, JSON.stringify(record));
    for (const name of this.settings.strong_keys) {
      const value = keys[name];
      if (value !== undefined) this.insertStrong.run(`${name}\u0000${value}`, ident, seq, keys.linkedin ?? null, keys.name ?? null);
    }
    let profile: string | undefined;
    for (const name in keys) {
      if (!name.startsWith(BLOCK_PREFIX)) continue;
      profile ??= JSON.stringify(profileOf(record, keys, this.settings.weights, this.settings.default_country));
      this.insertBlock.run(`${name}\u0000${keys[name]}`, seq, profile);
    }
    if (this.pending >= 2000) this.commit();
  }

  private commit(): void {
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
    let groups: Array<{ seqs: number[]; li?: string; names: string[] }> = [];
    const link = (): void => {
      if (key === undefined) return;
      const cut = key.indexOf('\u0000');
      const [name, value] = [key.slice(0, cut), key.slice(cut + 1)];
      for (const { seqs } of groups) {
        if (seqs.length < 2) continue;
        for (const seq of seqs) {
          reason.run(seq, name, value);
          if (this.sets.union(seqs[0]!, seq) >= 0) this.stats.exact_links++;
        }
      }
      groups = [];
    };
    const rows = this.db.prepare('SELECT key, seq, li, nm FROM strong ORDER BY key, ident').raw().iterate() as Iterable<[string, number, string | null, string | null]>;
    for (const [k, seq, li, nm] of rows) {
      if (k !== key) {
        link();
        key = k;
      }
      const guarded = !k.startsWith('linkedin\u0000') && !k.startsWith('link\u0000');
      const fits = (g: (typeof groups)[number]): boolean =>
        !guarded || ((!li || !g.li || g.li === li) && (!nm || g.names.every((other) => namesAgree(nm, other))));
      const group = groups.find(fits);
      if (group) {
        group.seqs.push(seq);
        group.li ??= li ?? undefined;
        if (nm && !group.names.includes(nm)) group.names.push(nm);
      } else {
        groups.push({ seqs: [seq], li: li ?? undefined, names: nm ? [nm] : [] });
      }
    }
    link();
    this.work.exec('COMMIT');
  }

  private scoreBlocks(): void {
    const { weights, threshold, max_block_size } = this.settings;
    const insert = this.work.prepare('INSERT OR IGNORE INTO fuzzy (a, b, score, ia, ib) VALUES (?, ?, ?, ?, ?)');
    const identOf = this.db.prepare('SELECT ident FROM rec WHERE seq = ?').pluck();
    let key: string | undefined;
    let seqs: number[] = [];
    let profiles: Profile[] = [];
    let oversized = false;
    const score = (): void => {
      if (oversized) this.stats.oversized_blocks++;
      else if (seqs.length > 1) {
        this.stats.blocks++;
        for (let i = 0; i < seqs.length; i++) {
          for (let j = i + 1; j < seqs.length; j++) {
            const [a, b] = [seqs[i]!, seqs[j]!];
            if (this.sets.find(a) === this.sets.find(b)) continue;
            this.stats.comparisons++;
            const s = scorePair(profiles[i]!, profiles[j]!, weights, threshold);
            if (s >= threshold && s > 0) insert.run(a, b, s, identOf.get(a), identOf.get(b));
          }
        }
      }
      seqs = [];
      profiles = [];
      oversized = false;
    };
    this.work.exec('BEGIN');
    for (const [k, seq, profile] of this.db.prepare('SELECT key, seq, profile FROM block ORDER BY key, seq').raw().iterate() as Iterable<[string, number, string]>) {
      if (k !== key) {
        score();
        key = k;
      }
      if (oversized) continue;
      // A block past the bound is counted and not compared: its pairs would grow as its square.
      if (seqs.length >= max_block_size) oversized = true;
      else {
        seqs.push(seq);
        profiles.push(JSON.parse(profile));
      }
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
    for (const [seq, profile] of this.db.prepare('SELECT seq, profile FROM block').raw().iterate() as Iterable<[number, string]>) {
      const ids = touched.get(this.sets.find(seq));
      if (!ids) continue;
      const p = JSON.parse(profile) as Profile;
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
    const recordOf = this.db.prepare('SELECT seq, ident, json FROM rec WHERE seq = ?').raw();
    const exactOf = this.work.prepare('SELECT key, value FROM reason WHERE seq = ?').raw();
    const fuzzyOf = this.db.prepare('SELECT score FROM fuzzy_reason WHERE seq = ?').pluck();
    for (const row of this.db.prepare('SELECT seq, ident, json FROM rec ORDER BY seq').raw().iterate() as Iterable<[number, string, string]>) {
      const seq = row[0];
      if (this.sets.find(seq) !== seq) continue;
      this.stats.clusters++;
      const rows = [row];
      if (grouped[seq]) {
        this.stats.multi_member_clusters++;
        for (const member of membersOf.all(seq) as number[]) rows.push(recordOf.get(member) as [number, string, string]);
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

function scratch(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -16000');
  return db;
}
