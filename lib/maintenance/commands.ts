// The catalogue: pipelines name their stages, so every stage must be registered.
import '../../stages/index.js';
import { ConfigError } from '../core/errors.js';
import { resolvePipelineFile } from '../core/paths.js';
import { loadPipeline, type LoadOptions, type Pipeline } from '../core/pipeline.js';
import type { MaintenanceOptions } from '../core/types.js';
import { RESOLUTION_STRATEGIES } from '../match/resolution.js';
import { SYNC_STRATEGIES } from '../sync/plan.js';
import { withLocalFile } from './local-file.js';
import { usesPostgres, withPostgres } from './postgres.js';

/**
 * The seed's MaintenanceOrchestrator, as data: each maintenance command is a bundled pipeline,
 * and each command-line option an override of some stages' options. Kept apart from the CLI so
 * the mapping is tested directly and usable from scripts.
 */

export type MaintenanceCommand = 'full-maintenance' | 'remove-duplicates' | 'standardize-fields' | 'sync-data' | 'backup-only' | 'restore' | 'apply-decisions';

/** The bundled pipeline each command runs. */
export const COMMAND_PIPELINES: Record<MaintenanceCommand, string> = {
  'full-maintenance': 'full.yaml',
  'remove-duplicates': 'dedupe.yaml',
  'standardize-fields': 'standardize.yaml',
  'sync-data': 'sync.yaml',
  'backup-only': 'backup.yaml',
  restore: 'restore.yaml',
  'apply-decisions': 'decisions.yaml',
};

/** What the command line can change, beyond choosing the command. */
export interface MaintenanceOverrides {
  /** Written into empty engagement statuses (`--engagement-status`). */
  engagementStatus?: string;
  /** Fields whose equal values make two leads one (`--matching-fields email,linkedin_url`). */
  matchingFields?: string[];
  /**
   * `--conflict-strategy`: a sync rule (SYNC_STRATEGIES) sets how conflicts between the systems
   * are resolved; a dedupe rule (RESOLUTION_STRATEGIES) sets how duplicates are; a rule in both
   * lists (most_recent, manual) sets both.
   */
  conflictStrategy?: string;
  /** Records per write transaction / request batch (`--batch-size`; Airtable caps at 10 per request). */
  batchSize?: number;
  /** Leave out the backup step (`--no-backup`). */
  noBackup?: boolean;
  /**
   * `--incremental` / `--full-scan`: read from Airtable only what changed since the last
   * successful run (with a full scan when the last one is older than
   * `synchronization.full_scan_every_hours`), or force a full read.
   */
  incremental?: boolean;
  /**
   * `--local-file FILE`: a CSV or JSON export read as the local side in place of the database, for
   * a dry run that shows what would change in Airtable (local-file.ts); the file is never written.
   */
  localFile?: string;
  /**
   * `--apply-decisions FILE`: the decisions file, as an absolute path (kept with the run's other
   * flags, so `--resume` applies the same file).
   */
  decisionsFile?: string;
}

/** The values of `--conflict-strategy`: every sync rule, then the dedupe rules not among them. */
export const CONFLICT_STRATEGIES: readonly string[] = [...new Set<string>([...SYNC_STRATEGIES, ...RESOLUTION_STRATEGIES])];
const isIn = (list: readonly string[], value: string): boolean => list.includes(value);

/** The stage option overrides that carry out the command-line options. */
export function overridesFor(options: MaintenanceOverrides): Record<string, Record<string, unknown>> {
  const overrides: Record<string, Record<string, unknown>> = {};
  const set = (stage: string, option: string, value: unknown): void => {
    (overrides[stage] ??= {})[option] = value;
  };
  if (options.engagementStatus !== undefined) {
    set('normalize', 'field_standardization', { engagement_status: { default_value: options.engagementStatus } });
  }
  if (options.matchingFields !== undefined) set('dedupe', 'matching_fields', options.matchingFields);
  if (options.conflictStrategy !== undefined) {
    const strategy = options.conflictStrategy;
    if (!CONFLICT_STRATEGIES.includes(strategy)) {
      throw new ConfigError([{ message: `--conflict-strategy ${strategy}: expected one of ${CONFLICT_STRATEGIES.join(', ')}` }]);
    }
    if (isIn(SYNC_STRATEGIES, strategy)) set('diff', 'conflict_resolution', strategy);
    if (isIn(RESOLUTION_STRATEGIES, strategy)) set('dedupe', 'resolution_strategy', strategy);
  }
  if (options.incremental !== undefined) set('read-airtable', 'incremental', options.incremental);
  // An export is read only: what a run would change is Airtable's side.
  if (options.localFile !== undefined) set('diff', 'direction', 'to_airtable');
  if (options.batchSize !== undefined) {
    set('write-sqlite', 'batch_size', options.batchSize);
    set('write-airtable', 'batch_size', Math.min(options.batchSize, 10));
  }
  return overrides;
}

/**
 * Loads the pipeline of a command with the command line's overrides. Overrides for stages the
 * pipeline does not have are left out (`--matching-fields` means nothing to a backup), so one set
 * of flags works with every command.
 */
export function maintenancePipeline(command: MaintenanceCommand, options: MaintenanceOverrides & Pick<LoadOptions, 'env' | 'configFile'> = {}): Pipeline {
  const file = resolvePipelineFile(COMMAND_PIPELINES[command]);
  if (!file) throw new ConfigError([{ message: `the bundled pipeline ${COMMAND_PIPELINES[command]} is missing; reinstall the package` }]);
  // The decisions pipeline names its file as BACKUP names the restore's: through the environment it is loaded with.
  const env = options.decisionsFile === undefined ? options.env : { ...(options.env ?? process.env), DECISIONS_FILE: options.decisionsFile };
  const stagesIn = new Set(loadPipeline(file, { env, configFile: options.configFile, skip: [] }).steps.map((s) => s.stage.name));
  const overrides = Object.fromEntries(Object.entries(overridesFor(options)).filter(([stage]) => stagesIn.has(stage)));
  const pipeline = loadPipeline(file, { env, configFile: options.configFile, overrides, skip: options.noBackup ? ['backup'] : [] });
  if (options.localFile !== undefined) return withLocalFile(pipeline, options.localFile);
  return usesPostgres(options.env) ? withPostgres(pipeline) : pipeline;
}

/** The seed's MaintenanceOptions for a command and its flags (recorded in the run's journal). */
export function maintenanceOptions(command: MaintenanceCommand, options: MaintenanceOverrides & { dryRun?: boolean }): MaintenanceOptions {
  return {
    backup_before_operation: !options.noBackup,
    remove_duplicates: command === 'full-maintenance' || command === 'remove-duplicates' || command === 'apply-decisions',
    standardize_fields: command === 'full-maintenance' || command === 'standardize-fields' || command === 'apply-decisions',
    sync_data: command === 'full-maintenance' || command === 'sync-data' || command === 'apply-decisions',
    engagement_status_default: options.engagementStatus,
    duplicate_matching_fields: options.matchingFields,
    conflict_resolution_strategy: options.conflictStrategy,
    batch_size: options.batchSize,
    dry_run: options.dryRun ?? false,
  };
}

/** Exit codes of `db-maintenance`, distinct so cron wrappers and monitoring can tell what happened (the one table of every tool's codes). */
export { EXIT } from '../core/exit-codes.js';

/** How db-maintenance started a run, as its journal records it. */
export interface Invocation {
  command: MaintenanceCommand;
  overrides: MaintenanceOverrides;
  config_file?: string;
  /** The same in the seed's terms, for people reading the journal. */
  options?: MaintenanceOptions;
}

/** The pipeline of a run started by db-maintenance, built again from its journal's record (else the journal's pipeline file is used). */
export function pipelineOfInvocation(recorded: Record<string, unknown> | undefined, env: NodeJS.ProcessEnv): Pipeline | undefined {
  const invocation = recorded as Invocation | undefined;
  if (!invocation?.command || invocation.command === 'restore' || !(invocation.command in COMMAND_PIPELINES)) return undefined;
  return maintenancePipeline(invocation.command, { ...invocation.overrides, env, configFile: invocation.config_file });
}
