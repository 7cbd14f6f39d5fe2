import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { silentLogger, type Logger } from '../core/log.js';
import { makeScratchDir } from '../core/scratch.js';
import { SyncState } from '../sync/state.js';
import { AirtableTable, COMPUTED_FIELD_TYPES, type AirtableTarget } from './airtable.js';
import { keyFromEnv, type KeySource } from './crypto.js';
import { BackupError } from './errors.js';
import type { LocalRestorePlan, LocalSide } from './local-side.js';
import { manifestPathOf, type BackupFile } from './manifest.js';
import { sqliteSide } from './sqlite-side.js';
import type { SystemName } from './recover.js';
import { backupRows, readPlaintext, verifyBackup } from './verify.js';

export interface RestoreOptions {
  /** Print the plan, change nothing. */
  dryRun?: boolean;
  /** Restore only these systems (default: every system in the backup). */
  systems?: SystemName[];
  /** Restore the database copy to this file instead of where it was backed up from. */
  database?: string;
  /** The local side to restore to (a SQLite file or a PostgreSQL table, lib/safety/sides.ts); in place of `database`. */
  local?: LocalSide;
  /** Restore into this Airtable table instead of the backed-up base and table (token from the environment otherwise). */
  airtable?: AirtableTarget;
  key?: KeySource;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  log?: Logger;
  /** The local field that links to Airtable, re-pointed at records Airtable recreated with new ids. */
  link_field?: string;
  /** The sync state, whose links are re-pointed the same way (the only links of a table without a link column). */
  state_file?: string;
}

export interface RestorePlan {
  manifest: string;
  dry_run: boolean;
  local?: LocalRestorePlan;
  airtable?: {
    base_id: string;
    table: string;
    /** Records deleted since the backup: recreated (with new ids: Airtable never reuses one). */
    create: number;
    /** Records changed since: their fields set back. */
    update: number;
    /** Records created since: removed. */
    delete: number;
    unchanged: number;
    /** A few ids of each, for the person reading the plan. */
    examples: { create: string[]; update: string[]; delete: string[] };
    recreated?: Array<{ old_id: string; new_id: string }>;
  };
}

/**
 * Restores a verified backup. The database file is replaced atomically: the copy is written
 * beside it, checked, the current file (with its WAL) is moved aside as
 * `<name>.before-restore-<time>`, and the copy renamed into place, so the result is byte for byte
 * the backed-up database. The Airtable table is brought back to the snapshot: records deleted
 * since are recreated, changed fields reverted (computed fields are Airtable's own), records
 * created since removed; comparison goes through a scratch SQLite file, so memory stays flat.
 * A dry run returns the plan and changes nothing.
 */
export async function restoreBackup(target: string, options: RestoreOptions = {}): Promise<RestorePlan> {
  const manifestPath = manifestPathOf(target);
  const log = options.log ?? silentLogger();
  const report = await verifyBackup(manifestPath, { key: options.key, env: options.env });
  if (!report.ok) throw new BackupError(`The backup ${manifestPath} does not verify, so it is not restored: ${report.problems.join(' ')}`);
  const { manifest } = report;
  const key = manifest.encrypted ? (options.key ?? keyFromEnv(manifest.key_env ?? 'LEADS_BACKUP_KEY', options.env)) : undefined;
  const dir = path.dirname(manifestPath);
  const wanted = new Set<SystemName>(options.systems ?? ['local', 'airtable']);
  const plan: RestorePlan = { manifest: manifestPath, dry_run: Boolean(options.dryRun) };
  const localFiles = manifest.files.filter((f) => f.system === 'local');
  const records = manifest.files.find((f) => f.kind === 'records');
  const local = localFiles.length && wanted.has('local') ? localSideToRestore(localFiles, options) : undefined;
  if (local) plan.local = await local.restore(dir, localFiles, { key, dryRun: Boolean(options.dryRun), now: options.now?.() ?? new Date() });
  if (records && wanted.has('airtable')) {
    const schema = manifest.files.find((f) => f.kind === 'schema');
    plan.airtable = await restoreAirtable(dir, records, schema, key, options);
    if (plan.airtable.recreated?.length && plan.local && local && !options.dryRun)
      await relinkLocal(local, options.link_field ?? 'airtable_id', plan.airtable.recreated);
    if (plan.airtable.recreated?.length && options.state_file && fs.existsSync(options.state_file) && !options.dryRun)
      relinkState(options.state_file, plan.airtable.recreated);
  }
  log.info(options.dryRun ? 'Restore plan (dry run, nothing changed).' : 'Backup restored.', { manifest: manifestPath, ...summarize(plan) });
  return plan;
}

function summarize(plan: RestorePlan): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (plan.local) out.database = plan.local.database;
  if (plan.airtable)
    Object.assign(out, { airtable_create: plan.airtable.create, airtable_update: plan.airtable.update, airtable_delete: plan.airtable.delete });
  return out;
}

function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}

async function restoreAirtable(
  dir: string,
  file: BackupFile,
  schemaFile: BackupFile | undefined,
  key: KeySource | undefined,
  options: RestoreOptions,
): Promise<NonNullable<RestorePlan['airtable']>> {
  const env = options.env ?? process.env;
  const target: AirtableTarget =
    options.airtable ??
    (() => {
      if (!env.AIRTABLE_TOKEN) throw new BackupError(`Restoring Airtable base ${file.source.base_id} needs AIRTABLE_TOKEN in the environment.`);
      return { token: env.AIRTABLE_TOKEN, baseId: file.source.base_id!, endpointUrl: env.AIRTABLE_ENDPOINT_URL || undefined, table: file.source.table! };
    })();
  const writable = schemaFile ? writableFields(JSON.parse((await readPlaintext(dir, schemaFile, key)).toString('utf8'))) : undefined;
  const keepField = (name: string): boolean => !writable || writable.has(name);
  const client = new AirtableTable(target, { log: options.log });
  const scratch = makeScratchDir('restore');
  const db = new Database(path.join(scratch, 'compare.db'));
  try {
    db.pragma('journal_mode = OFF');
    db.exec('CREATE TABLE snap (id TEXT PRIMARY KEY, fields TEXT NOT NULL); CREATE TABLE now (id TEXT PRIMARY KEY, fields TEXT NOT NULL)');
    const load = async (table: 'snap' | 'now', rows: AsyncIterable<{ id: string; fields: Record<string, unknown> }>): Promise<void> => {
      const insert = db.prepare(`INSERT OR REPLACE INTO ${table} (id, fields) VALUES (?, ?)`);
      let batch: Array<[string, string]> = [];
      const flush = db.transaction((items: Array<[string, string]>) => {
        for (const [id, f] of items) insert.run(id, f);
      });
      for await (const row of rows) {
        const fields = Object.fromEntries(Object.entries(row.fields).filter(([name]) => keepField(name)));
        batch.push([row.id, canonical(fields)]);
        if (batch.length >= 500) {
          flush(batch);
          batch = [];
        }
      }
      flush(batch);
    };
    await load('snap', backupRows(dir, file, key));
    await load('now', client.records());
    const creates = db.prepare('SELECT id, fields FROM snap WHERE id NOT IN (SELECT id FROM now) ORDER BY id').all() as Array<{ id: string; fields: string }>;
    const count = (sql: string): number => db.prepare(sql).pluck().get() as number;
    const plan: NonNullable<RestorePlan['airtable']> = {
      base_id: target.baseId,
      table: target.table,
      create: creates.length,
      update: count('SELECT count(*) FROM snap JOIN now USING (id) WHERE snap.fields <> now.fields'),
      delete: count('SELECT count(*) FROM now WHERE id NOT IN (SELECT id FROM snap)'),
      unchanged: count('SELECT count(*) FROM snap JOIN now USING (id) WHERE snap.fields = now.fields'),
      examples: {
        create: creates.slice(0, 5).map((r) => r.id),
        update: db.prepare('SELECT id FROM snap JOIN now USING (id) WHERE snap.fields <> now.fields ORDER BY id LIMIT 5').pluck().all() as string[],
        delete: db.prepare('SELECT id FROM now WHERE id NOT IN (SELECT id FROM snap) ORDER BY id LIMIT 5').pluck().all() as string[],
      },
    };
    if (options.dryRun) return plan;
    const deletes = db.prepare('SELECT id FROM now WHERE id NOT IN (SELECT id FROM snap) ORDER BY id').pluck().all() as string[];
    await client.destroy(deletes);
    const updates: Array<{ id: string; fields: Record<string, unknown> }> = [];
    for (const row of db
      .prepare('SELECT snap.id AS id, snap.fields AS want, now.fields AS have FROM snap JOIN now USING (id) WHERE snap.fields <> now.fields ORDER BY id')
      .iterate() as Iterable<{ id: string; want: string; have: string }>) {
      const want = JSON.parse(row.want) as Record<string, unknown>;
      const have = JSON.parse(row.have) as Record<string, unknown>;
      const fields: Record<string, unknown> = { ...want };
      for (const name of Object.keys(have)) if (!(name in want)) fields[name] = null;
      updates.push({ id: row.id, fields });
      if (updates.length >= 100) await client.update(updates.splice(0));
    }
    await client.update(updates);
    const newIds = await client.create(creates.map((r) => JSON.parse(r.fields) as Record<string, unknown>));
    plan.recreated = creates.map((r, i) => ({ old_id: r.id, new_id: newIds[i]! }));
    return plan;
  } finally {
    db.close();
    client.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function writableFields(schema: { fields?: Array<{ name: string; type: string }> }): Set<string> | undefined {
  if (!Array.isArray(schema.fields)) return undefined;
  return new Set(schema.fields.filter((f) => !COMPUTED_FIELD_TYPES.has(f.type)).map((f) => f.name));
}

function relinkState(file: string, recreated: Array<{ old_id: string; new_id: string }>): void {
  const state = new SyncState(file);
  try {
    state.followRollback({ unlinked: { local: [], airtable: [] }, recreated });
  } finally {
    state.close();
  }
}

/** The local side a backup's local files go back to: the one given, else the file the backup names (SQLite). */
function localSideToRestore(files: BackupFile[], options: RestoreOptions): LocalSide {
  const given = options.local ?? (options.database ? sqliteSide(options.database) : undefined);
  const named = files.find((f) => f.kind === 'sqlite')?.source.database;
  const side = given ?? (named ? sqliteSide(named) : undefined);
  if (!side) throw new BackupError('The backup does not say which database it came from; give the database to restore to.');
  if (!side.holds(files)) {
    const what = (s: string): string => (s === 'sqlite' ? 'a SQLite database file' : 'a PostgreSQL table');
    const backedUp = files.some((f) => f.kind === 'sqlite') ? 'sqlite' : 'postgres';
    throw new BackupError(
      `The backup holds ${what(backedUp)}, but the database to restore to (${side.id}) is ${what(side.kind)}: point LEADS_DB (or the restore step's database) at ${what(backedUp)}.`,
    );
  }
  return side;
}

/** Points the local links at Airtable records the restore recreated under new ids. */
async function relinkLocal(side: LocalSide, linkField: string, recreated: Array<{ old_id: string; new_id: string }>): Promise<void> {
  if (side.kind === 'sqlite') {
    relink(side.id, linkField, recreated);
    return;
  }
  const recovery = await side.recovery(
    { system: 'local', database: side.id, table: side.table ?? 'leads', id_column: 'id', link_field: linkField },
    { who: 'restore' },
  );
  try {
    for (const r of recreated) await recovery.relink(r.old_id, r.new_id);
  } finally {
    await recovery.close();
  }
}

function relink(database: string, linkField: string, recreated: Array<{ old_id: string; new_id: string }>): void {
  const db = new Database(database);
  try {
    const columns = (db.pragma('table_info(leads)') as Array<{ name: string }>).map((c) => c.name);
    if (!columns.includes(linkField)) return;
    const update = db.prepare(`UPDATE leads SET "${linkField.replace(/"/g, '""')}" = ? WHERE "${linkField.replace(/"/g, '""')}" = ?`);
    db.transaction(() => {
      for (const r of recreated) update.run(r.new_id, r.old_id);
    })();
  } finally {
    db.close();
  }
}
