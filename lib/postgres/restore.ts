import { BackupError } from '../safety/errors.js';
import { qualifiedName, quoteIdent, tableLabel, type PgClient, type TableName } from './connection.js';
import { tableContent } from './backup.js';
import { insertableColumns, resolveTable, tableDdl, type TableSchema } from './table-schema.js';

/**
 * Puts a backed-up PostgreSQL table back, in one transaction, so others see the old table or the
 * restored one and nothing in between: the table is locked (ACCESS EXCLUSIVE), its current rows
 * copied aside into `<table>_before_restore_<time>` (the SQLite restore keeps the current file
 * aside the same way), then emptied and filled with the backed-up rows, or, when its columns
 * changed or it is gone, created again from the backed-up definition. Sequences get their
 * backed-up positions. Before the commit the table is read back and must hash to the backup's
 * rows, else nothing is changed.
 */

export interface PostgresRestorePlan {
  database: string;
  table: string;
  /** Rows the table will hold (the backup's). */
  rows: number;
  /** Rows it holds now; undefined when it does not exist. */
  current_rows?: number;
  /** The table the current rows are copied to. */
  current_kept_as?: string;
  /** The table is created again from the backed-up definition (gone, or its columns changed). */
  recreated: boolean;
}

/** Bound parameters per INSERT stay below the protocol's 65535. */
const MAX_PARAMETERS = 30_000;

export async function restorePostgresTable(
  client: PgClient,
  target: TableName,
  schema: TableSchema,
  rows: () => AsyncIterable<Array<string | null>>,
  expected: { records: number; content_sha256?: string },
  options: { dryRun: boolean; now: Date; database: string },
): Promise<PostgresRestorePlan> {
  await client.query('BEGIN');
  try {
    const current = await resolveTable(client, target);
    const table: TableName = current ? { schema: current.schema, name: current.table } : { schema: target.schema ?? schema.schema, name: target.name };
    const name = qualifiedName(table);
    const plan: PostgresRestorePlan = { database: options.database, table: tableLabel(table), rows: expected.records, recreated: !current };
    if (current) {
      await client.query(`LOCK TABLE ${name} IN ACCESS EXCLUSIVE MODE`);
      plan.current_rows = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${name}`)).rows[0]!.n);
      plan.recreated = !(await sameColumns(client, current.oid, schema));
      plan.current_kept_as = asideName(table.name, options.now);
    }
    if (options.dryRun) {
      await client.query('ROLLBACK');
      return plan;
    }
    if (current) {
      await client.query(`CREATE TABLE ${qualifiedName({ schema: table.schema, name: plan.current_kept_as! })} AS TABLE ${name}`);
      await client.query(plan.recreated ? `DROP TABLE ${name}` : `TRUNCATE ONLY ${name}`);
    }
    if (plan.recreated) for (const statement of tableDdl(schema, table)) await client.query(statement);
    await insertRows(client, name, schema, rows());
    for (const sequence of schema.sequences) {
      // A sequence only moves forward, so one kept (not recreated) already stands past the ids it gave the restored rows;
      // a user who may not move it (an identity column's) leaves it there.
      const movable = plan.recreated || (await client.query<{ ok: boolean }>(`SELECT has_sequence_privilege($1, 'UPDATE') AS ok`, [sequence.name])).rows[0]?.ok;
      if (movable) await client.query('SELECT setval($1::regclass, $2::bigint, $3)', [sequence.name, sequence.last_value, sequence.is_called]);
    }
    const restored = await tableContent(client, schema, table);
    if (restored.records !== expected.records || (expected.content_sha256 && restored.content_sha256 !== expected.content_sha256))
      throw new BackupError(
        `The restored table ${plan.table} did not read back as the backup (${restored.records} of ${expected.records} rows, or different values); nothing was changed.`,
      );
    await client.query('COMMIT');
    return plan;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (error instanceof BackupError) throw error;
    const code = (error as { code?: string }).code;
    const schema = target.schema ?? 'public';
    const hint =
      code === '2BP01'
        ? ' Other objects (views, foreign keys) depend on the table; drop or detach them, or restore into another table.'
        : code === '42501'
          ? ` A restore keeps the current rows aside in a new table beside this one, and puts the rows back: the user needs CREATE on the schema besides SELECT, INSERT, DELETE and TRUNCATE on the table (GRANT CREATE ON SCHEMA ${quoteIdent(schema)} TO <user>; GRANT SELECT, INSERT, DELETE, TRUNCATE ON ${qualifiedName(target)} TO <user>), or run it as the table's owner.`
          : '';
    throw new BackupError(`Restoring ${tableLabel(target)} failed: ${(error as Error).message}.${hint} The transaction was rolled back: nothing was changed.`, {
      cause: error,
    });
  }
}

/** The current columns are the backed-up ones (names, types, order): rows go back into the table as it is. */
async function sameColumns(client: PgClient, oid: number, schema: TableSchema): Promise<boolean> {
  const now = await client.query<{ name: string; type: string; generated: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type, attgenerated::text AS generated
       FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [oid],
  );
  return (
    now.rows.length === schema.columns.length &&
    now.rows.every((c, i) => c.name === schema.columns[i]!.name && c.type === schema.columns[i]!.type && c.generated === schema.columns[i]!.generated)
  );
}

/** `<table>_before_restore_<yyyymmddthhmmss>` (lower case: psql needs no quotes for it), cut to PostgreSQL's 63 bytes. */
function asideName(table: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').toLowerCase();
  const suffix = `_before_restore_${stamp}`;
  return `${table.slice(0, 63 - suffix.length)}${suffix}`;
}

/** Inserts the backed-up rows in multi-row statements; each value goes in as text, read by its column type's input. */
async function insertRows(client: PgClient, name: string, schema: TableSchema, rows: AsyncIterable<Array<string | null>>): Promise<void> {
  const indexes: number[] = [];
  schema.columns.forEach((c, i) => {
    if (c.generated !== 's') indexes.push(i);
  });
  const columns = insertableColumns(schema)
    .map((c) => quoteIdent(c.name))
    .join(', ');
  const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / Math.max(1, indexes.length)));
  let values: Array<string | null> = [];
  let count = 0;
  const flush = async (): Promise<void> => {
    if (count === 0) return;
    const tuples: string[] = [];
    for (let r = 0; r < count; r++) tuples.push(`(${indexes.map((_, c) => `$${r * indexes.length + c + 1}`).join(', ')})`);
    await client.query(`INSERT INTO ${name} (${columns}) OVERRIDING SYSTEM VALUE VALUES ${tuples.join(', ')}`, values);
    values = [];
    count = 0;
  };
  for await (const row of rows) {
    for (const i of indexes) values.push(row[i] ?? null);
    if (++count >= perStatement) await flush();
  }
  await flush();
}
