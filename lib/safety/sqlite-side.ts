import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import type { JournaledOp } from '../core/journal-read.js';
import { PRIVATE_FILE_MODE } from '../core/private-files.js';
import { backupDatabase, checkIntegrity, tableCounts } from '../sqlite/backup.js';
import { describeSqliteError, openDatabase, type Db } from '../sqlite/open.js';
import { encryptStream, type KeySource } from './crypto.js';
import { BackupError } from './errors.js';
import { hashFile, writeStreamed, type OpenOutput } from './files.js';
import { LocalTable } from './local.js';
import type { BackupOutput, LocalJournalTarget, LocalRecovery, LocalRecoveryOptions, LocalRestoreOptions, LocalRestorePlan, LocalSide } from './local-side.js';
import { acquireLock, type Lock, type LockOptions } from './lock.js';
import type { BackupFile } from './manifest.js';
import { readPlaintext } from './verify.js';
import { testWriteLock, withWriteLock, type WriteLockSettings } from './write-lock.js';

/** The local side as a SQLite file (see local-side.ts): the lock file, the online backup, the file replaced atomically on restore. */
export function sqliteSide(database: string): LocalSide {
  const file = path.resolve(database);
  return {
    kind: 'sqlite',
    id: file,
    async lock(stateDir: string, others: string[], options: LockOptions): Promise<Lock> {
      return acquireLock(stateDir, [file, ...others], options);
    },
    async backup(dir: string, output: BackupOutput): Promise<BackupFile[]> {
      return [await backupSqlite(file, dir, output.encryption, output.open, output.suffix)];
    },
    holds: (files) => files.some((f) => f.kind === 'sqlite'),
    async restore(dir: string, files: BackupFile[], options: LocalRestoreOptions): Promise<LocalRestorePlan> {
      const copy = files.find((f) => f.kind === 'sqlite');
      if (!copy) throw new BackupError('The backup holds no SQLite database; it cannot be restored to a database file.');
      return restoreSqlite(dir, copy, file, options);
    },
    async recovery(target: LocalJournalTarget, options: LocalRecoveryOptions): Promise<LocalRecovery> {
      const db = openDatabase(file, { who: options.who, readonly: options.dryRun, busy_timeout_ms: options.busyTimeoutMs });
      return new SqliteRecovery(new LocalTable(db, { ...target, database: file }), { attempts: options.lockAttempts, log: options.log, file }, options.who);
    },
  };
}

/** LocalTable (local.ts) behind the asynchronous interface, each write waiting out a database another program holds. */
class SqliteRecovery implements LocalRecovery {
  constructor(
    private readonly local: LocalTable,
    private readonly lockSettings: WriteLockSettings,
    private readonly who: string,
  ) {}

  get target(): LocalRecovery['target'] {
    return this.local.target;
  }

  column(field: string): string {
    return this.local.column(field);
  }

  async row(id: string | undefined): Promise<Record<string, unknown> | undefined> {
    return this.local.row(id);
  }

  async probe(op: JournaledOp): Promise<{ applied: boolean; id?: string }> {
    return this.local.probe(op);
  }

  async undo(op: JournaledOp, force: boolean, dryRun: boolean): Promise<string | undefined> {
    if (dryRun) return this.local.undo(op, force, true);
    return withWriteLock(() => this.local.db.transaction(() => this.local.undo(op, force)).immediate(), this.lockSettings);
  }

  async relink(oldId: string, newId: string): Promise<number> {
    return withWriteLock(() => this.local.relink(oldId, newId), this.lockSettings);
  }

  async setColumns(id: string, values: Record<string, unknown>): Promise<void> {
    const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;
    const columns = Object.keys(values);
    this.local.db
      .prepare(`UPDATE ${quote(this.target.table)} SET ${columns.map((c) => `${quote(c)} = ?`).join(', ')} WHERE ${quote(this.target.id_column)} = ?`)
      .run(...columns.map((c) => values[c]), id);
  }

  async checkWritable(): Promise<void> {
    testWriteLock(this.local.db, this.target.database, this.who, this.lockSettings);
  }

  async checkIntegrity(): Promise<void> {
    checkIntegrity(this.target.database, this.who);
  }

  async close(): Promise<void> {
    (this.local.db as Db).close();
  }
}

/**
 * Backs up the database with SQLite's online backup API, or, when encrypting, as an in-memory
 * snapshot (so no plaintext copy touches the disk).
 */
async function backupSqlite(database: string, dir: string, key: KeySource | undefined, open: OpenOutput, suffix: string): Promise<BackupFile> {
  const name = `${path.basename(database)}${suffix}`;
  const file = path.join(dir, name);
  const source = { database: path.resolve(database) };
  if (!key) {
    await backupDatabase(database, file);
    fs.chmodSync(file, PRIVATE_FILE_MODE);
    const copy = new Database(file, { readonly: true });
    const records = tableCounts(copy);
    copy.close();
    return { path: name, system: 'local', kind: 'sqlite', ...(await hashFile(file)), records, source };
  }
  // Encrypted: a consistent snapshot in memory (serialize), checked there, then encrypted as it
  // is written. Memory: the size of the database, once.
  const db = openDatabase(database, { readonly: true, who: 'backup' });
  let image: Buffer;
  try {
    image = db.serialize();
  } catch (error) {
    throw describeSqliteError(error, database, 'backup');
  } finally {
    db.close();
  }
  // Bytes 18-19 of the header say WAL (2) or rollback journal (1). A WAL image cannot be opened
  // from memory, and the copy should be one self-contained file like an unencrypted backup.
  image[18] = 1;
  image[19] = 1;
  const copy = new Database(image);
  let records: Record<string, number>;
  try {
    const problems = (copy.pragma('integrity_check') as Array<{ integrity_check: string }>).map((a) => a.integrity_check).filter((a) => a !== 'ok');
    if (problems.length)
      throw new BackupError(
        `The database ${database} failed its integrity check (${problems.slice(0, 3).join('; ')}); no backup was kept. Restore it from an earlier backup.`,
      );
    records = tableCounts(copy);
  } finally {
    copy.close();
  }
  const written = await writeStreamed(Readable.from([image]), [encryptStream(key)], file, open);
  return { path: name, system: 'local', kind: 'sqlite', ...written, records, source };
}

/**
 * Replaces the database file atomically: the copy is written beside it, checked, the current file
 * (with its WAL) moved aside as `<name>.before-restore-<time>`, and the copy renamed into place, so
 * the result is byte for byte the backed-up database.
 */
async function restoreSqlite(dir: string, file: BackupFile, database: string, options: LocalRestoreOptions): Promise<LocalRestorePlan> {
  const key = options.key;
  const stamp = options.now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const aside = fs.existsSync(database) ? `${database}.before-restore-${stamp}` : undefined;
  const planned = {
    database,
    from: path.join(dir, file.path),
    tables: (file.records ?? {}) as Record<string, number>,
    ...(aside ? { current_kept_as: aside } : {}),
  };
  if (options.dryRun) return planned;
  fs.mkdirSync(path.dirname(database), { recursive: true });
  const temp = `${database}.restore-${process.pid}.tmp`;
  try {
    const mode = fs.existsSync(database) ? fs.statSync(database).mode & 0o777 : PRIVATE_FILE_MODE;
    if (key) fs.writeFileSync(temp, await readPlaintext(dir, file, key), { mode });
    else {
      fs.copyFileSync(path.join(dir, file.path), temp);
      fs.chmodSync(temp, mode);
    }
    checkIntegrity(temp, 'restore');
    if (aside) {
      // Fold the WAL into the current file first, so what is kept aside is complete on its own.
      try {
        const current = new Database(database);
        current.pragma('wal_checkpoint(TRUNCATE)');
        current.close();
      } catch {
        // a damaged current file is kept aside as it is, WAL and all
      }
      fs.renameSync(database, aside);
      for (const suffix of ['-wal', '-shm']) if (fs.existsSync(database + suffix)) fs.renameSync(database + suffix, aside + suffix);
    }
    fs.renameSync(temp, database);
  } finally {
    fs.rmSync(temp, { force: true });
  }
  return planned;
}
