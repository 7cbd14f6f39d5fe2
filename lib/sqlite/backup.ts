import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StageError } from '../core/errors.js';
import { describeSqliteError, openDatabase } from './open.js';

/** A verified copy of a database. */
export interface BackupResult {
  path: string;
  pages: number;
  integrity: 'ok';
}

/**
 * Runs `PRAGMA integrity_check` on a database file and throws, naming the file and the first
 * problems, unless SQLite answers `ok`.
 */
export function checkIntegrity(file: string, who = 'backup'): 'ok' {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const answers = db.pragma('integrity_check') as Array<{ integrity_check: string }>;
    const problems = answers.map((a) => a.integrity_check).filter((a) => a !== 'ok');
    if (problems.length) {
      throw new StageError(
        who,
        `The database ${file} failed its integrity check: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}.`,
      );
    }
    return 'ok';
  } catch (error) {
    if (error instanceof StageError) throw error;
    throw describeSqliteError(error, file, who);
  } finally {
    db?.close();
  }
}

/**
 * Copies a live database with SQLite's online backup API (consistent even while other programs
 * write to it, WAL included, unlike a file copy), then checks the copy's integrity. The copy is
 * written beside `dest` and renamed into place only once verified, so `dest` is never a partial
 * or unverified backup. The copy is a single self-contained file (rollback journal, no WAL).
 */
export async function backupDatabase(src: string, dest: string): Promise<BackupResult> {
  const source = openDatabase(src, { readonly: true, who: 'backup' });
  fs.mkdirSync(path.dirname(path.resolve(dest)), { recursive: true });
  const partial = `${dest}.partial`;
  fs.rmSync(partial, { force: true });
  let pages: number;
  try {
    pages = (await source.backup(partial)).totalPages;
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw describeSqliteError(error, src, 'backup');
  } finally {
    source.close();
  }
  try {
    const copy = new Database(partial);
    copy.pragma('journal_mode = DELETE');
    copy.close();
    checkIntegrity(partial);
  } catch (error) {
    fs.rmSync(partial, { force: true });
    const reason = error instanceof Error ? error.message.replace(/^backup: The database \S+ /, '') : String(error);
    throw new StageError(
      'backup',
      `The backup copy of ${src} ${reason} No backup was kept; the source is probably damaged: restore it from an earlier backup.`,
      { cause: error },
    );
  }
  fs.renameSync(partial, dest);
  return { path: dest, pages, integrity: 'ok' };
}

/** Rows per table of an open database. */
export function tableCounts(db: Database.Database): Record<string, number> {
  const counts: Record<string, number> = {};
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
  for (const table of tables)
    counts[table] = db
      .prepare(`SELECT count(*) FROM "${table.replace(/"/g, '""')}"`)
      .pluck()
      .get() as number;
  return counts;
}
