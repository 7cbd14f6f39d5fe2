import fs from 'node:fs';
import path from 'node:path';

/** Directories holding backups and run state are readable by their owner only. */
export const PRIVATE_DIR_MODE = 0o700;
/** Backup, manifest, journal and lock files too. */
export const PRIVATE_FILE_MODE = 0o600;

/** The default state directory for a database: `.lead-maintenance` beside it. */
export function defaultStateDir(near: string): string {
  return path.join(path.dirname(path.resolve(near)), '.lead-maintenance');
}

/** The state directory a run's journal is in: `<stateDir>/runs/<runId>/journal.jsonl` → `<stateDir>`. */
export function stateDirOf(journal: string): string {
  return path.dirname(path.dirname(path.dirname(journal)));
}

/** Creates `dir` (and parents) owner-only. */
export function privateDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  return dir;
}
