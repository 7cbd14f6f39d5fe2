import type { JournaledOp } from '../core/journal-read.js';
import type { JournalTarget } from '../core/journal.js';
import type { KeySource } from './crypto.js';
import type { OpenOutput } from './files.js';
import type { Lock, LockOptions } from './lock.js';
import type { BackupFile } from './manifest.js';

/**
 * The local side of a run: a SQLite file (sqlite-side.ts) or a PostgreSQL table
 * (lib/postgres/side.ts). Everything the safety net does to it (lock it for a run, back it up,
 * restore it, undo or finish a run's operations on it) goes through this one interface, so the
 * backup, restore, resume and rollback code does not ask which it is. `sides.ts` picks one from
 * what LEADS_DB (or a step's option) names.
 */
export interface LocalSide {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * How journals, manifests and messages name it: the file's absolute path, or
   * `postgres://user@host:port/database` (never a password). A recovery compares the configured
   * side's id with the journal's.
   */
  readonly id: string;
  /** The table, for messages (`public.leads`); undefined for a SQLite file (every table is backed up). */
  readonly table?: string;
  /**
   * Locks it for one run, together with `others` (lock-file resources such as `airtable:<base>`),
   * all or none. `stateDir` holds the lock files.
   */
  lock(stateDir: string, others: string[], options: LockOptions): Promise<Lock>;
  /** Backs it up into `dir` (files named with `output.suffix`, encrypted when a key is given). */
  backup(dir: string, output: BackupOutput): Promise<BackupFile[]>;
  /** Whether a backup's files hold a backup of this kind of local side. */
  holds(files: BackupFile[]): boolean;
  /** Restores its backup from `dir` (already verified); a dry run plans only. */
  restore(dir: string, files: BackupFile[], options: LocalRestoreOptions): Promise<LocalRestorePlan>;
  /** Opens it for a resume or a rollback of a run whose journal names `target` (pointed at this side). */
  recovery(target: LocalJournalTarget, options: LocalRecoveryOptions): Promise<LocalRecovery>;
}

export type LocalJournalTarget = Extract<JournalTarget, { system: 'local' }>;

/** How backup files are written. */
export interface BackupOutput {
  encryption?: KeySource;
  open: OpenOutput;
  /** `.enc` when encrypted. */
  suffix: string;
}

export interface LocalRestoreOptions {
  key?: KeySource;
  dryRun: boolean;
  now: Date;
}

/** What a restore of the local side does (or would do). */
export interface LocalRestorePlan {
  /** The file, or the server and database. */
  database: string;
  from: string;
  /** Rows per table as backed up. */
  tables: Record<string, number>;
  /** Where the current data is kept: a file beside the database, or a table beside the table. */
  current_kept_as?: string;
  /** PostgreSQL: the table is created again from the backed-up definition. */
  recreated?: boolean;
}

export interface LocalRecoveryOptions {
  /** Plan only: opened read-only where the side allows it. */
  dryRun?: boolean;
  /** How long one try waits for a locked database, and how many tries (SQLite). */
  busyTimeoutMs?: number;
  lockAttempts?: number;
  who: 'resume' | 'rollback' | 'restore';
  log?: import('../core/log.js').Logger;
}

/**
 * The local side opened for --resume and --rollback: what an operation did and how to undo it,
 * each undo in a transaction of its own.
 */
export interface LocalRecovery {
  readonly target: LocalJournalTarget & { columns?: Record<string, string> };
  /** The column of a canonical field. */
  column(field: string): string;
  /** The row with this id, every column. */
  row(id: string | undefined): Promise<Record<string, unknown> | undefined>;
  /** Whether an operation whose outcome the journal lacks was applied (and the id a create got). */
  probe(op: JournaledOp): Promise<{ applied: boolean; id?: string }>;
  /** Undoes one applied operation; returns why not when the record changed since (a conflict, left alone unless `force`). */
  undo(op: JournaledOp, force: boolean, dryRun: boolean): Promise<string | undefined>;
  /** Points links at a record Airtable recreated under a new id; returns how many rows changed. */
  relink(oldId: string, newId: string): Promise<number>;
  /** Sets columns of one row (resume's links to Airtable records created just before an interruption). */
  setColumns(id: string, values: Record<string, unknown>): Promise<void>;
  /** Fails, saying why, when the side cannot be written now (another program holds it). */
  checkWritable(): Promise<void>;
  /** Fails when the side is damaged after the undo (SQLite's integrity check). */
  checkIntegrity(): Promise<void>;
  close(): Promise<void>;
}
