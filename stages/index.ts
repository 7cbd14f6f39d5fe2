import backup from './backup.js';
import decisions from './decisions.js';
import dedupe from './dedupe.js';
import diff from './diff.js';
import fingerprint from './fingerprint.js';
import normalize from './normalize.js';
import readAirtable from './read-airtable.js';
import readCsv from './read-csv.js';
import readJson from './read-json.js';
import readJsonl from './read-jsonl.js';
import readPostgres from './read-postgres.js';
import readSqlite from './read-sqlite.js';
import report from './report.js';
import restore from './restore.js';
import validate from './validate.js';
import writeAirtable from './write-airtable.js';
import writeCsv from './write-csv.js';
import writeJsonl from './write-jsonl.js';
import writePostgres from './write-postgres.js';
import writeSqlite from './write-sqlite.js';
import { installMultiCore } from '../lib/core/multi-core.js';
import { registerStages } from '../lib/core/registry.js';
import { PARALLEL } from '../lib/parallel/index.js';

/**
 * The catalogue: every stage, in the order they usually run (the order of `--list-stages` and the
 * README table). Importing this module registers them with the runtime's registry, which the
 * pipeline loader looks stage names up in. Adding a stage = one file in `stages/`, one line here,
 * one spec file.
 */
registerStages(
  backup,
  restore,
  readJsonl,
  readCsv,
  readJson,
  readSqlite,
  readPostgres,
  readAirtable,
  normalize,
  fingerprint,
  dedupe,
  decisions,
  diff,
  writeAirtable,
  writeSqlite,
  writePostgres,
  validate,
  writeJsonl,
  writeCsv,
  report,
);

// The stages declare what they can do on every core (lib/parallel/capabilities.ts); the runner
// that uses those declarations is installed with them.
installMultiCore(PARALLEL);

export { stages } from '../lib/core/registry.js';
