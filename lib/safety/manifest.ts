import fs from 'node:fs';
import path from 'node:path';
import { BackupError } from './errors.js';
import { writeJsonAtomic } from './files.js';

/**
 * A backup is a directory `<backup_directory>/<run id>/` holding the files and `manifest.json`.
 * The manifest holds no lead data: what each file is, its size and SHA-256 as stored, and how many
 * records it holds, so `verifyBackup` can tell a truncated or altered file from a good one.
 */
export interface BackupFile {
  /** File name inside the backup directory. */
  path: string;
  system: 'local' | 'airtable';
  /**
   * `sqlite`: a database copy; `records`: gzipped JSONL of Airtable records; `schema`: the Airtable
   * table's schema; `postgres-schema` and `postgres-rows`: a PostgreSQL table's definition and its
   * rows (gzipped JSONL of each row's column values as text); `pg-dump`: the table as pg_dump wrote it.
   */
  kind: 'sqlite' | 'records' | 'schema' | 'postgres-schema' | 'postgres-rows' | 'pg-dump';
  bytes: number;
  sha256: string;
  /** Records per table (sqlite), or the record count (records). */
  records?: number | Record<string, number>;
  /** SHA-256 of the rows as plaintext JSONL (postgres-rows): a restore checks the table against it. */
  content_sha256?: string;
  /** Where it came from: the database file (or the PostgreSQL server and database, never a password), or the Airtable base; and the table. */
  source: { database?: string; base_id?: string; table?: string };
}

export interface BackupManifest {
  format: 1;
  run_id: string;
  created_at: string;
  tool_version: string;
  encrypted: boolean;
  /** The environment variable that held the key (never the key). */
  key_env?: string;
  files: BackupFile[];
  /** Set once `verifyBackup` passed on the finished backup. */
  verified: boolean;
  verified_at?: string;
}

export const MANIFEST_NAME = 'manifest.json';

/** Reads and checks a manifest; errors name the file and what is wrong with it. */
export function readManifest(manifestPath: string): BackupManifest {
  let text: string;
  try {
    text = fs.readFileSync(manifestPath, 'utf8');
  } catch (error) {
    throw new BackupError(`Cannot read the backup manifest ${manifestPath}: ${(error as Error).message}. Give the manifest.json of a backup directory.`, {
      cause: error,
    });
  }
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(text) as BackupManifest;
  } catch (error) {
    throw new BackupError(`The backup manifest ${manifestPath} is damaged (not JSON: ${(error as Error).message}); the backup cannot be trusted.`, {
      cause: error,
    });
  }
  if (manifest?.format !== 1 || !Array.isArray(manifest.files) || typeof manifest.run_id !== 'string') {
    throw new BackupError(`The backup manifest ${manifestPath} is not a backup manifest of this tool (format 1 with run_id and files).`);
  }
  for (const file of manifest.files) {
    if (typeof file.path !== 'string' || file.path.includes('/') || file.path.includes('..') || typeof file.sha256 !== 'string') {
      throw new BackupError(`The backup manifest ${manifestPath} lists a file entry that is not valid (${JSON.stringify(file.path)}).`);
    }
  }
  return manifest;
}

export function writeManifest(dir: string, manifest: BackupManifest): string {
  const file = path.join(dir, MANIFEST_NAME);
  writeJsonAtomic(file, manifest);
  return file;
}

/** The manifest path for a backup directory or a manifest path. */
export function manifestPathOf(target: string): string {
  return fs.existsSync(target) && fs.statSync(target).isDirectory() ? path.join(target, MANIFEST_NAME) : target;
}
