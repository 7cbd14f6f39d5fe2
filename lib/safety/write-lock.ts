import type { Logger } from '../core/log.js';
import { describeSqliteError, sqliteCode, type Db } from '../sqlite/open.js';

/** Another connection (another program) holds the database's write lock. */
export function isBusy(error: unknown): boolean {
  const code = sqliteCode(error) ?? '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

export interface WriteLockSettings {
  /** How many times to try; each try waits up to the connection's busy timeout (default 3). */
  attempts?: number;
  log?: Logger;
  file?: string;
}

/**
 * Runs a write, trying again while another program holds the database's write lock: each try
 * waits the connection's busy timeout, so a program that commits within a few of them is waited
 * out. The last try's error (SQLITE_BUSY) is thrown as it is.
 */
export function withWriteLock<T>(write: () => T, settings: WriteLockSettings = {}): T {
  const attempts = settings.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return write();
    } catch (error) {
      if (!isBusy(error) || attempt >= attempts) throw error;
      settings.log?.warn('The database is locked by another program; trying again.', { database: settings.file, attempt, of: attempts });
    }
  }
}

/**
 * Makes sure the database can be written now (takes its write lock, waiting the busy timeout, and
 * lets go at once), so a database held by another program stops a run before it writes anywhere.
 */
export function testWriteLock(db: Db, file: string, who: string, settings: WriteLockSettings = {}): void {
  try {
    withWriteLock(
      () => {
        db.prepare('BEGIN IMMEDIATE').run();
        db.prepare('ROLLBACK').run();
      },
      { attempts: 1, ...settings, file },
    );
  } catch (error) {
    throw describeSqliteError(error, file, who);
  }
}
