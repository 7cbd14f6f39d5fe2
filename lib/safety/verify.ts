import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import Database from 'better-sqlite3';
import { tableCounts } from '../sqlite/backup.js';
import { decryptStream, keyFromEnv, type KeySource } from './crypto.js';
import { BackupError } from './errors.js';
import { hashFile } from './files.js';
import { readManifest, type BackupFile, type BackupManifest } from './manifest.js';

export interface VerifyOptions {
  /** The decryption key; by default read from the variable the manifest names. */
  key?: KeySource;
  env?: NodeJS.ProcessEnv;
}

export interface VerifyReport {
  ok: boolean;
  manifest: BackupManifest;
  /** One sentence per problem, naming the file and whether it is missing, truncated or altered. */
  problems: string[];
}

/**
 * `verify_backup_integrity`: checks every file of a backup against its manifest (present, size,
 * SHA-256), then reads it through: decrypts (authenticating every byte), decompresses, parses
 * each JSONL line, counts the records, and for a database copy runs `PRAGMA integrity_check` and
 * counts every table's rows. A damaged manifest throws; damaged files are reported.
 */
export async function verifyBackup(manifestPath: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const manifest = readManifest(manifestPath);
  const dir = path.dirname(manifestPath);
  const problems: string[] = [];
  let key = options.key;
  if (manifest.encrypted && !key) {
    try {
      key = keyFromEnv(manifest.key_env ?? 'LEADS_BACKUP_KEY', options.env);
    } catch (error) {
      problems.push(`The backup is encrypted and its contents cannot be checked: ${(error as Error).message}`);
    }
  }
  for (const file of manifest.files) {
    const problem = await checkStored(dir, file);
    if (problem) {
      problems.push(problem);
      continue;
    }
    if (manifest.encrypted && !key) continue;
    try {
      await checkContents(dir, file, key);
    } catch (error) {
      problems.push((error as Error).message.replace(/^backup: /, ''));
    }
  }
  return { ok: problems.length === 0, manifest, problems };
}

/** Presence, size and hash: names a missing, truncated or altered file. */
async function checkStored(dir: string, file: BackupFile): Promise<string | undefined> {
  const full = path.join(dir, file.path);
  if (!fs.existsSync(full)) return `${file.path} is missing from the backup.`;
  const stored = await hashFile(full);
  if (stored.bytes < file.bytes) return `${file.path} is truncated: ${stored.bytes} of ${file.bytes} bytes.`;
  if (stored.bytes > file.bytes) return `${file.path} was altered: it has ${stored.bytes} bytes, the manifest says ${file.bytes}.`;
  if (stored.sha256 !== file.sha256) return `${file.path} was altered: its SHA-256 differs from the manifest's.`;
  return undefined;
}

/** Reads a whole backup file's plaintext, failing on any decryption or decompression error. */
export async function readPlaintext(dir: string, file: BackupFile, key: KeySource | undefined): Promise<Buffer> {
  const full = path.join(dir, file.path);
  const chunks: Buffer[] = [];
  const transforms = [];
  if (file.path.endsWith('.enc')) {
    if (!key) throw new BackupError(`${file.path} is encrypted; set the backup key in the environment to read it.`);
    transforms.push(decryptStream(key, file.path));
  }
  if (file.kind === 'records' || file.kind === 'postgres-rows') transforms.push(createGunzip());
  await pipeline([
    fs.createReadStream(full),
    ...transforms,
    async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) chunks.push(chunk);
    },
  ] as unknown as [Readable, NodeJS.WritableStream]).catch((error: Error) => {
    if (error instanceof BackupError) throw error;
    throw new BackupError(`${file.path} cannot be read back (${error.message}); it is damaged.`, { cause: error });
  });
  return Buffer.concat(chunks);
}

/** Every record of an Airtable records file, streamed (decrypted, gunzipped, parsed). */
export async function* backupRows(dir: string, file: BackupFile, key: KeySource | undefined): AsyncGenerator<{ id: string; fields: Record<string, unknown> }> {
  for await (const { text, line } of backupLines(dir, file, key)) yield parseRow(text, file, line);
}

/**
 * Every line of a gzipped JSONL backup file with its line number, streamed (decrypted, gunzipped),
 * with `bytes`, the plaintext so far, for hashing. An incomplete last line is damage.
 */
export async function* backupLines(dir: string, file: BackupFile, key: KeySource | undefined): AsyncGenerator<{ text: string; line: number }> {
  const transforms = [];
  if (file.path.endsWith('.enc')) {
    if (!key) throw new BackupError(`${file.path} is encrypted; set the backup key in the environment to read it.`);
    transforms.push(decryptStream(key, file.path));
  }
  transforms.push(createGunzip());
  let stream: Readable = fs.createReadStream(path.join(dir, file.path));
  for (const t of transforms) stream = stream.pipe(t);
  let rest = '';
  let line = 0;
  // A character split between two chunks is joined again before it is decoded.
  const decoder = new StringDecoder('utf8');
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const text = rest + decoder.write(chunk);
      const lines = text.split('\n');
      rest = lines.pop()!;
      for (const l of lines) {
        line++;
        if (l) yield { text: l, line };
      }
    }
  } catch (error) {
    if (error instanceof BackupError) throw error;
    throw new BackupError(`${file.path} cannot be read back (${(error as Error).message}); it is damaged.`, { cause: error });
  }
  if (rest) throw new BackupError(`${file.path} is truncated: its last line (${line + 1}) is incomplete.`);
}

function parseRow(text: string, file: BackupFile, line: number): { id: string; fields: Record<string, unknown> } {
  try {
    const row = JSON.parse(text) as { id?: unknown; fields?: unknown };
    if (typeof row.id === 'string' && row.fields && typeof row.fields === 'object') return row as { id: string; fields: Record<string, unknown> };
  } catch {
    // reported below
  }
  throw new BackupError(`${file.path}:${line} is not an Airtable record ({id, fields}); the backup is damaged.`);
}

async function checkContents(dir: string, file: BackupFile, key: KeySource | undefined): Promise<void> {
  if (file.kind === 'postgres-rows' || file.kind === 'postgres-schema' || file.kind === 'pg-dump') return checkPostgresFile(dir, file, key);
  if (file.kind === 'records') {
    let count = 0;
    for await (const _row of backupRows(dir, file, key)) count++;
    if (count !== file.records) throw new BackupError(`${file.path} holds ${count} records, the manifest says ${String(file.records)}.`);
    return;
  }
  const plain = file.kind === 'sqlite' && !file.path.endsWith('.enc') ? undefined : await readPlaintext(dir, file, key);
  if (file.kind === 'schema') {
    try {
      JSON.parse(plain!.toString('utf8'));
    } catch {
      throw new BackupError(`${file.path} is not valid JSON; the schema backup is damaged.`);
    }
    return;
  }
  let db: Database.Database;
  try {
    db = plain ? new Database(plain) : new Database(path.join(dir, file.path), { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new BackupError(`${file.path} is not a readable SQLite database (${(error as Error).message}).`);
  }
  try {
    const problems = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((a) => a.integrity_check).filter((a) => a !== 'ok');
    if (problems.length) throw new BackupError(`${file.path} failed its integrity check: ${problems.slice(0, 3).join('; ')}.`);
    const counts = tableCounts(db);
    const expected = (file.records ?? {}) as Record<string, number>;
    for (const [table, n] of Object.entries(expected)) {
      if (counts[table] !== n) throw new BackupError(`${file.path} holds ${counts[table] ?? 0} rows in table ${table}, the manifest says ${n}.`);
    }
  } catch (error) {
    if (error instanceof BackupError) throw error;
    throw new BackupError(`${file.path} is damaged: ${(error as Error).message}.`);
  } finally {
    db.close();
  }
}

/**
 * The contents check of a PostgreSQL table's backup files: the definition is the tool's table
 * schema; every row line is an array of text values (or nulls) of the definition's width, the
 * count and the SHA-256 of the lines are the manifest's. A pg_dump file is checked by its hash.
 */
export async function checkPostgresFile(dir: string, file: BackupFile, key: KeySource | undefined): Promise<void> {
  if (file.kind === 'pg-dump') return;
  if (file.kind === 'postgres-schema') {
    let schema: { format?: unknown; columns?: unknown };
    try {
      schema = JSON.parse((await readPlaintext(dir, file, key)).toString('utf8')) as typeof schema;
    } catch (error) {
      if (error instanceof BackupError) throw error;
      throw new BackupError(`${file.path} is not valid JSON; the table definition in the backup is damaged.`);
    }
    if (schema.format !== 'lead-maintenance-postgres-table' || !Array.isArray(schema.columns))
      throw new BackupError(`${file.path} is not a table definition of this tool; the backup is damaged.`);
    return;
  }
  const hash = createHash('sha256');
  let count = 0;
  let width: number | undefined;
  for await (const { text, line } of backupLines(dir, file, key)) {
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch {
      row = undefined;
    }
    if (!Array.isArray(row) || row.some((v) => v !== null && typeof v !== 'string') || (width !== undefined && row.length !== width))
      throw new BackupError(`${file.path}:${line} is not a row of the table (an array of column values); the backup is damaged.`);
    width = row.length;
    hash.update(text + '\n');
    count++;
  }
  if (count !== file.records) throw new BackupError(`${file.path} holds ${count} rows, the manifest says ${String(file.records)}.`);
  if (file.content_sha256 && hash.digest('hex') !== file.content_sha256)
    throw new BackupError(`${file.path}: its rows differ from those the backup read (SHA-256 of the rows).`);
}
