/**
 * Safety: backups, their verification and retention, restore, the run journal, resume,
 * rollback (automatic too) and locking.
 *
 * Where things live:
 * - Backups: `<backup_directory>/<run id>/` (config `backup.backup_directory`, default `./backups`
 *   beside the pipeline file), holding `manifest.json` and the files (`leads.db`, or
 *   `leads.db.enc`; `airtable-<table>.jsonl.gz[.enc]` and `airtable-<table>.schema.json[.enc]`).
 *   Directories 0700, files 0600. A directory still named `<run id>.partial` is an unfinished
 *   backup and is never used.
 * - Run state: the state directory, `backup.state_directory` of the config, else
 *   `.lead-maintenance/` beside the database the run writes. The journal of a run is
 *   `<state dir>/runs/<run id>/journal.jsonl`; locks are `<state dir>/locks/*.lock` (one per
 *   database and per Airtable base, holding pid, host, run id and start time). The journal holds
 *   lead values (what each operation replaced), so it is as private as the database itself
 *   (0600); it never holds a token or key.
 *
 * Journal lines (JSONL): `run` (header), `target` (where a system's operations go), `backup`
 * (the manifest taken before the first write), `op` (an operation with the values it replaces,
 * flushed before it is applied), `done` (a batch's outcomes, after its commit), `resume`, `undo`,
 * `end`. An `op` without `done` has an unknown outcome: resume and rollback look it up.
 */
export { acquireLock, type Lock, type LockOptions, type LockOwner } from './lock.js';
export { createBackup, type BackupOptions, type BackupResult } from './backup.js';
export { verifyBackup, type VerifyOptions, type VerifyReport } from './verify.js';
export { applyRetention, type RetentionOptions, type RetentionResult } from './retention.js';
export { restoreBackup, type RestoreOptions, type RestorePlan } from './restore.js';
export { readManifest, type BackupFile, type BackupManifest } from './manifest.js';
export { keyFromEnv, type KeySource } from './crypto.js';
export { readJournal, type JournalContents, type JournaledOp } from '../core/journal-read.js';
export { journalPath, RunJournal, type JournalEntry, type JournalObserver, type JournalTarget } from '../core/journal.js';
export type { RecoveryOptions, SystemName } from './recover.js';
export { rollbackCommand, rollbackRun, type RollbackResult } from './rollback.js';
export { resumeRun, type ResumeResult } from './resume.js';
export { runGuarded, type GuardedRunOptions, type GuardedRunSummary, type RolledBackError } from './guard.js';
export { defaultStateDir, stateDirOf } from '../core/private-files.js';
export { BackupError, LockError, RollbackIncompleteError, TargetMismatchError, UnknownRunError } from './errors.js';
