import type { Lead } from '../../core/record.js';
import { clusterIdOf, type Cluster } from '../cluster.js';
import { Buckets } from './buckets.js';
import { weightTable } from '../model/index.js';
import { learnedScorer, weightedScorer, type PairScorer } from '../scorer.js';
import { noStats, type ClusterFindings, type ClusterSettings, type ClusterStats } from './cluster-settings.js';
import { explainJoinedPairs, explainParkedPair } from './explain-pair.js';
import { exactReasons, linkExact } from './exact-links.js';
import { FuzzyLinks } from './fuzzy-links.js';
import { fileParkingRow, parkingRow, profileSlots, readRecordEntry, type ParkingFiles, type RecordEntry } from './parking-row.js';
import { RecordFile } from './record-file.js';
import { trainOnBlocks } from './training.js';
import { UnionFind } from './union-find.js';

/**
 * Clustering leads into entities with flat memory: records are appended to a scratch file, their
 * strong keys and blocks (with comparison profiles) to hash-partitioned bucket files read back one
 * bucket at a time, fuzzy candidates and their scores kept in a scratch SQLite database. What stays
 * in memory per record: a union-find entry, then a next-member link (4 bytes each) and two entry
 * lengths (2 bytes each), 12 bytes in all.
 *
 * 1. Exact links (exact-links.ts): records sharing a strong key are one entity, transitively.
 * 2. Fuzzy links (fuzzy-links.ts): pairs within blocks scored (a block past the bound split by name,
 *    sub-blocks.ts), applied best first.
 */

/** A cluster of several records as the store hands it over, with the members' JSON as parked. */
export interface ParkedCluster extends Cluster {
  /**
   * Per member, its JSON as it was parked when its annotations can be spliced into it
   * (`annotatableAsText`), else undefined.
   */
  texts?: Array<string | undefined>;
}

/**
 * A record without duplicates as the clustering hands it over: its records entry as UTF-8 bytes
 * (see `RecordEntryLayout`), a view valid until the next cluster is asked for.
 */
export interface SingleEntry {
  entry: Buffer;
}

export class ClusterStore {
  private readonly sets = new UnionFind();
  /** Per record: its records entry, and its ids entry (the identifiers that stop a fuzzy merge). */
  private readonly records: RecordFile;
  private readonly ids: RecordFile;
  /** Strong-key rows and block rows, partitioned by key and by block. */
  private readonly strong: Buckets;
  private readonly blocks: Buckets;
  private readonly files: ParkingFiles;
  private readonly fuzzy: FuzzyLinks;
  /** How many slots a comparison profile has in a parking row. */
  private readonly slots: number;
  readonly stats: ClusterStats = noStats();
  readonly findings: ClusterFindings;

  constructor(
    file: string,
    private readonly settings: ClusterSettings,
  ) {
    this.findings = { scoring: settings.scoring ?? 'weighted', histogram: [] };
    this.slots = profileSlots(settings.weights);
    this.fuzzy = new FuzzyLinks(file, settings, this.sets, this.stats);
    this.records = new RecordFile(`${file}-records`);
    this.ids = new RecordFile(`${file}-ids`);
    this.strong = new Buckets(`${file}-strong`);
    this.blocks = new Buckets(`${file}-blocks`);
    this.files = { strong: this.strong, blocks: this.blocks, ids: this.ids, records: this.records };
  }

  close(): void {
    this.fuzzy.close();
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

  /** Parks one record from its `parkingRow` as UTF-8 bytes, `row[start, end)`, its parts copied into the files as they are. */
  addParked(row: Uint8Array, start: number, end: number): void {
    const seq = String(this.sets.add());
    this.stats.records++;
    fileParkingRow(row, start, end, seq, this.slots, this.files);
  }

  /** Links the records, then yields every cluster once, in the order of its first member's arrival. */
  *clusters(): Generator<ParkedCluster | SingleEntry> {
    linkExact(this.strong, this.sets, this.stats);
    const scorer = this.scorer();
    this.fuzzy.scoreBlocks(this.blocks, scorer);
    this.findings.histogram = [...this.fuzzy.histogram];
    if (this.settings.explain) this.findings.explained = explainParkedPair(this.blocks, this.settings.explain, Object.keys(this.settings.weights), scorer);
    this.fuzzy.link(this.ids);
    const fields = Object.keys(this.settings.weights);
    this.findings.first_pairs = explainJoinedPairs(this.blocks, this.fuzzy.firstLinks, fields, scorer, this.settings.threshold, this.fuzzy.earlyProfiles());
    yield* this.emit();
  }

  /** The hand weights' scorer, or a model's trained on the parked blocks (before any pair is scored). */
  private scorer(): PairScorer {
    const { training } = this.settings;
    if (this.settings.scoring !== 'learned' || !training) return weightedScorer(this.settings.weights);
    const { model, sessions } = trainOnBlocks(this.blocks, training, this.stats.records, this.settings.max_block_size);
    this.findings.model = { prior: model.prior, weights: weightTable(model), sessions };
    return learnedScorer(model);
  }

  private *emit(): Generator<ParkedCluster | SingleEntry> {
    const next = this.memberLinks();
    const fuzzyScore = this.fuzzy.scores();
    // Members after the first of their cluster are read when the first comes, not in passing; a
    // record without duplicates (most of them) goes on as bytes, never decoded here.
    for (const [seq, bytes] of this.records.entryBytes((seq) => this.sets.find(seq) === seq)) {
      this.stats.clusters++;
      if (next[seq] === -1) {
        yield { entry: bytes };
        continue;
      }
      this.stats.multi_member_clusters++;
      const seqs = [seq];
      const entries: RecordEntry[] = [readRecordEntry(bytes.toString())];
      for (let member = next[seq]!; member !== -1; member = next[member]!) {
        seqs.push(member);
        entries.push(readRecordEntry(this.records.get(member)));
      }
      const idents = entries.map((e) => e.ident);
      const members = entries.map((e) => JSON.parse(e.json) as Lead);
      const texts = entries.map((e) => (e.spliceable ? e.json : undefined));
      const reasons = exactReasons(seqs, members, idents, this.settings.strong_keys);
      reasons.forEach((reason, i) => {
        if (reason) return;
        const score = fuzzyScore(seqs[i]!);
        if (score !== undefined) reasons[i] = { key: 'fuzzy', score };
      });
      yield { id: clusterIdOf(idents), members, idents, reasons, texts };
    }
  }

  /**
   * Each cluster's members as a list threaded through one array: next[seq] is the next member
   * after seq (in input order), -1 at the end; built backwards so each list comes out in order.
   */
  private memberLinks(): Int32Array {
    const n = this.sets.size;
    const next = new Int32Array(n).fill(-1);
    for (let seq = n - 1; seq >= 0; seq--) {
      const root = this.sets.find(seq);
      if (root === seq) continue;
      next[seq] = next[root]!;
      next[root] = seq;
    }
    return next;
  }
}
