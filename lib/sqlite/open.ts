import fs from 'node:fs';
import Database from 'better-sqlite3';
import { StageError, StageSetupError } from '../core/errors.js';

/** A better-sqlite3 connection. */
export type Db = Database.Database;

/** How to open a lead database. */
export interface OpenOptions {
  /** Open for reading only: a separate connection that never blocks or is blocked by writers in WAL mode. */
  readonly?: boolean;
  /** Create the file when it does not exist (writers only); otherwise a missing file is an error. */
  create?: boolean;
  /** How long to wait for another connection's lock before giving up. */
  busy_timeout_ms?: number;
  /** Switch a writable database to WAL now (default); a writer that still has checks to make calls `useWal` after them. */
  wal?: boolean;
  /** Who is asking, for error messages (a stage name); defaults to `sqlite`. */
  who?: string;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * Opens a lead database and checks that it is one, with errors a user can act on: a missing
 * file, a file that is not a SQLite database (or is corrupt), a read-only file opened for
 * writing. Writers get WAL mode and a busy timeout, so another process using the database meanwhile
 * makes this one wait rather than fail. Nothing is written to a file that fails these checks.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const who = options.who ?? 'sqlite';
  const readonly = options.readonly ?? false;
  const exists = fs.existsSync(file);
  if (!exists && (readonly || !options.create)) {
    throw new StageSetupError(who, `The database ${file} does not exist. Check the path, or create one with sample leads: create-sample-db --out ${file}`);
  }
  // Root ignores permission bits, so honour the file's mode ourselves: a user who made the
  // database read-only meant it.
  if (exists && !readonly && (fs.statSync(file).mode & 0o222) === 0) {
    throw new StageError(who, `The database ${file} is read-only (mode ${modeOf(file)}). Make it writable (chmod u+w ${file}) or run with --dry-run.`);
  }
  let db: Db;
  try {
    db = new Database(file, {
      readonly,
      fileMustExist: readonly || !options.create,
      timeout: options.busy_timeout_ms ?? DEFAULT_BUSY_TIMEOUT_MS,
    });
  } catch (error) {
    throw describeSqliteError(error, file, who, true);
  }
  try {
    // The first read of the schema is where a corrupt or foreign file shows itself.
    db.pragma('schema_version', { simple: true });
    if (!readonly && options.wal !== false) useWal(db);
  } catch (error) {
    db.close();
    throw describeSqliteError(error, file, who, true);
  }
  return db;
}

/**
 * WAL mode: readers and the one writer do not block each other, and another process using the
 * database meanwhile waits its turn through the busy timeout. The mode stays with the file.
 */
export function useWal(db: Db): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Checkpoints are where WAL mode syncs to disk; with SQLite's default (every 1000 pages) a run
  // of small transactions spends most of its time in them. 10000 pages is at most ~40 MB of WAL,
  // checkpointed when the connection closes.
  db.pragma('wal_autocheckpoint = 10000');
}

function modeOf(file: string): string {
  return (fs.statSync(file).mode & 0o777).toString(8).padStart(4, '0');
}

/** The SQLite error code (`SQLITE_BUSY`, …) of an error, if it has one. */
export function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/** Turns a SQLite error about a whole database into a StageError that says what to do. */
export function describeSqliteError(error: unknown, file: string, who = 'sqlite', atOpen = false): Error {
  const code = sqliteCode(error) ?? '';
  const reason = error instanceof Error ? error.message : String(error);
  let message: string;
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    message = `The file ${file} is not a SQLite database or is corrupt (${reason}).${atOpen ? ' Nothing was written to it.' : ''} Restore it from a backup (restore stage) or point the database option at your lead database.`;
  } else if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    message = `The database ${file} is locked by another program and stayed locked past the busy timeout (${reason}). Close the other program or raise busy_timeout_ms.`;
  } else if (code.startsWith('SQLITE_READONLY')) {
    message = `The database ${file} cannot be written (${reason}). Make the file and its directory writable, or run with --dry-run.`;
  } else if (code.startsWith('SQLITE_CANTOPEN')) {
    message = `The database ${file} cannot be opened (${reason}). Check that the path exists and that its directory is readable and writable.`;
  } else {
    message = `The database ${file} failed: ${reason}`;
  }
  return new StageError(who, message, { cause: error });
}
