import fs from 'node:fs';
import path from 'node:path';
import { PRIVATE_FILE_MODE } from '../core/private-files.js';
import type { SystemName } from './recover.js';

/** What a rollback did (or, in a dry run, would do); its report file holds the same. */
export interface RollbackResult {
  runId: string;
  /** A dry run: `undone` counts what would be undone; nothing was. */
  dry_run: boolean;
  undone: Record<SystemName, number>;
  /** Journaled operations that had not been applied, so there was nothing to undo. */
  not_applied: number;
  /** Records changed since the run wrote them, left as they are (use `force` to overwrite). */
  conflicts: string[];
  /** Local links moved to Airtable records that came back with new ids. */
  relinked: number;
  /** Records the run deleted that the rollback recreated under a new id (Airtable never reuses one). */
  recreated: Array<{ system: SystemName; old_id: string; new_id: string }>;
  /** Links of the sync state set straight (dropped or moved to a new id), when the run had one. */
  state_links?: number;
  /** The rollback's report file (rollback.json beside the journal), listing `recreated`. */
  report?: string;
  /**
   * A partial rollback (one system): local leads linked to Airtable records the run created and
   * this rollback deleted, or Airtable records the run created for local leads this rollback
   * removed. Rolling back the other system too completes it.
   */
  dangling_links: number;
}

/**
 * The rollback's own report, `rollback.json` beside the run's journal: what was undone, what was
 * left alone, and every record that came back under a new id. Airtable never reuses an id, so a
 * record the run deleted is recreated with a new id and creation time; whatever links to the old
 * id from elsewhere (other bases, automations, bookmarks) must be pointed at the new one, and this
 * file is where a person finds the pairs.
 */
export function writeRollbackReport(journalFile: string, result: RollbackResult, now: Date = new Date()): string {
  const file = path.join(path.dirname(journalFile), 'rollback.json');
  const report = { run_id: result.runId, rolled_back_at: now.toISOString(), ...result };
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n', { mode: PRIVATE_FILE_MODE });
  return file;
}
