import backup from '../stages/backup.js';
import diff from '../stages/diff.js';
import normalize from '../stages/normalize.js';
import readJsonl from '../stages/read-jsonl.js';
import readSqlite from '../stages/read-sqlite.js';
import restore from '../stages/restore.js';
import writeJsonl from '../stages/write-jsonl.js';
import writeSqlite from '../stages/write-sqlite.js';
import type { Stage } from './stage.js';

/**
 * Every stage, by name, in the order they usually run. Adding a stage = one file in `stages/`,
 * one line here, one spec file.
 */
export const stages: Record<string, Stage<any>> = {
  backup,
  restore,
  'read-jsonl': readJsonl,
  'read-sqlite': readSqlite,
  normalize,
  diff,
  'write-sqlite': writeSqlite,
  'write-jsonl': writeJsonl,
};
