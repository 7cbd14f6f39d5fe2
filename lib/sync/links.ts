import Database from 'better-sqlite3';
import path from 'node:path';
import type { Lead } from '../core/record.js';
import type { TableMap } from '../sqlite/table.js';
import type { OptionSpec } from '../core/stage.js';

/**
 * Where the link between a local lead and its Airtable record lives. A table that has the
 * configured link column (`link_field`, `airtable_id` by default, as in the bundled schema) keeps
 * it there, as before. A table without one needs no setting and gets no column: the links live in
 * the run state instead (the sync state's links of the last successful run, lib/sync/state.ts),
 * so the user's schema stays theirs. `read-sqlite` then puts each lead's link in `_meta.link`, and
 * the stages after it read it with `linkOf`.
 */

/** The `link_field` option, declared once for every stage that reads or writes links. */
export const LINK_FIELD_OPTION: OptionSpec = {
  type: 'string',
  default: 'airtable_id',
  config: 'synchronization.link_field',
  description:
    'The local column holding the id of the linked Airtable record. A table without this column needs no setting: the links are kept in the sync state (state_file) instead; empty keeps them there even when the table has the column.',
  example: 'airtable_id',
};

/** The `ctx.shared` key of the run's LinkStorage, set up by `read-sqlite`. */
export const LINK_STORAGE = 'sync:link-storage';

export interface LinkStorage {
  /**
   * The local column holding links, `null` when the links live in the sync state, undefined when
   * no local table was read in this run (a JSONL pipeline: the link field, as a field).
   */
  column?: string | null;
  /** The sync state the links of a table without a link column come from (and go back to). */
  state_file?: string;
  /** The links of this run (state mode), filled by `diff` and the writers' creates, read by `validate`. */
  run?: RunLinks;
}

/** The Airtable id a record is linked to: `_meta.link` when its reader set one, else the link field. */
export function linkOf(record: Lead, linkField: string): string | undefined {
  const meta = record._meta;
  const link = meta && 'link' in meta ? meta.link : linkField ? record[linkField] : undefined;
  if (typeof link === 'number') return String(link);
  return typeof link === 'string' && link.trim() ? link.trim() : undefined;
}

/** The column of `linkField` in a resolved table, or null when the table has none (links in the state). */
export function linkColumn(map: TableMap, linkField: string): string | null {
  return (linkField && map.columnOf.get(linkField)) || null;
}

/**
 * The links as this run leaves them, for a table without a link column: the pairs `diff` planned
 * (entities with a survivor on both sides), then the records the writers created for the other
 * side. A scratch SQLite file keeps memory flat.
 */
export class RunLinks {
  private readonly db: Database.Database;
  private readonly put: Database.Statement;
  private readonly byLocal: Database.Statement;
  private readonly byAirtable: Database.Statement;

  constructor(dir: string) {
    this.db = new Database(path.join(dir, 'run-links.db'));
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS links (local_id TEXT PRIMARY KEY, airtable_id TEXT NOT NULL) WITHOUT ROWID; CREATE INDEX IF NOT EXISTS links_airtable ON links (airtable_id)',
    );
    this.put = this.db.prepare('INSERT OR REPLACE INTO links (local_id, airtable_id) VALUES (?, ?)');
    this.byLocal = this.db.prepare('SELECT airtable_id FROM links WHERE local_id = ?').pluck();
    this.byAirtable = this.db.prepare('SELECT local_id FROM links WHERE airtable_id = ?').pluck();
  }

  link(localId: string, airtableId: string): void {
    this.put.run(localId, airtableId);
  }

  airtableIdOf(localId: string): string | undefined {
    return this.byLocal.get(localId) as string | undefined;
  }

  /** The local leads linked to an Airtable record (more than one only when something went wrong). */
  localIdsOf(airtableId: string): string[] {
    return this.byAirtable.all(airtableId) as string[];
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
