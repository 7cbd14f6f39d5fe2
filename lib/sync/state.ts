import Database from 'better-sqlite3';
import { privateDatabaseFile } from '../safety/files.js';

/**
 * What a synchronization remembers between runs, in a small SQLite file of its own (never in the
 * user's lead database, whose schema is theirs):
 *
 * - the **watermark**: when the last successful live run started, so the next run can read only
 *   what changed since (incremental), and when the last full scan was;
 * - the **links** as they stood after that run (local id ↔ Airtable id). A linked pair whose one
 *   side is gone now was deleted there by someone, and the deletion is carried to the other
 *   side; a record that was never linked and has no counterpart is new, and is created on the
 *   other side. Without this memory the two cannot be told apart, and a deleted lead would come
 *   back at every run.
 */
export class SyncState {
  private readonly db: Database.Database;

  constructor(readonly file: string) {
    // The links name every lead in both systems: the file is private, as backups and journals are.
    privateDatabaseFile(file);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS sync_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS sync_links (airtable_id TEXT PRIMARY KEY, local_id TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS sync_links_local ON sync_links (local_id);
    `);
  }

  /** When the last successful live run started (ISO), if any. */
  watermark(): string | undefined {
    return this.meta('watermark');
  }

  /**
   * When the last successful run finished checking both systems: its own writes are older than
   * this, so a record modified later was edited by someone since.
   */
  checkedAt(): string | undefined {
    return this.meta('checked_at');
  }

  /** When the last run that read everything (and so could see deletions) started. */
  lastFullScan(): string | undefined {
    return this.meta('full_scan');
  }

  /** The local id an Airtable record was linked to after the last successful run. */
  localIdOf(airtableId: string): string | undefined {
    return (this.db.prepare('SELECT local_id FROM sync_links WHERE airtable_id = ?').get(airtableId) as { local_id: string } | undefined)?.local_id;
  }

  /** The Airtable id a local record was linked to after the last successful run. */
  airtableIdOf(localId: string): string | undefined {
    return (this.db.prepare('SELECT airtable_id FROM sync_links WHERE local_id = ?').get(localId) as { airtable_id: string } | undefined)?.airtable_id;
  }

  /** True once a successful run recorded its links (before that, nothing can be told deleted). */
  hasLinks(): boolean {
    return this.db.prepare('SELECT 1 FROM sync_links LIMIT 1').get() !== undefined;
  }

  /**
   * Records a successful live run: its start as the new watermark, and (after a full scan) the
   * links as they are now. One transaction: a crash leaves the previous state whole.
   */
  save(run: {
    started_at: string;
    full_scan: boolean;
    /** When the run finished checking both systems (after its last write). */
    checked_at?: string;
    links?: Iterable<[localId: string, airtableId: string]>;
    /** Keep the links not named here (an incremental run saw only part of them). */
    merge_links?: boolean;
    /** Links that ended in this run (a record deleted on either side), dropped when merging. */
    unlinked?: { local_ids: Iterable<string>; airtable_ids: Iterable<string> };
  }): void {
    const put = this.db.prepare('INSERT INTO sync_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    const link = this.db.prepare('INSERT OR REPLACE INTO sync_links (airtable_id, local_id) VALUES (?, ?)');
    const unlinkLocal = this.db.prepare('DELETE FROM sync_links WHERE local_id = ?');
    const unlinkAirtable = this.db.prepare('DELETE FROM sync_links WHERE airtable_id = ?');
    this.db.transaction(() => {
      put.run('watermark', run.started_at);
      if (run.full_scan) put.run('full_scan', run.started_at);
      if (run.checked_at) put.run('checked_at', run.checked_at);
      if (run.merge_links) {
        for (const id of run.unlinked?.local_ids ?? []) unlinkLocal.run(id);
        for (const id of run.unlinked?.airtable_ids ?? []) unlinkAirtable.run(id);
      }
      if (run.links) {
        if (!run.merge_links) this.db.exec('DELETE FROM sync_links');
        for (const [localId, airtableId] of run.links) {
          // A local lead relinked to another Airtable record keeps one link only.
          if (run.merge_links) unlinkLocal.run(localId);
          link.run(airtableId, localId);
        }
      }
    })();
  }

  /**
   * Links made by an interrupted run's creates, kept before its resumed run plans again (a table
   * without a link column has nowhere else to keep them): each new record is then known as the
   * other's counterpart, not as a lead to create once more.
   */
  addLinks(links: Iterable<[localId: string, airtableId: string]>): number {
    const unlinkLocal = this.db.prepare('DELETE FROM sync_links WHERE local_id = ?');
    const link = this.db.prepare('INSERT OR REPLACE INTO sync_links (airtable_id, local_id) VALUES (?, ?)');
    let added = 0;
    this.db.transaction(() => {
      for (const [localId, airtableId] of links) {
        unlinkLocal.run(localId);
        added += link.run(airtableId, localId).changes;
      }
    })();
    return added;
  }

  /**
   * After a rollback: a record the rollback deleted (it was created by the run) is linked no more,
   * and an Airtable record it recreated is linked under its new id. Left as they were, the links
   * would tell the next run that the other side's lead was deleted in Airtable, and it would be
   * deleted too.
   */
  followRollback(change: {
    unlinked: { local: Iterable<string>; airtable: Iterable<string> };
    recreated: Iterable<{ old_id: string; new_id: string }>;
  }): number {
    let changed = 0;
    const unlinkLocal = this.db.prepare('DELETE FROM sync_links WHERE local_id = ?');
    const unlinkAirtable = this.db.prepare('DELETE FROM sync_links WHERE airtable_id = ?');
    const relink = this.db.prepare('UPDATE OR REPLACE sync_links SET airtable_id = ? WHERE airtable_id = ?');
    this.db.transaction(() => {
      for (const id of change.unlinked.local) changed += unlinkLocal.run(id).changes;
      for (const id of change.unlinked.airtable) changed += unlinkAirtable.run(id).changes;
      for (const r of change.recreated) changed += relink.run(r.new_id, r.old_id).changes;
    })();
    return changed;
  }

  close(): void {
    this.db.close();
  }

  private meta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM sync_meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }
}
