import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decryptStream, type KeySource } from '../safety/crypto.js';
import { BackupError } from '../safety/errors.js';
import { writeStreamed } from '../safety/files.js';
import type { BackupOutput, LocalRestorePlan } from '../safety/local-side.js';
import type { BackupFile } from '../safety/manifest.js';
import { qualifiedName, scrub, tableLabel, type PgClient, type TableName } from './connection.js';
import { resolveTable } from './table-schema.js';

/**
 * Backup and restore through PostgreSQL's own tools, when the user asks for them (backup step's
 * `pg_dump: true`) and they are installed: `pg_dump --format=custom` of the one table, taken from
 * the snapshot the tool's own REPEATABLE READ transaction exported (so its row count is the dump's),
 * and `pg_restore --clean --single-transaction`. The password never goes on a command line (other
 * users can read those): the tools get the URL without it and the password in their environment.
 */

/** The URL without its password, and the environment that carries the password to pg_dump / pg_restore. */
function toolConnection(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  try {
    const parsed = new URL(url);
    if (parsed.password) {
      env.PGPASSWORD = decodeURIComponent(parsed.password);
      parsed.password = '';
    }
    return { dbname: parsed.toString(), env };
  } catch {
    return { dbname: url, env };
  }
}

/** Runs a PostgreSQL tool; its stdout as a stream, its failure as a BackupError without secrets. */
function runTool(tool: string, args: string[], url: string, stdin?: Readable): { stdout: Readable; done: Promise<void> } {
  const { env } = toolConnection(url);
  const child = spawn(tool, args, { env, stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  if (stdin && child.stdin) void pipeline(stdin, child.stdin as Writable).catch(() => undefined);
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        new BackupError(
          error.code === 'ENOENT'
            ? `${tool} is not installed (not on the PATH): install the PostgreSQL client tools, or set the backup step's pg_dump to false (the built-in backup needs only the connection).`
            : `${tool} could not start: ${error.message}.`,
        ),
      );
    });
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new BackupError(`${tool} failed (exit ${code}): ${scrub(stderr.trim(), [env.PGPASSWORD ?? ''])}`));
    });
  });
  return { stdout: child.stdout!, done };
}

export async function backupWithPgDump(
  client: PgClient,
  table: TableName,
  dir: string,
  options: { url: string; id: string; output: BackupOutput; encrypt: () => Transform[] },
): Promise<BackupFile[]> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const snapshot = (await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]!.id;
    const records = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualifiedName(table)}`)).rows[0]!.n);
    const resolved = await resolveTable(client, table);
    const label = resolved ? `${resolved.schema}.${resolved.table}` : tableLabel(table);
    const { dbname } = toolConnection(options.url);
    const dump = runTool('pg_dump', ['--format=custom', `--snapshot=${snapshot}`, `--table=${qualifiedName(table)}`, `--dbname=${dbname}`], options.url);
    const name = `postgres-${label.replace(/[^A-Za-z0-9_-]+/g, '_')}.dump${options.output.suffix}`;
    const [written] = await Promise.all([writeStreamed(dump.stdout, options.encrypt(), path.join(dir, name), options.output.open), dump.done]);
    await client.query('COMMIT');
    return [{ path: name, system: 'local', kind: 'pg-dump', ...written, records, source: { database: options.id, table: label } }];
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

export async function restoreWithPgDump(
  dir: string,
  file: BackupFile,
  options: { url: string; id: string; table: TableName; key?: KeySource; dryRun: boolean },
): Promise<LocalRestorePlan> {
  const full = path.join(dir, file.path);
  const plan: LocalRestorePlan = { database: options.id, from: full, tables: { [file.source.table ?? tableLabel(options.table)]: Number(file.records ?? 0) } };
  const input = (): Readable => {
    const stream = fs.createReadStream(full);
    return file.path.endsWith('.enc') && options.key ? stream.pipe(decryptStream(options.key, file.path)) : stream;
  };
  const { dbname } = toolConnection(options.url);
  // A dry run reads the archive's table of contents: pg_restore can read it, nothing is changed.
  const args = options.dryRun ? ['--list'] : ['--clean', '--if-exists', '--single-transaction', '--exit-on-error', `--dbname=${dbname}`];
  const run = runTool('pg_restore', args, options.url, input());
  run.stdout.resume();
  await run.done;
  return plan;
}
