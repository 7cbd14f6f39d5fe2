import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { StageSetupError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import { AirtableTable, type AirtableSettings, type AirtableTarget } from './airtable.js';
import { encryptStream, type KeySource } from './crypto.js';
import { BackupError } from './errors.js';
import { openPrivateFile, writeStreamed, type OpenOutput } from './files.js';
import type { LocalSide } from './local-side.js';
import { privateDir } from '../core/private-files.js';
import { sqliteSide } from './sqlite-side.js';
import { MANIFEST_NAME, writeManifest, type BackupFile, type BackupManifest } from './manifest.js';
import { toolVersion } from '../core/paths.js';
import { verifyBackup } from './verify.js';

export interface BackupOptions {
  /** Where backups go; each run gets `<directory>/<runId>/`. */
  directory: string;
  runId: string;
  /** The local database to back up: a SQLite file. */
  database?: string;
  /** The local side to back up (a SQLite file or a PostgreSQL table, lib/safety/sides.ts); in place of `database`. */
  local?: LocalSide;
  /** The Airtable table to back up. */
  airtable?: AirtableTarget;
  /** Rate, retries and timeouts of the Airtable client. */
  airtableSettings?: AirtableSettings;
  /** Encrypt every file with this key. */
  encryption?: KeySource;
  /** Verify the finished backup (hashes, decompression, counts, SQLite integrity). Default true. */
  verify?: boolean;
  now?: () => Date;
  log?: Logger;
  /** How files are opened for writing (tests inject a failing disk). */
  openOutput?: OpenOutput;
}

export interface BackupResult {
  manifestPath: string;
  manifest: BackupManifest;
}

/**
 * Backs up the local database (SQLite's online backup API, or an in-memory snapshot when
 * encrypting, so no plaintext copy touches the disk) and the Airtable table (every record with
 * every field, gzipped JSONL, plus its schema), writes the manifest and verifies the whole
 * backup. Everything is written into `<runId>.partial/` and renamed to `<runId>/` only once
 * verified: a backup directory without `.partial` is always complete. On any failure the partial
 * directory is deleted and a BackupError says what failed.
 */
export async function createBackup(options: BackupOptions): Promise<BackupResult> {
  const log = options.log ?? silentLogger();
  const now = options.now ?? (() => new Date());
  const root = path.resolve(options.directory);
  const finalDir = path.join(root, options.runId);
  if (fs.existsSync(finalDir)) throw new BackupError(`A backup for run ${options.runId} already exists in ${finalDir}; backups are never overwritten.`);
  const dir = `${finalDir}.partial`;
  const open = options.openOutput ?? openPrivateFile;
  const suffix = options.encryption ? '.enc' : '';
  const files: BackupFile[] = [];
  try {
    privateDir(root);
    fs.rmSync(dir, { recursive: true, force: true });
    privateDir(dir);
    const local = options.local ?? (options.database ? sqliteSide(options.database) : undefined);
    if (local) files.push(...(await local.backup(dir, { encryption: options.encryption, open, suffix })));
    if (options.airtable) files.push(...(await backupAirtable(options.airtable, { log, ...options.airtableSettings }, dir, options.encryption, open, suffix)));
    const manifest: BackupManifest = {
      format: 1,
      run_id: options.runId,
      created_at: now().toISOString(),
      tool_version: toolVersion(),
      encrypted: Boolean(options.encryption),
      ...(options.encryption ? { key_env: options.encryption.env } : {}),
      files,
      verified: false,
    };
    writeManifest(dir, manifest);
    if (options.verify !== false) {
      const report = await verifyBackup(path.join(dir, MANIFEST_NAME), { key: options.encryption });
      if (!report.ok) throw new BackupError(`The backup did not verify: ${report.problems.join(' ')}`);
      manifest.verified = true;
      manifest.verified_at = now().toISOString();
      writeManifest(dir, manifest);
    }
    fs.renameSync(dir, finalDir);
    log.info('Backup written.', { directory: finalDir, files: files.length, encrypted: manifest.encrypted, verified: manifest.verified });
    return { manifestPath: path.join(finalDir, MANIFEST_NAME), manifest };
  } catch (error) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // nothing was created where the directory could not be
    }
    // A database that is not there is a setting to fix (exit 2), not a failed backup.
    if (error instanceof BackupError || error instanceof StageSetupError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const hint =
      code === '42501'
        ? ' The database user may not read everything the backup reads (the table and the sequences its columns own): grant SELECT on them, or run the backup as the owner.'
        : code === 'ENOSPC'
          ? ' The disk is full: free space or point backup_directory at another disk.'
          : code === 'EACCES' || code === 'EROFS' || code === 'EPERM'
            ? ' The backup directory is not writable: fix its permissions or choose another backup_directory.'
            : code === 'ENOTDIR' || code === 'EEXIST'
              ? ' A file stands where the backup directory should be: move it or choose another backup_directory.'
              : '';
    throw new BackupError(`Writing the backup to ${root} failed: ${(error as Error).message}.${hint} No backup was kept and nothing was written to the data.`, {
      cause: error,
    });
  }
}

async function backupAirtable(
  target: AirtableTarget,
  settings: AirtableSettings,
  dir: string,
  key: KeySource | undefined,
  open: OpenOutput,
  suffix: string,
): Promise<BackupFile[]> {
  const client = new AirtableTable(target, settings);
  try {
    return await backupTable(client, target, dir, key, open, suffix);
  } finally {
    client.close();
  }
}

async function backupTable(
  client: AirtableTable,
  target: AirtableTarget,
  dir: string,
  key: KeySource | undefined,
  open: OpenOutput,
  suffix: string,
): Promise<BackupFile[]> {
  const safeTable = target.table.replace(/[^A-Za-z0-9_-]+/g, '_');
  const source = { base_id: target.baseId, table: target.table };
  const schema = await client.schema();
  const schemaName = `airtable-${safeTable}.schema.json${suffix}`;
  const schemaWritten = await writeStreamed(
    Readable.from([Buffer.from(JSON.stringify(schema) + '\n')]),
    key ? [encryptStream(key)] : [],
    path.join(dir, schemaName),
    open,
  );
  let count = 0;
  const lines = Readable.from(
    (async function* () {
      for await (const row of client.records()) {
        count++;
        yield Buffer.from(JSON.stringify(row) + '\n');
      }
    })(),
  );
  const recordsName = `airtable-${safeTable}.jsonl.gz${suffix}`;
  const written = await writeStreamed(lines, [createGzip(), ...(key ? [encryptStream(key)] : [])], path.join(dir, recordsName), open);
  return [
    { path: schemaName, system: 'airtable', kind: 'schema', ...schemaWritten, source },
    { path: recordsName, system: 'airtable', kind: 'records', ...written, records: count, source },
  ];
}
