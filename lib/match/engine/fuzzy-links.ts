import type Database from 'better-sqlite3';
import type { PairScorer } from '../scorer.js';
import type { Profile } from '../similarity.js';
import { Buckets, bucketOfHash, sharedKeys } from './buckets.js';
import { HISTOGRAM_BANDS, type ClusterSettings, type ClusterStats } from './cluster-settings.js';
import { addIdentifiers, blockMemberAt, memberHashes, memberProfile, type BlockMember } from './parking-row.js';
import type { RecordFile } from './record-file.js';
import { scratch } from './scratch-db.js';
import { forEachSplitPair, splitFields } from './sub-blocks.js';
import type { UnionFind } from './union-find.js';

/** An entity's identifiers that stop a fuzzy merge: its LinkedIn slugs and work emails. */
interface Identifiers {
  li: Set<string>;
  em: Set<string>;
}

/**
 * Fuzzy links: within each block (records sharing a blocking key) pairs not already joined are
 * scored, all of them in a block of at most `max_block_size` records, those sharing a sub-block in
 * a larger one (sub-blocks.ts); pairs at or above the threshold are applied best
 * first (ties by record identity, so input order does not matter), and a pair whose two entities
 * hold contradicting identifiers is not joined, so fuzzy matches do not chain. Candidates and the
 * scores that joined records are kept in scratch SQLite databases.
 */
export class FuzzyLinks {
  // Two connections: SQLite cannot write on a connection while it reads a result row by row, so
  // what is read in bulk (fuzzy candidates) and what is written meanwhile live apart.
  private readonly db: Database.Database;
  private readonly work: Database.Database;
  /** The weighted fields, in the order of the profiles' slots. */
  private readonly fields: readonly string[];
  /** The fields whose tokens split a block past the bound. */
  private readonly splitFields: readonly string[];
  /** How the blocks being scored score a pair (set by `scoreBlocks`). */
  private scorer: PairScorer | undefined;
  /** Compared pairs per score band. */
  readonly histogram: number[] = new Array<number>(HISTOGRAM_BANDS).fill(0);
  /** The first FIRST_EXPLAINED pairs joined, in the order their records arrived (set by `link`). */
  readonly firstLinks: JoinedPair[] = [];
  /**
   * The earliest candidate pairs by arrival, with their records' profiles: the first pairs joined
   * are nearly always among them, and are then explained without reading the blocks again.
   */
  private readonly earlyCandidates: EarlyCandidate[] = [];

  /** The profiles of the early candidates' records, by identity. */
  earlyProfiles(): Map<string, Profile> {
    return new Map(this.earlyCandidates.flatMap((c) => c.profiles));
  }

  constructor(
    file: string,
    private readonly settings: ClusterSettings,
    private readonly sets: UnionFind,
    private readonly stats: ClusterStats,
  ) {
    this.fields = Object.keys(settings.weights);
    this.splitFields = splitFields(settings.weights);
    this.db = scratch(file);
    this.work = scratch(`${file}-work`);
    this.db.exec('CREATE TABLE fuzzy_reason (seq INTEGER PRIMARY KEY, score REAL NOT NULL);');
    this.work.exec(`
      CREATE TABLE fuzzy (a INTEGER NOT NULL, b INTEGER NOT NULL, score REAL NOT NULL, ia TEXT NOT NULL, ib TEXT NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;
    `);
  }

  close(): void {
    for (const db of [this.db, this.work]) if (db.open) db.close();
  }

  /**
   * Scores the pairs of each block. A pair that shares several blocks is scored in one of them
   * only: the first in bucket and hash order that is within the size bound, else the first of
   * the larger blocks, which are split (sub-blocks.ts) once every block's size is known.
   */
  scoreBlocks(blocks: Buckets, scorer: PairScorer): void {
    this.scorer = scorer;
    const insert = this.work.prepare('INSERT OR IGNORE INTO fuzzy (a, b, score, ia, ib) VALUES (?, ?, ?, ?, ?)');
    // The blocks past the bound (a handful: each holds more than max_block_size records).
    const oversized = new Set<number>();
    this.work.exec('BEGIN');
    for (let bucket = 0; bucket < Buckets.COUNT; bucket++) {
      const text = blocks.read(bucket);
      const shared = sharedKeys(text);
      for (const [hash, starts] of shared) if (starts.length > this.settings.max_block_size) oversized.add(Number(hash));
      // Whether a pair sharing block `other` besides block `hash` is scored in that block instead.
      const scoredIn = (other: number, hash: number): boolean => !oversized.has(other) && before(other, hash);
      for (const [hash, starts] of shared) {
        if (!oversized.has(Number(hash))) this.scoreBlock(text, Number(hash), starts, scoredIn, insert);
      }
    }
    // Now that every block's size is known, a pair of a large block is scored there only when it
    // shares no bounded block, and no earlier large one.
    const scoredIn = (other: number, hash: number): boolean => !oversized.has(other) || before(other, hash);
    for (const bucket of [...new Set([...oversized].map(bucketOfHash))].sort((x, y) => x - y)) {
      const text = blocks.read(bucket);
      for (const [hash, starts] of sharedKeys(text)) if (oversized.has(Number(hash))) this.scoreSplitBlock(text, Number(hash), starts, scoredIn, insert);
    }
    this.work.exec('COMMIT');
    this.stats.fuzzy_candidates = this.work.prepare('SELECT count(*) FROM fuzzy').pluck().get() as number;
  }

  /** Scores the pairs of one block, whose rows start at `starts` of its bucket's text. */
  private scoreBlock(text: string, hash: number, starts: number[], scoredIn: ScoredIn, insert: Database.Statement): void {
    this.stats.blocks++;
    const block = this.openBlock(text, hash, starts, scoredIn, insert);
    if (!block) return;
    const n = block.members.length;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) this.scorePairOf(block, i, j);
  }

  /**
   * Scores the pairs of a block past the bound that share a sub-block (sub-blocks.ts), so the
   * work grows with the block's size, not its square; counts the pairs it leaves uncompared.
   */
  private scoreSplitBlock(text: string, hash: number, starts: number[], scoredIn: ScoredIn, insert: Database.Statement): void {
    this.stats.split_blocks++;
    const block = this.openBlock(text, hash, starts, scoredIn, insert);
    if (!block) return;
    const split = block.members.map((m) => ({ profile: memberProfile(text, m, this.fields), ident: m.ident! }));
    this.stats.uncompared_pairs += forEachSplitPair(split, this.splitFields, this.settings.max_block_size, (i, j) => this.scorePairOf(block, i, j));
  }

  /**
   * A block's members and what its pairs are checked against, worked out once per member rather
   * than once per pair (a block of n members has n(n-1)/2 pairs); undefined when its members are
   * one entity already (exact duplicates), with nothing to compare.
   */
  private openBlock(text: string, hash: number, starts: number[], scoredIn: ScoredIn, insert: Database.Statement): OpenBlock | undefined {
    const members = starts.map((start) => blockMemberAt(text, start));
    // Entities do not change while blocks are scored: each member's is looked up once.
    const roots = members.map((m) => this.sets.find(m.seq));
    if (roots.every((root) => root === roots[0])) return undefined;
    // A member's other blocks in which its pairs are scored instead of here, when it shares them.
    const claims = members.map((m) => (m.several ? memberHashes(text, m).filter((other) => other !== hash && scoredIn(other, hash)) : NO_CLAIMS));
    return { text, members, roots, claims, insert };
  }

  /** Scores members i and j of a block (unless one entity already, or scored in another block); keeps the pair when it reaches the threshold. */
  private scorePairOf(block: OpenBlock, i: number, j: number): void {
    const { text, members, roots, claims } = block;
    if (roots[i] === roots[j]) return;
    const a = members[i]!;
    const b = members[j]!;
    if (claims[i]!.length && b.several && sharesAny(claims[i]!, memberHashes(text, b))) return;
    this.stats.comparisons++;
    const pa = memberProfile(text, a, this.fields);
    const pb = memberProfile(text, b, this.fields);
    const { threshold } = this.settings;
    // The pair is scored, and its ties broken, with the smaller identity first, so that input order
    // does not matter even to a comparison that is not symmetric.
    const first = a.ident! < b.ident!;
    const s = first ? this.scorer!.score(pa, pb, threshold) : this.scorer!.score(pb, pa, threshold);
    this.histogram[Math.min(HISTOGRAM_BANDS - 1, Math.floor(s * HISTOGRAM_BANDS))]!++;
    if (s < threshold || s <= 0) return;
    if (first) block.insert.run(a.seq, b.seq, s, a.ident, b.ident);
    else block.insert.run(a.seq, b.seq, s, b.ident, a.ident);
    keepIfEarly(this.earlyCandidates, {
      seqs: [a.seq, b.seq],
      profiles: [
        [a.ident!, pa],
        [b.ident!, pb],
      ],
    });
  }

  /** Joins the candidate pairs best first, unless their entities' identifiers contradict (`ids`: the ids entries by seq). */
  link(ids: RecordFile): void {
    if (this.stats.fuzzy_candidates === 0) return;
    const touched = this.touchedIdentifiers(ids);
    const disjoint = (x: Set<string>, y: Set<string>): boolean => x.size > 0 && y.size > 0 && ![...x].some((v) => y.has(v));
    const reason = this.db.prepare('INSERT OR IGNORE INTO fuzzy_reason (seq, score) VALUES (?, ?)');
    this.db.exec('BEGIN');
    const bestFirst = this.work.prepare('SELECT a, b, score, ia, ib FROM fuzzy ORDER BY score DESC, ia, ib').raw().iterate() as Iterable<
      [number, number, number, string, string]
    >;
    for (const [a, b, s, ia, ib] of bestFirst) {
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
      keepIfFirst(this.firstLinks, { seqs: [a, b], ids: [ia, ib], score: s });
      reason.run(a, s);
      reason.run(b, s);
    }
    this.db.exec('COMMIT');
  }

  /** The identifiers of the entities that fuzzy pairs touch (bounded by the candidate count), by entity root. */
  private touchedIdentifiers(ids: RecordFile): Map<number, Identifiers> {
    const touched = new Map<number, Identifiers>();
    for (const [a, b] of this.work.prepare('SELECT a, b FROM fuzzy').raw().iterate() as Iterable<[number, number]>) {
      for (const seq of [a, b]) {
        const root = this.sets.find(seq);
        if (!touched.has(root)) touched.set(root, { li: new Set(), em: new Set() });
      }
    }
    for (const [seq, entry] of ids.entries((seq) => touched.has(this.sets.find(seq)))) {
      if (entry) addIdentifiers(entry, touched.get(this.sets.find(seq))!);
    }
    return touched;
  }

  /** How a record's fuzzy score is looked up, once linking is done: the score that joined it, if any. */
  scores(): (seq: number) => number | undefined {
    const score = this.db.prepare('SELECT score FROM fuzzy_reason WHERE seq = ?').pluck();
    return (seq) => score.get(seq) as number | undefined;
  }
}

/** How many of the pairs fuzzy matching joined are explained in the findings: the first of a run. */
export const FIRST_EXPLAINED = 5;

/** A pair fuzzy matching joined: its records' seqs, their identities (as scored: the smaller first) and its score. */
export interface JoinedPair {
  seqs: [number, number];
  ids: [string, string];
  score: number;
}

/** A candidate pair kept with its records' profiles (identity, profile), for explaining it if it is joined. */
interface EarlyCandidate {
  seqs: [number, number];
  profiles: Array<[string, Profile]>;
}

/** How many of the earliest candidate pairs keep their profiles: enough that the first joined are among them. */
const EARLY_CANDIDATES = 8 * FIRST_EXPLAINED;

/**
 * Keeps `pair` in `first` if it is among the FIRST_EXPLAINED earliest by arrival (its earlier
 * record's, then its later one's): the pairs a person meets first in the output, the same
 * whatever the order pairs are joined in.
 */
function keepIfFirst(first: JoinedPair[], pair: JoinedPair): void {
  keepEarliest(first, pair, FIRST_EXPLAINED);
}

function keepIfEarly(early: EarlyCandidate[], candidate: EarlyCandidate): void {
  keepEarliest(early, candidate, EARLY_CANDIDATES);
}

/** Keeps `item` in `list` (sorted by arrival, at most `bound` long) if it is among the `bound` earliest. */
function keepEarliest<T extends { seqs: [number, number] }>(list: T[], item: T, bound: number): void {
  const key = (p: T): [number, number] => [Math.min(...p.seqs), Math.max(...p.seqs)];
  const [x, y] = key(item);
  const before = (p: T): boolean => {
    const [px, py] = key(p);
    return x < px || (x === px && y < py);
  };
  // Once the list is full, most items come after its last: one comparison.
  if (list.length === bound && !before(list[bound - 1]!)) return;
  const at = list.findIndex(before);
  if (at === -1) {
    if (list.length < bound) list.push(item);
    return;
  }
  list.splice(at, 0, item);
  if (list.length > bound) list.pop();
}

/** A block being scored: its bucket's text, its members and their entities, their claims, and where its candidates go. */
interface OpenBlock {
  text: string;
  members: BlockMember[];
  roots: number[];
  /** Per member, its other blocks in which a pair it shares with a member of this one is scored instead (`ScoredIn`). */
  claims: number[][];
  insert: Database.Statement;
}

const NO_CLAIMS: number[] = [];

/** Whether a pair sharing block `other` besides block `hash` is scored in that block instead. */
type ScoredIn = (other: number, hash: number) => boolean;

/** Whether block `other` comes before block `hash` in the order blocks are read: by bucket, then by hash. */
function before(other: number, hash: number): boolean {
  const [bo, bh] = [bucketOfHash(other), bucketOfHash(hash)];
  return bo < bh || (bo === bh && other < hash);
}

/** Whether two lists of block hashes (a few each) share one. */
function sharesAny(claims: readonly number[], hashes: readonly number[]): boolean {
  for (const h of claims) if (hashes.includes(h)) return true;
  return false;
}
