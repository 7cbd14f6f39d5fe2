import { createHash } from 'node:crypto';
import { Readable, type Transform } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { BackupFile } from '../safety/manifest.js';
import type { WrittenFile } from '../safety/files.js';
import type { PgClient, TableName } from './connection.js';
import { readTableSchema, textSelect, type TableSchema } from './table-schema.js';

/**
 * The built-in backup of a PostgreSQL table: one REPEATABLE READ, READ ONLY transaction, so the
 * table's definition and every row come from one snapshot while others go on writing; the rows
 * streamed through a server-side cursor (memory stays flat at any size) as gzipped JSON Lines, one
 * array of the columns' text values per row, in primary-key order. Text is each type's own output,
 * which its input reads back to the same value, so a restore puts back exactly what was there.
 * `content_sha256` hashes the lines as written: verify and restore recompute it.
 */

/** Rows per FETCH from the cursor. */
const FETCH_ROWS = 1000;

/** How a backup file is written (lib/safety/files.ts's writeStreamed, with the backup's encryption). */
export type WriteBackupFile = (name: string, source: Readable, transforms: Transform[]) => Promise<WrittenFile>;

/** The file names of a table's backup: its definition and its rows. */
export function postgresBackupNames(table: string, suffix: string): { ddl: string; rows: string } {
  const safe = table.replace(/[^A-Za-z0-9_-]+/g, '_');
  return { ddl: `postgres-${safe}.schema.json${suffix}`, rows: `postgres-${safe}.jsonl.gz${suffix}` };
}

/** One row's line: the columns' text values (null for NULL), in column order. */
export function rowLine(values: ReadonlyArray<string | null>): string {
  return JSON.stringify(values) + '\n';
}

/** Backs up `table` from one snapshot; `source` names the database without any secret. */
export async function backupPostgresTable(
  client: PgClient,
  table: TableName,
  write: WriteBackupFile,
  options: { suffix: string; encrypt: () => Transform[]; source: string; who: string },
): Promise<BackupFile[]> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const schema = await readTableSchema(client, table, options.who);
    const names = postgresBackupNames(`${schema.schema}.${schema.table}`, options.suffix);
    const source = { database: options.source, table: `${schema.schema}.${schema.table}` };
    const ddlWritten = await write(names.ddl, Readable.from([Buffer.from(JSON.stringify(schema) + '\n')]), options.encrypt());
    const hash = createHash('sha256');
    let count = 0;
    const lines = Readable.from(
      (async function* () {
        for await (const batch of cursorRows(client, schema)) {
          let text = '';
          for (const row of batch) text += rowLine(row);
          count += batch.length;
          const bytes = Buffer.from(text);
          hash.update(bytes);
          yield bytes;
        }
      })(),
    );
    const rowsWritten = await write(names.rows, lines, [createGzip(), ...options.encrypt()]);
    await client.query('COMMIT');
    return [
      { path: names.ddl, system: 'local', kind: 'postgres-schema', ...ddlWritten, source },
      { path: names.rows, system: 'local', kind: 'postgres-rows', ...rowsWritten, records: count, content_sha256: hash.digest('hex'), source },
    ];
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * The table's rows as text, in backup order, a batch per FETCH, inside the caller's transaction
 * (the cursor lives in it). Used by the backup and, after a restore, to check the table holds
 * exactly the backed-up rows.
 */
export async function* cursorRows(
  client: PgClient,
  schema: TableSchema,
  table: TableName = { schema: schema.schema, name: schema.table },
): AsyncGenerator<Array<Array<string | null>>> {
  const cursor = `lead_maintenance_rows_${process.pid}`;
  await client.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${textSelect(schema, table)}`);
  try {
    for (;;) {
      const fetched = await client.query<Array<string | null>>({ text: `FETCH FORWARD ${FETCH_ROWS} FROM ${cursor}`, rowMode: 'array' });
      if (fetched.rows.length === 0) break;
      yield fetched.rows;
    }
  } finally {
    await client.query(`CLOSE ${cursor}`).catch(() => undefined);
  }
}

/** The hash and count of a table's rows as the backup writes them, read inside the caller's transaction. */
export async function tableContent(client: PgClient, schema: TableSchema, table: TableName): Promise<{ records: number; content_sha256: string }> {
  const hash = createHash('sha256');
  let records = 0;
  for await (const batch of cursorRows(client, schema, table)) {
    let text = '';
    for (const row of batch) text += rowLine(row);
    hash.update(text);
    records += batch.length;
  }
  return { records, content_sha256: hash.digest('hex') };
}
