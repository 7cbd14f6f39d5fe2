import path from 'node:path';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import { loadFieldMapping } from '../core/field-mapping.js';
import { type Pipeline, resolveOptions } from '../core/pipeline.js';
import { stages } from '../core/registry.js';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../core/config.js';
import { isPostgresUrl, postgresLockHolder } from '../postgres/side.js';

/**
 * `LEADS_DB=postgres://…`: the local side is a PostgreSQL table. The bundled pipelines are the
 * same; their SQLite steps are swapped for the PostgreSQL ones here, so one set of pipeline files
 * serves both: read-sqlite → read-postgres, write-sqlite → write-postgres, and the backup,
 * restore and validate steps take the table (`postgres_table`) in place of the file. The table is
 * the field mapping's local.table (as `schema.table` where needed). The server's URL reaches the
 * steps in the environment (LEADS_DATABASE_URL), never in their options: it may hold the password.
 */

/** The steps that read or write the local database and what stands in for each on PostgreSQL. */
const SWAPPED: Record<string, string> = { 'read-sqlite': 'read-postgres', 'write-sqlite': 'write-postgres' };
/** Steps that work on either, told the table. */
const GIVEN_THE_TABLE = new Set(['backup', 'restore', 'validate']);

/** True when LEADS_DB names a PostgreSQL server. */
export function usesPostgres(env: NodeJS.ProcessEnv = process.env): boolean {
  return isPostgresUrl(env.LEADS_DB);
}

/** The table a pipeline's local steps name: their `table` option, else the field mapping's local.table. */
function pipelineTable(pipeline: Pipeline): string {
  for (const step of pipeline.steps) {
    if (!(step.stage.name in SWAPPED)) continue;
    if (typeof step.options.table === 'string') return step.options.table;
    const mapping = typeof step.options.field_mapping === 'string' ? step.options.field_mapping : pipeline.config.fieldMappingFile;
    return loadFieldMapping(mapping).local.table;
  }
  return loadFieldMapping(pipeline.config.fieldMappingFile).local.table;
}

/** The options two stages share, carried from the SQLite step to its PostgreSQL counterpart. */
function carried(from: Record<string, unknown>, to: string): Record<string, unknown> {
  const declared = stages[to]!.options;
  return Object.fromEntries(Object.entries(from).filter(([name, value]) => value !== undefined && name in declared && name !== 'database'));
}

/** The pipeline with the local steps working on the PostgreSQL table. */
export function withPostgres(pipeline: Pipeline): Pipeline {
  const issues: ConfigIssue[] = [];
  const table = pipelineTable(pipeline);
  const steps = pipeline.steps.map((step) => {
    const name = step.stage.name;
    if (GIVEN_THE_TABLE.has(name)) return { ...step, options: { ...step.options, postgres_table: table } };
    const swapped = SWAPPED[name];
    if (!swapped) return step;
    const stage = stages[swapped]!;
    const given = { ...carried(step.options, swapped), table };
    const options = resolveOptions(
      stage,
      given,
      { label: `${swapped} (for LEADS_DB)`, baseDir: process.cwd(), locate: () => undefined },
      pipeline.config,
      issues,
    );
    return { stage, options };
  });
  if (issues.length) throw new ConfigError(issues);
  return { ...pipeline, steps };
}

/**
 * Points the environment at the server LEADS_DB names, for the PostgreSQL steps (which read
 * LEADS_DATABASE_URL), and returns the state directory a run keeps its journals and lock files in:
 * LEADS_STATE_DIR, else `.lead-maintenance` in the data directory (a server has no directory of its own).
 */
export function usePostgresEnvironment(env: NodeJS.ProcessEnv, dataDir: string): string {
  env.LEADS_DATABASE_URL = env.LEADS_DB!.trim();
  return env.LEADS_STATE_DIR || path.join(dataDir, '.lead-maintenance');
}

/** `--status` on PostgreSQL: the run lock is an advisory lock on the server, not a file; says who holds it, if anyone. */
export async function showPostgresLock(env: NodeJS.ProcessEnv, configFile: string | undefined): Promise<void> {
  const table = loadFieldMapping(loadConfig(configFile ?? DEFAULT_CONFIG_FILE).fieldMappingFile).local.table;
  const holder = await postgresLockHolder(env.LEADS_DB!.trim(), table);
  process.stdout.write(holder ? `${holder}\n` : `No run holds the PostgreSQL table ${table} now.\n`);
}
