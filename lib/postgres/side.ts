import type { Readable, Transform } from 'node:stream';
import { encryptStream } from '../safety/crypto.js';
import { BackupError } from '../safety/errors.js';
import { writeStreamed } from '../safety/files.js';
import type {
  BackupOutput,
  LocalJournalTarget,
  LocalRecovery,
  LocalRecoveryOptions,
  LocalRestoreOptions,
  LocalRestorePlan,
  LocalSide,
} from '../safety/local-side.js';
import { acquireLock, type Lock, type LockOptions } from '../safety/lock.js';
import type { BackupFile } from '../safety/manifest.js';
import { backupLines, readPlaintext } from '../safety/verify.js';
import { backupPostgresTable } from './backup.js';
import pg from 'pg';
import {
  clientConfig,
  describePgError,
  describeTarget,
  parseTableName,
  tableLabel,
  type ConnectionOptions,
  type PgClient,
  type TableName,
} from './connection.js';
import { acquireAdvisoryLock, advisoryHolder, advisoryKey, describeHolder } from './lock.js';
import { backupWithPgDump, restoreWithPgDump } from './pg-dump.js';
import { PostgresRecovery } from './recovery.js';
import { restorePostgresTable } from './restore.js';
import { resolveTable, type TableSchema } from './table-schema.js';

/** True for a `postgres://` or `postgresql://` URL (LEADS_DB may be one). */
export function isPostgresUrl(text: string | undefined): boolean {
  return typeof text === 'string' && /^postgres(ql)?:\/\//i.test(text.trim());
}

/** How journals and manifests name a server's database: `postgres://user@host:port/database`, never a password. */
export function postgresId(url: string): string {
  return `postgres://${describeTarget(url)}`;
}

export interface PostgresSideOptions {
  /** The server and database (LEADS_DB, from the environment: it may hold the password). */
  url: string;
  /** TLS and timeout settings. */
  connection?: Omit<ConnectionOptions, 'url'>;
  /** The table as configured: `table` or `schema.table`. */
  table: string;
  /** Back up with pg_dump (it must be on the PATH) instead of the built-in snapshot. */
  pgDump?: boolean;
  baseDir?: string;
  /** Who is asking, for error messages. */
  who?: string;
}

/** The local side as a PostgreSQL table (see lib/safety/local-side.ts). */
export function postgresSide(options: PostgresSideOptions): LocalSide {
  const who = options.who ?? 'backup';
  const url = options.url;
  const id = postgresId(url);
  const table = parseTableName(options.table, who);
  const open = (asking = who): Promise<PgClient> => connectTo(url, asking, options);
  return {
    kind: 'postgres',
    id,
    table: tableLabel(table),
    async lock(stateDir: string, others: string[], lockOptions: LockOptions): Promise<Lock> {
      const files = others.length ? acquireLock(stateDir, others, lockOptions) : undefined;
      let client: PgClient | undefined;
      try {
        client = await open();
        const resolved = await resolveTable(client, table);
        const name = resolved ? `${resolved.schema}.${resolved.table}` : tableLabel(table);
        const session = client;
        const advisory = await acquireAdvisoryLock(session, advisoryKey(name), `PostgreSQL table ${name} (${describeTarget(url)})`, {
          runId: lockOptions.runId,
          close: () => session.end(),
        });
        return {
          files: files?.files ?? [],
          check: () => advisory.check(),
          release() {
            files?.release();
            void advisory.release();
          },
        };
      } catch (error) {
        await client?.end().catch(() => undefined);
        files?.release();
        throw error;
      }
    },
    async backup(dir: string, output: BackupOutput): Promise<BackupFile[]> {
      const client = await open();
      try {
        const encrypt = (): Transform[] => (output.encryption ? [encryptStream(output.encryption)] : []);
        if (options.pgDump) return await backupWithPgDump(client, table, dir, { url, id, output, encrypt });
        const write = (name: string, source: Readable, transforms: Transform[]) => writeStreamed(source, transforms, `${dir}/${name}`, output.open);
        return await backupPostgresTable(client, table, write, { suffix: output.suffix, encrypt, source: id, who });
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    holds(files: BackupFile[]): boolean {
      return files.some((f) => f.kind === 'postgres-rows' || f.kind === 'pg-dump');
    },
    async restore(dir: string, files: BackupFile[], restore: LocalRestoreOptions): Promise<LocalRestorePlan> {
      const dump = files.find((f) => f.kind === 'pg-dump');
      if (dump) return restoreWithPgDump(dir, dump, { url, id, table, key: restore.key, dryRun: restore.dryRun });
      return restoreFromFiles(dir, files, restore, { open, table, id });
    },
    async recovery(target: LocalJournalTarget, recovery: LocalRecoveryOptions): Promise<LocalRecovery> {
      const client = await open(recovery.who);
      // A dry run plans only: the server refuses any write on this session, should one slip through.
      if (recovery.dryRun) await client.query('SET default_transaction_read_only = on');
      return new PostgresRecovery(client, target, recovery.who);
    },
  };
}

/** Restores the built-in backup (the table's definition and rows) into `table`, in one transaction. */
async function restoreFromFiles(
  dir: string,
  files: BackupFile[],
  restore: LocalRestoreOptions,
  { open, table, id }: { open: () => Promise<PgClient>; table: TableName; id: string },
): Promise<LocalRestorePlan> {
  const schemaFile = files.find((f) => f.kind === 'postgres-schema');
  const rowsFile = files.find((f) => f.kind === 'postgres-rows');
  if (!schemaFile || !rowsFile)
    throw new BackupError('The backup holds no PostgreSQL table (its definition and rows); it cannot be restored to a PostgreSQL table.');
  const schema = JSON.parse((await readPlaintext(dir, schemaFile, restore.key)).toString('utf8')) as TableSchema;
  const rows = async function* (): AsyncGenerator<Array<string | null>> {
    for await (const { text } of backupLines(dir, rowsFile, restore.key)) yield JSON.parse(text) as Array<string | null>;
  };
  const client = await open();
  try {
    const expected = { records: Number(rowsFile.records ?? 0), content_sha256: rowsFile.content_sha256 };
    const plan = await restorePostgresTable(client, table, schema, rows, expected, { dryRun: restore.dryRun, now: restore.now, database: id });
    return {
      database: id,
      from: `${dir}/${rowsFile.path}`,
      tables: { [plan.table]: plan.rows },
      ...(plan.current_kept_as ? { current_kept_as: plan.current_kept_as } : {}),
      recreated: plan.recreated,
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Who holds the run lock of a PostgreSQL table now, in words (for --status); undefined when nobody does. */
export async function postgresLockHolder(url: string, table: string): Promise<string | undefined> {
  const client = await connectTo(url, 'status', { url, table });
  try {
    const name = parseTableName(table, 'status');
    const resolved = await resolveTable(client, name);
    const label = resolved ? `${resolved.schema}.${resolved.table}` : tableLabel(name);
    const holder = await advisoryHolder(client, advisoryKey(label));
    return holder ? `PostgreSQL table ${label} (${describeTarget(url)}) is locked by ${describeHolder(holder)}` : undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Connects to `url` as the stages connect (lib/postgres/connection.ts), the URL taken as if from
 * the environment, where it came from: it may hold the password, which no error repeats.
 */
async function connectTo(url: string, who: string, options: PostgresSideOptions): Promise<PgClient> {
  const { target, from, ...config } = clientConfig({ ...options.connection }, who, options.baseDir, { LEADS_DATABASE_URL: url });
  const client = new pg.Client(config);
  client.on('error', () => {
    // Surfaced by the next query on this client.
  });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    const secrets = [process.env.PGPASSWORD ?? ''];
    try {
      const password = new URL(url).password;
      if (password) secrets.push(password, decodeURIComponent(password));
    } catch {
      // not a URL the client could use either: its error says so
    }
    throw describePgError(error, { who, target, from: from === 'LEADS_DATABASE_URL' ? 'LEADS_DB' : from, secrets });
  }
  return client;
}
