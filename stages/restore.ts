import path from 'node:path';
import { StageError } from '../lib/core/errors.js';
import { defineStage } from '../lib/core/stage.js';
import type { Lead } from '../lib/core/record.js';
import { CONNECTION_OPTIONS } from '../lib/airtable/options.js';
import { airtableTarget } from '../lib/safety/airtable.js';
import { defaultStateDir } from '../lib/core/private-files.js';
import { acquireLock } from '../lib/safety/lock.js';
import { manifestPathOf, readManifest } from '../lib/safety/manifest.js';
import { restoreBackup, type RestoreOptions } from '../lib/safety/restore.js';
import type { SystemName } from '../lib/safety/recover.js';
import { localSideOfStep } from '../lib/safety/sides.js';

export interface RestoreStageOptions {
  backup: string;
  systems: string[];
  database?: string;
  airtable_table?: string;
  state_file?: string;
  base_id?: string;
  endpoint_url?: string;
  postgres_table?: string;
}

/**
 * Restores a backup taken by the backup step, after verifying it: the database file replaced
 * atomically (the current one kept aside), the Airtable table brought back to the snapshot.
 * With --dry-run it only plans. Emits the plan (one object, `kind: restore_plan`) either way.
 */
export default defineStage<RestoreStageOptions>({
  name: 'restore',
  kind: 'source',
  summary: 'Verifies a backup and restores it: the database file atomically, the Airtable table to the snapshot; a dry run emits the plan only.',
  options: {
    backup: {
      type: 'path',
      required: true,
      description: 'The backup to restore: its directory or its manifest.json.',
      example: 'backups/20260131T020000-1a2b3c4d',
    },
    systems: { type: 'string[]', default: ['local', 'airtable'], description: 'Which systems to restore: local, airtable.', example: ['local'] },
    database: {
      type: 'path',
      description: 'The database to restore to (required for a backup holding one): the configured one, never the path the manifest names.',
      example: 'data/leads.db',
    },
    state_file: {
      type: 'path',
      description:
        'The sync state whose links to Airtable records recreated with new ids are re-pointed at them (a table without a link column keeps its links only there).',
      example: 'data/sync-state.db',
    },
    airtable_table: {
      type: 'string',
      description: 'Restore into this table (of base_id, else AIRTABLE_BASE_ID) instead of the backed-up base and table.',
      example: 'Leads',
    },
    base_id: {
      type: 'string',
      description: 'Restore into this base (app…) instead of the backed-up one; the table is airtable_table, else the backed-up table.',
      example: 'appXXXXXXXXXXXXXX',
    },
    endpoint_url: CONNECTION_OPTIONS.endpoint_url,
    postgres_table: {
      type: 'string',
      description:
        'Restore the backup of a PostgreSQL table into this table (table or schema.table) in place of a SQLite database, in one transaction, the current rows kept aside in <table>_before_restore_<time>. The server is LEADS_DATABASE_URL or DATABASE_URL.',
      example: 'public.leads',
    },
  },
  check(options) {
    const wrong = options.systems.filter((s) => s !== 'local' && s !== 'airtable');
    return wrong.map((s) => ({ path: 'systems', message: `'${s}' is not a system; use local and/or airtable.` }));
  },
  async create(options, ctx) {
    const manifestPath = manifestPathOf(path.resolve(ctx.baseDir, options.backup));
    const manifest = readManifest(manifestPath);
    const restore: RestoreOptions = { dryRun: ctx.dryRun, systems: options.systems as SystemName[], log: ctx.log, now: ctx.now };
    if (options.state_file) restore.state_file = path.resolve(ctx.baseDir, options.state_file);
    const backedUp = manifest.files.find((f) => f.system === 'local');
    const records = manifest.files.find((f) => f.kind === 'records');
    // The configured database and base, never the manifest's: an edited or copied manifest must not
    // make the restore replace another file. Where they differ, the plan says so.
    const local = backedUp && options.systems.includes('local') ? localSideOfStep(options, ctx.baseDir, ctx.stage) : undefined;
    if (backedUp && options.systems.includes('local')) {
      if (!local)
        throw new StageError(
          ctx.stage,
          `Give the database to restore to (the restore step's database option, or LEADS_DB for db-maintenance); the backup ${manifestPath} is not restored to the path its manifest names.`,
        );
      restore.local = local;
      const source = [backedUp.source.database, backedUp.source.table].filter(Boolean).join(' ');
      const target = local.kind === 'sqlite' ? local.id : `${local.id} ${local.table}`;
      if (backedUp.source.database && (local.kind === 'sqlite' ? path.resolve(backedUp.source.database) : source) !== target)
        ctx.log.warn(`The backup was taken of ${source}; it is restored to the configured database ${target}.`);
    }
    if (records && options.systems.includes('airtable')) {
      restore.airtable = airtableTarget(options.airtable_table ?? records.source.table ?? 'Leads', {
        base_id: options.base_id,
        endpoint_url: options.endpoint_url,
      });
      if (restore.airtable && records.source.base_id && restore.airtable.baseId !== records.source.base_id)
        ctx.log.warn(`The backup was taken of Airtable base ${records.source.base_id}; it is restored to the configured base ${restore.airtable.baseId}.`);
    }
    const baseId = restore.airtable?.baseId ?? records?.source.base_id;
    if (!ctx.dryRun) {
      const near = local?.kind === 'sqlite' ? local.id : path.join(ctx.baseDir, 'leads');
      const others = baseId ? [`airtable:${baseId}`] : [];
      const lockOptions = { runId: ctx.runId, now: ctx.now };
      const lock = local ? await local.lock(defaultStateDir(near), others, lockOptions) : acquireLock(defaultStateDir(near), others, lockOptions);
      ctx.onClose(() => lock.release());
    }
    const plan = await restoreBackup(manifestPath, restore);
    return (async function* (): AsyncGenerator<Lead> {
      yield { kind: 'restore_plan', ...plan };
    })();
  },
});
