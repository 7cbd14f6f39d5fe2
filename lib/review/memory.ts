import Database from 'better-sqlite3';
import fs from 'node:fs';
import { privateDatabaseFile } from '../safety/files.js';

/**
 * What the run state remembers of applied decisions, in a table of its own in the sync state file
 * (sync-state.db): each decided group or conflict by its key, which names its records with the
 * versions they had when decided. A group marked "not duplicates" is never proposed again while
 * that key holds (a record that changes gets a new version, so the group is proposed again); a
 * decided group or conflict is no longer pending in `--review`. Each entry names the run that
 * wrote it, so a rollback of that run forgets it.
 */

export type SettledKind = 'not_duplicates' | 'merged' | 'conflict';

export interface SettledEntry {
  key: string;
  kind: SettledKind;
}

/** The key of a group: its records with their versions, in sorted order, as JSON (an id may hold any character). */
export function groupKey(versions: Readonly<Record<string, string>>): string {
  return JSON.stringify(groupMembers(versions));
}

/** A group's records with their versions, `<source>:<id>@<version>`, sorted. */
function groupMembers(versions: Readonly<Record<string, string>>): string[] {
  return Object.keys(versions)
    .sort()
    .map((record) => `${record}@${versions[record]}`);
}

/** The members of a group key (see groupKey). */
export function membersOfKey(key: string): string[] {
  const members: unknown = JSON.parse(key);
  return Array.isArray(members) ? members.map(String) : [];
}

/** The key of a conflict: its two records with their versions, and the field. */
export function conflictKey(versions: Readonly<Record<string, string>>, field: string): string {
  return JSON.stringify([...groupMembers(versions), field]);
}

const TABLE = 'CREATE TABLE IF NOT EXISTS review_settled (key TEXT PRIMARY KEY, kind TEXT NOT NULL, run_id TEXT NOT NULL, settled_at TEXT NOT NULL)';

/**
 * The settled keys of a state file, read only: a missing file or one without the table settles
 * nothing, and reading creates nothing (a dry run leaves the state as it was).
 */
export function readSettled(file: string | undefined): Map<string, SettledKind> {
  const settled = new Map<string, SettledKind>();
  if (!file || !fs.existsSync(file)) return settled;
  const db = new Database(file, { fileMustExist: true });
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'review_settled'").get();
    if (!table) return settled;
    for (const row of db.prepare('SELECT key, kind FROM review_settled').iterate() as Iterable<{ key: string; kind: SettledKind }>)
      settled.set(row.key, row.kind);
    return settled;
  } finally {
    db.close();
  }
}

/** Records what a run settled, under its run id. */
export function rememberSettled(file: string, entries: readonly SettledEntry[], runId: string, now: Date): void {
  if (!entries.length) return;
  privateDatabaseFile(file);
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(TABLE);
    const insert = db.prepare('INSERT OR REPLACE INTO review_settled (key, kind, run_id, settled_at) VALUES (?, ?, ?, ?)');
    db.transaction(() => {
      for (const entry of entries) insert.run(entry.key, entry.kind, runId, now.toISOString());
    })();
  } finally {
    db.close();
  }
}

/** Forgets what a run settled (its rollback); returns how many entries were forgotten. */
export function forgetSettled(file: string, runId: string): number {
  if (!fs.existsSync(file)) return 0;
  const db = new Database(file, { fileMustExist: true });
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'review_settled'").get();
    return table ? db.prepare('DELETE FROM review_settled WHERE run_id = ?').run(runId).changes : 0;
  } finally {
    db.close();
  }
}
