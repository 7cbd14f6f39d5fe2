import backup from '../stages/backup.js';
import dedupe from '../stages/dedupe.js';
import diff from '../stages/diff.js';
import fingerprint from '../stages/fingerprint.js';
import normalize from '../stages/normalize.js';
import readAirtable from '../stages/read-airtable.js';
import readJsonl from '../stages/read-jsonl.js';
import readSqlite from '../stages/read-sqlite.js';
import restore from '../stages/restore.js';
import writeAirtable from '../stages/write-airtable.js';
import report from '../stages/report.js';
import writeJsonl from '../stages/write-jsonl.js';
import writeSqlite from '../stages/write-sqlite.js';
import validate from '../stages/validate.js';
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
  'read-airtable': readAirtable,
  normalize,
  fingerprint,
  dedupe,
  diff,
  'write-airtable': writeAirtable,
  'write-sqlite': writeSqlite,
  validate,
  'write-jsonl': writeJsonl,
  report,
};
