import path from 'node:path';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import { type Pipeline, resolveOptions } from '../core/pipeline.js';
import { stages } from '../core/registry.js';

/**
 * `--local-file FILE`: a CSV or JSON export stands in for the local database in a dry run, to
 * see what a run would change in Airtable before there is a database (or without touching it).
 * The export is read only: the steps that would back up, write or re-read the database are left
 * out, diff plans Airtable's side only, and anything but a dry run is refused, so nothing could
 * ever be written to the file or in its name.
 */

/** The commands whose pipelines read the local database and can take an export in its place. */
export const LOCAL_FILE_COMMANDS: readonly string[] = ['full-maintenance', 'sync-data', 'standardize-fields', 'remove-duplicates'];

/** Why `--local-file` cannot go with this command line, if it cannot. */
export function localFileProblem(command: string, dryRun: boolean): string | undefined {
  if (!LOCAL_FILE_COMMANDS.includes(command)) return `--local-file goes with ${LOCAL_FILE_COMMANDS.map((c) => `--${c}`).join(', ')}, not --${command}`;
  if (!dryRun)
    return '--local-file reads an export, which is never written: add --dry-run to see what would change in Airtable (to apply changes, point LEADS_DB at the database itself)';
  return undefined;
}

/** The stage that reads an export, by its name: `.json` is read-json, anything else read-csv. */
export function exportReader(file: string): 'read-json' | 'read-csv' {
  return path.extname(file).toLowerCase() === '.json' ? 'read-json' : 'read-csv';
}

/** Steps that back up, write or check the local database: nothing of them applies to an export. */
const DATABASE_STEPS = new Set(['backup', 'write-sqlite', 'validate']);

/** The pipeline with the export read in place of the database, as local records. */
export function withLocalFile(pipeline: Pipeline, file: string): Pipeline {
  const issues: ConfigIssue[] = [];
  const steps = pipeline.steps
    .filter((step) => !DATABASE_STEPS.has(step.stage.name))
    .map((step) => {
      // The sync state links Airtable records to the database's rows: an export's rows are not
      // those, so a record only Airtable has would read as one deleted locally since the last run.
      if (step.stage.name === 'diff') return { ...step, options: { ...step.options, state_file: undefined } };
      // An export is every lead at once: it is set beside the whole base, never a read of what changed since a run.
      if (step.stage.name === 'read-airtable') return { ...step, options: { ...step.options, incremental: false } };
      if (step.stage.name !== 'read-sqlite') return step;
      const stage = stages[exportReader(file)];
      const given = { path: path.resolve(file), system: 'local', ...(step.options.field_mapping ? { field_mapping: step.options.field_mapping } : {}) };
      const options = resolveOptions(stage, given, { label: '--local-file', baseDir: process.cwd(), locate: () => undefined }, pipeline.config, issues);
      return { stage, options };
    });
  if (!steps.some((step) => step.options.system === 'local'))
    issues.push({ message: 'this command reads no local database, so --local-file has nothing to stand in for' });
  if (issues.length) throw new ConfigError(issues);
  return { ...pipeline, steps };
}
