import Database from 'better-sqlite3';
import type { BaseDef, TableDef } from './schema.js';

/** One record as stored: cells keyed by field id, times in epoch ms (second precision). */
export interface StoredRecord {
  id: string;
  /** Insertion sequence within the table; doubles as the autoNumber value. */
  seq: number;
  createdTime: number;
  cells: Record<string, unknown>;
  /** When each field was last changed by a write, by field id. */
  modified: Record<string, number>;
}

/** A set of record writes for one table, applied all or nothing. */
export interface TableChange {
  tableId: string;
  put: StoredRecord[];
  remove: string[];
}

/**
 * The base(s) of one emulator: definitions and records, persisted in SQLite and mirrored in
 * memory. Reads are served from memory (fast enough to never be the bottleneck of a
 * benchmark); every write goes through one SQLite transaction first, so a crash leaves either
 * the old or the new state on disk.
 */
export class Store {
  private readonly db: Database.Database;
  private readonly baseDefs = new Map<string, BaseDef>();
  private readonly rows = new Map<string, Map<string, StoredRecord>>();
  private readonly seqs = new Map<string, number>();
  private readonly stmts: Record<'putBase' | 'putRecord' | 'removeRecord' | 'removeTable', Database.Statement>;

  constructor(file = ':memory:') {
    this.db = new Database(file);
    if (file !== ':memory:') this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS bases (id TEXT PRIMARY KEY, position INTEGER NOT NULL, definition TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS records (
        id TEXT PRIMARY KEY, table_id TEXT NOT NULL, seq INTEGER NOT NULL,
        created_ms INTEGER NOT NULL, cells TEXT NOT NULL, modified TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS records_by_table ON records (table_id, seq);`);
    this.stmts = {
      putBase: this.db.prepare('INSERT OR REPLACE INTO bases (id, position, definition) VALUES (?, ?, ?)'),
      putRecord: this.db.prepare('INSERT OR REPLACE INTO records (id, table_id, seq, created_ms, cells, modified) VALUES (?, ?, ?, ?, ?, ?)'),
      removeRecord: this.db.prepare('DELETE FROM records WHERE id = ?'),
      removeTable: this.db.prepare('DELETE FROM records WHERE table_id = ?'),
    };
    this.load();
  }

  private load(): void {
    for (const row of this.db.prepare('SELECT definition FROM bases ORDER BY position').all() as { definition: string }[]) {
      const def = JSON.parse(row.definition) as BaseDef;
      this.baseDefs.set(def.id, def);
      for (const t of def.tables) this.rows.set(t.id, new Map());
    }
    const all = this.db.prepare('SELECT * FROM records ORDER BY table_id, seq').iterate() as Iterable<{
      id: string;
      table_id: string;
      seq: number;
      created_ms: number;
      cells: string;
      modified: string;
    }>;
    for (const r of all) {
      this.table(r.table_id).set(r.id, {
        id: r.id,
        seq: r.seq,
        createdTime: r.created_ms,
        cells: JSON.parse(r.cells),
        modified: JSON.parse(r.modified),
      });
      this.seqs.set(r.table_id, Math.max(this.seqs.get(r.table_id) ?? 0, r.seq));
    }
  }

  private table(tableId: string): Map<string, StoredRecord> {
    let m = this.rows.get(tableId);
    if (!m) this.rows.set(tableId, (m = new Map()));
    return m;
  }

  bases(): BaseDef[] {
    return [...this.baseDefs.values()];
  }

  base(id: string): BaseDef | undefined {
    return this.baseDefs.get(id);
  }

  /** Adds or replaces a base definition (records are kept). */
  saveBase(def: BaseDef): void {
    const position = [...this.baseDefs.keys()].indexOf(def.id);
    this.stmts.putBase.run(def.id, position < 0 ? this.baseDefs.size : position, JSON.stringify(def));
    this.baseDefs.set(def.id, def);
    for (const t of def.tables) this.table(t.id);
  }

  /** The records of a table in creation order. Do not mutate. */
  records(tableId: string): Map<string, StoredRecord> {
    return this.table(tableId);
  }

  /** Finds a record anywhere in a base (the real API's get ignores the table: contract §2.2). */
  findInBase(base: BaseDef, id: string): { table: TableDef; record: StoredRecord } | undefined {
    for (const table of base.tables) {
      const record = this.rows.get(table.id)?.get(id);
      if (record) return { table, record };
    }
    return undefined;
  }

  /** The next insertion sequence number of a table. */
  nextSeq(tableId: string): number {
    const next = (this.seqs.get(tableId) ?? 0) + 1;
    this.seqs.set(tableId, next);
    return next;
  }

  /** Applies writes atomically: on disk in one transaction, then in memory. */
  apply(changes: TableChange[]): void {
    this.db.transaction(() => {
      for (const c of changes) {
        for (const r of c.put) {
          this.stmts.putRecord.run(r.id, c.tableId, r.seq, r.createdTime, JSON.stringify(r.cells), JSON.stringify(r.modified));
        }
        for (const id of c.remove) this.stmts.removeRecord.run(id);
      }
    })();
    for (const c of changes) {
      const m = this.table(c.tableId);
      for (const r of c.put) m.set(r.id, r);
      for (const id of c.remove) m.delete(id);
    }
  }

  /** Deletes every record of every table (definitions stay). */
  clearRecords(): void {
    this.db.transaction(() => {
      for (const tableId of this.rows.keys()) this.stmts.removeTable.run(tableId);
    })();
    for (const m of this.rows.values()) m.clear();
  }

  close(): void {
    this.db.close();
  }
}
