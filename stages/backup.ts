import path from 'node:path';
import { raiseAlert } from '../lib/report/alert.js';
import { AlertError, StageSetupError } from '../lib/core/errors.js';
import { defineStage } from '../lib/core/stage.js';
import type { Lead } from '../lib/core/record.js';
import { CONNECTION_OPTIONS, pipelineConnection, type PipelineConnection } from '../lib/airtable/options.js';
import { PIPELINE_STEPS } from '../lib/core/context.js';
import type { PipelineStep } from '../lib/core/pipeline.js';
import { airtableTarget } from '../lib/safety/airtable.js';
import { runFindings } from '../lib/core/findings.js';
import { createBackup } from '../lib/safety/backup.js';
import { keyFromEnv } from '../lib/safety/crypto.js';
import { defaultStateDir, stateDirOf } from '../lib/core/private-files.js';
import { acquireLock } from '../lib/safety/lock.js';
import { writeChecks } from '../lib/core/write-checks.js';
import { applyRetention } from '../lib/safety/retention.js';
import { localSideOfStep } from '../lib/safety/sides.js';

export interface BackupStageOptions {
  enabled: boolean;
  backup_directory: string;
  verify_integrity: boolean;
  retention_days: number;
  retention_count: number;
  encryption: boolean;
  encryption_key_env: string;
  database: string;
  airtable_table?: string;
  base_id?: string;
  endpoint_url?: string;
  systems: string[];
  break_stale_lock: boolean;
  postgres_table?: string;
  pg_dump: boolean;
}

/**
 * Always the first step of a pipeline that writes. Before any other step is even created it
 * locks the database and the Airtable base for this run, backs both up (SQLite online backup,
 * every Airtable record and the table schema), verifies the backup, records it in the run
 * journal and applies retention. If anything of that fails, the step fails, so the pipeline stops
 * before any write, and the configured alert is raised. A resumed run reuses the backup its
 * first attempt took. Records from earlier steps pass through untouched.
 */
export default defineStage<BackupStageOptions>({
  name: 'backup',
  kind: 'source',
  summary:
    'Locks the run, backs up the SQLite database and the Airtable table, verifies the backup and applies retention; fails the run before any write if it cannot.',
  options: {
    enabled: {
      type: 'boolean',
      default: true,
      config: 'backup.enabled',
      description: 'Take a backup; false runs without one (and without the safety net it gives).',
      example: false,
    },
    backup_directory: {
      type: 'path',
      default: 'backups',
      config: 'backup.backup_directory',
      description: 'Where backups go, one directory per run named by the run id.',
      example: './backups',
    },
    verify_integrity: {
      type: 'boolean',
      default: true,
      config: 'backup.verify_integrity',
      description: 'Verify the finished backup (hashes, decompression, record counts, SQLite integrity check) before the run goes on.',
      example: true,
    },
    retention_days: {
      type: 'integer',
      default: 30,
      min: 1,
      config: 'backup.retention_days',
      description: 'Backups older than this many days are deleted after a successful backup (never the newest verified one).',
      example: 30,
    },
    retention_count: {
      type: 'integer',
      default: 0,
      min: 0,
      config: 'backup.retention_count',
      description: 'Keep at most this many backups (0: no limit); the newest verified one is always kept.',
      example: 10,
    },
    encryption: {
      type: 'boolean',
      default: false,
      config: 'backup.encryption',
      description: 'Encrypt backups with AES-256-GCM; nothing is written unencrypted.',
      example: true,
    },
    encryption_key_env: {
      type: 'string',
      default: 'LEADS_BACKUP_KEY',
      config: 'backup.encryption_key_env',
      description: 'The environment variable holding the encryption key (64 hex characters, 32 bytes in base64, or a passphrase of 12+ characters).',
      example: 'LEADS_BACKUP_KEY',
    },
    database: { type: 'path', default: 'data/leads.db', description: 'The SQLite lead database to back up.', example: 'data/leads.db' },
    postgres_table: {
      type: 'string',
      description:
        'Back up this PostgreSQL table (table or schema.table) in place of the SQLite database: its definition and every row from one snapshot. The server is LEADS_DATABASE_URL or DATABASE_URL (db-maintenance sets it from a postgres:// LEADS_DB). The run locks the table with an advisory lock.',
      example: 'public.leads',
    },
    pg_dump: {
      type: 'boolean',
      default: false,
      description:
        'With postgres_table: back the table up with pg_dump (custom format, from the same snapshot) instead of the built-in copy; pg_dump must be installed.',
      example: true,
    },
    airtable_table: {
      type: 'string',
      description:
        "The Airtable table to back up; when not given, the table of the pipeline's Airtable steps (read-airtable, write-airtable, validate), else synchronization.airtable.table of the config, else Leads.",
      example: 'Leads',
    },
    base_id: {
      type: 'string',
      description:
        "The Airtable base (app…); when not given, the base_id of the pipeline's Airtable steps, else AIRTABLE_BASE_ID. Airtable is backed up when a base and AIRTABLE_TOKEN are there.",
      example: 'appXXXXXXXXXXXXXX',
    },
    endpoint_url: {
      ...CONNECTION_OPTIONS.endpoint_url,
      description:
        "The API endpoint; when not given, the endpoint_url of the pipeline's Airtable steps, else AIRTABLE_ENDPOINT_URL, else https://api.airtable.com.",
    },
    systems: {
      type: 'string[]',
      default: ['local', 'airtable'],
      description: 'Which systems to back up: local, airtable (Airtable only when configured in the environment).',
      example: ['local'],
    },
    break_stale_lock: {
      type: 'boolean',
      default: false,
      description: 'Take over a lock left by a run that died on this host (normally reported and the run refused).',
      example: true,
    },
  },
  check(options) {
    const wrong = options.systems.filter((s) => s !== 'local' && s !== 'airtable');
    return wrong.map((s) => ({ path: 'systems', message: `'${s}' is not a system; use local and/or airtable.` }));
  },
  async create(options, ctx) {
    const nothing = (async function* (): AsyncGenerator<Lead> {})();
    if (ctx.dryRun) {
      ctx.log.info('Dry run: no backup taken (nothing will be written).');
      return nothing;
    }
    if (!options.enabled) {
      ctx.log.warn('Backup is off for this run (backup.enabled: false): there will be no backup to restore from.');
      return nothing;
    }
    const alerting = (ctx.config.alerting ?? {}) as { command?: string; webhook?: string };
    try {
      const local = options.systems.includes('local') ? localSideOfStep(options, ctx.baseDir, ctx.stage) : undefined;
      const airtable = options.systems.includes('airtable') ? airtableTarget(airtableTable(options, ctx), connectionOf(options, ctx)) : undefined;
      // Run state lives beside the database file; a run on a server or on Airtable alone keeps it in the working directory.
      const near = local?.kind === 'sqlite' ? local.id : path.join(process.cwd(), local ? 'postgres' : 'airtable');
      const journal = ctx.journal(near);
      const stateDir = journal ? stateDirOf(journal.file) : defaultStateDir(near);
      const others = airtable ? [`airtable:${airtable.baseId}`] : [];
      const lockOptions = { runId: ctx.runId, now: ctx.now, breakStale: options.break_stale_lock };
      const lock = local ? await local.lock(stateDir, others, lockOptions) : acquireLock(stateDir, others, lockOptions);
      ctx.onClose(() => lock.release());
      if (lock.check) writeChecks(ctx).push(lock.check);
      const earlier = journal?.previous?.backups.at(-1);
      if (earlier) {
        ctx.log.info('Resumed run: the backup taken before its first write is kept.', { manifest: earlier });
        return nothing;
      }
      const directory = path.resolve(ctx.baseDir, options.backup_directory);
      const sync = (ctx.config.synchronization ?? {}) as { max_retries?: number; retry_delay_seconds?: number; airtable?: { requests_per_second?: number } };
      const airtableSettings = {
        requestsPerSecond: sync.airtable?.requests_per_second,
        maxRetries: sync.max_retries,
        retryDelayMs: sync.retry_delay_seconds === undefined ? undefined : sync.retry_delay_seconds * 1000,
        signal: ctx.signal,
      };
      const { manifestPath } = await createBackup({
        directory,
        runId: ctx.runId,
        local,
        airtable,
        airtableSettings,
        verify: options.verify_integrity,
        now: ctx.now,
        log: ctx.log,
        encryption: options.encryption ? keyFromEnv(options.encryption_key_env) : undefined,
      });
      journal?.backup(manifestPath);
      runFindings(ctx).backup_paths.push(manifestPath);
      const retention = applyRetention(directory, {
        retention_days: options.retention_days,
        retention_count: options.retention_count,
        now: ctx.now,
        keep: ctx.runId,
      });
      if (retention.deleted.length) ctx.log.info('Old backups deleted.', { deleted: retention.deleted.length, kept: retention.kept.length });
    } catch (error) {
      // A database that is not there is a setting to fix before anything runs (exit 2), not a failed backup to alert about.
      if (error instanceof StageSetupError) throw error;
      await raiseAlert(
        { command: alerting.command || undefined, webhook: alerting.webhook || undefined },
        {
          kind: 'backup_failed',
          run_id: ctx.runId,
          message: `Backup failed, so the run stopped before writing anything: ${(error as Error).message}`,
        },
        ctx.log,
      );
      // The alert was raised: the run ends with the alert's exit code (4), as the README says.
      const message = (error instanceof Error ? error.message : String(error)).replace(/^backup: /, '');
      throw new AlertError(ctx.stage, message, [{ kind: 'backup_failed', message }], { cause: error });
    }
    return nothing;
  },
});

/** What the Airtable steps of the same pipeline were given (the runner shares the steps). */
function pipelineAirtable(ctx: { shared<T>(key: string, create: () => T): T }): PipelineConnection {
  return pipelineConnection(ctx.shared<PipelineStep[]>(PIPELINE_STEPS, () => []));
}

/** The table to back up: the step's, else the one the pipeline reads and writes, else the config's. */
function airtableTable(options: { airtable_table?: string }, ctx: { config: Record<string, unknown>; shared<T>(key: string, create: () => T): T }): string {
  const configured = (ctx.config.synchronization as { airtable?: { table?: unknown } } | undefined)?.airtable?.table;
  return options.airtable_table ?? pipelineAirtable(ctx).table ?? (typeof configured === 'string' && configured ? configured : 'Leads');
}

/** The base and endpoint: the step's, else those the pipeline's Airtable steps were given (the environment comes last, in airtableTarget). */
function connectionOf(
  options: { base_id?: string; endpoint_url?: string },
  ctx: { shared<T>(key: string, create: () => T): T },
): { base_id?: string; endpoint_url?: string } {
  const pipeline = pipelineAirtable(ctx);
  return { base_id: options.base_id ?? pipeline.base_id, endpoint_url: options.endpoint_url ?? pipeline.endpoint_url };
}
