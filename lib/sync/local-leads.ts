import { ConfigError, StageError } from '../core/errors.js';
import type { LocalMapping } from '../core/field-mapping.js';
import type { Lead } from '../core/record.js';
import { connect, describePgError } from '../postgres/connection.js';
import { buildPgSelect, readPgRecords } from '../postgres/read.js';
import { resolvePgTable } from '../postgres/table.js';
import { openDatabase } from '../sqlite/open.js';
import { buildSelect, readRecords } from '../sqlite/read.js';
import { resolveTable } from '../sqlite/table.js';
import { linkColumn } from './links.js';

/**
 * The local leads as `validate` reads them back after a run, whether the local side is a SQLite
 * file or a PostgreSQL table: all of them, or those whose field holds one of some values (ids,
 * links), a few hundred per query.
 */
export interface LocalLeads {
  /** The table's link column, or null when its links live in the sync state. */
  readonly linkColumn: string | null;
  all(): AsyncIterable<Lead>;
  where(key: string, values: Iterable<string>): AsyncIterable<Lead>;
  close(): Promise<void>;
}

/** Values per SELECT … IN (…): well under SQLite's limit of bound parameters. */
const VALUES_PER_QUERY = 500;

async function* inBatches(values: Iterable<string>, read: (batch: string[]) => AsyncIterable<Lead> | Iterable<Lead>): AsyncGenerator<Lead> {
  let batch: string[] = [];
  for (const value of values) {
    batch.push(value);
    if (batch.length >= VALUES_PER_QUERY) {
      yield* read(batch);
      batch = [];
    }
  }
  if (batch.length) yield* read(batch);
}

/** A SQLite file's leads, on a read-only connection. */
export function sqliteLeads(file: string, mapping: LocalMapping, linkField: string, busyTimeoutMs: number, stage: string): LocalLeads {
  const db = openDatabase(file, { readonly: true, busy_timeout_ms: busyTimeoutMs, who: stage });
  try {
    const map = resolveTable(db, mapping, { stage, file });
    return {
      linkColumn: linkColumn(map, linkField),
      async *all() {
        yield* readRecords(db, map, buildSelect(map, {}, stage));
      },
      where: (key, values) => inBatches(values, (batch) => readRecords(db, map, buildSelect(map, { where: { [key]: batch } }, stage))),
      async close() {
        db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** A PostgreSQL table's leads, on the server LEADS_DATABASE_URL (or DATABASE_URL) names. */
export async function postgresLeads(mapping: LocalMapping, linkField: string, stage: string, baseDir: string): Promise<LocalLeads> {
  const client = await connect({}, stage, baseDir);
  try {
    const map = await resolvePgTable(client, mapping, { stage, target: 'the PostgreSQL table' });
    return {
      linkColumn: (linkField && map.columnOf.get(linkField)) || null,
      all: () => readPgRecords(client, map, buildPgSelect(map, {}, stage), 2000),
      where: (key, values) => inBatches(values, (batch) => readPgRecords(client, map, buildPgSelect(map, { where: { [key]: batch } }, stage), 2000)),
      async close() {
        await client.end().catch(() => undefined);
      },
    };
  } catch (error) {
    await client.end().catch(() => undefined);
    if (error instanceof StageError || error instanceof ConfigError) throw error;
    throw describePgError(error, { who: stage, target: 'the PostgreSQL table', from: 'LEADS_DATABASE_URL' });
  }
}
