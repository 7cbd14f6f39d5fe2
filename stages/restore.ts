import path from 'node:path';
import { defineStage } from '../lib/stage.js';
import type { Lead } from '../lib/record.js';
import { CONNECTION_OPTIONS } from '../lib/airtable/options.js';
import { airtableTarget } from '../lib/safety/airtable.js';
import { defaultStateDir } from '../lib/safety/files.js';
import { acquireLock } from '../lib/safety/lock.js';
import { manifestPathOf, readManifest } from '../lib/safety/manifest.js';
import { restoreBackup, type RestoreOptions } from '../lib/safety/restore.js';
import type { SystemName } from '../lib/safety/recover.js';

export interface RestoreStageOptions {
  backup: string;
  systems: string[];
  database?: string;
  airtable_table?: string;
  base_id?: string;
  endpoint_url?: string;
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
    backup: { type: 'path', required: true, description: 'The backup to restore: its directory or its manifest.json.', example: 'backups/20260131T020000-1a2b3c4d' },
    systems: { type: 'string[]', default: ['local', 'airtable'], description: 'Which systems to restore: local, airtable.', example: ['local'] },
    database: { type: 'path', description: 'Restore the database copy to this file instead of where it was backed up from.', example: 'data/leads.db' },
    airtable_table: { type: 'string', description: 'Restore into this table (of base_id, else AIRTABLE_BASE_ID) instead of the backed-up base and table.', example: 'Leads' },
    base_id: { type: 'string', description: 'Restore into this base (app…) instead of the backed-up one; the table is airtable_table, else the backed-up table.', example: 'appXXXXXXXXXXXXXX' },
    endpoint_url: CONNECTION_OPTIONS.endpoint_url,
  },
  check(options) {
    const wrong = options.systems.filter((s) => s !== 'local' && s !== 'airtable');
    return wrong.map((s) => ({ path: 'systems', message: `'${s}' is not a system; use local and/or airtable.` }));
  },
  async create(options, ctx) {
    const manifestPath = manifestPathOf(path.resolve(ctx.baseDir, options.backup));
    const manifest = readManifest(manifestPath);
    const restore: RestoreOptions = { dryRun: ctx.dryRun, systems: options.systems as SystemName[], log: ctx.log, now: ctx.now };
    if (options.database) restore.database = path.resolve(ctx.baseDir, options.database);
    if (options.airtable_table || options.base_id || options.endpoint_url) {
      const table = options.airtable_table ?? manifest.files.find((f) => f.kind === 'records')?.source.table ?? 'Leads';
      // Given only an endpoint, the base is the backed-up one there.
      const baseId = options.base_id ?? (options.airtable_table ? undefined : manifest.files.find((f) => f.kind === 'records')?.source.base_id);
      restore.airtable = airtableTarget(table, { base_id: baseId, endpoint_url: options.endpoint_url });
    }
    const database = restore.database ?? manifest.files.find((f) => f.kind === 'sqlite')?.source.database;
    const baseId = restore.airtable?.baseId ?? manifest.files.find((f) => f.kind === 'records')?.source.base_id;
    if (!ctx.dryRun) {
      const near = database ?? path.join(ctx.baseDir, 'leads');
      const lock = acquireLock(defaultStateDir(near), [...(database ? [database] : []), ...(baseId ? [`airtable:${baseId}`] : [])], { runId: ctx.runId, now: ctx.now });
      ctx.onClose(() => lock.release());
    }
    const plan = await restoreBackup(manifestPath, restore);
    return (async function* (): AsyncGenerator<Lead> {
      yield { kind: 'restore_plan', ...plan } as unknown as Lead;
    })();
  },
});
