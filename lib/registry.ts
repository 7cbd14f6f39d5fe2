import diff from '../stages/diff.js';
import readJsonl from '../stages/read-jsonl.js';
import readSqlite from '../stages/read-sqlite.js';
import writeJsonl from '../stages/write-jsonl.js';
import writeSqlite from '../stages/write-sqlite.js';
import type { Stage } from './stage.js';

/**
 * Every stage, by name. Adding a stage = one file in `stages/`, one line here, one spec file.
 */
export const stages: Record<string, Stage<any>> = {
  diff,
  'read-jsonl': readJsonl,
  'read-sqlite': readSqlite,
  'write-jsonl': writeJsonl,
  'write-sqlite': writeSqlite,
};
