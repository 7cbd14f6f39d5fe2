import fs from 'node:fs';
import { AirtableClient } from '../../airtable/client.js';
import { fetchPage } from '../../airtable/list.js';
import { DEFAULT_ENDPOINT } from '../../airtable/options.js';
import { limiterFor } from '../../airtable/rate-limiter.js';
import { fetchTables, type AirtableTable } from '../../airtable/schema.js';
import { ConfigError } from '../../core/errors.js';
import { openDatabase, type Db } from '../../sqlite/open.js';
import { quoteIdent, tableColumns } from '../../sqlite/table.js';

/** How many local rows `--init` looks at: enough to see the shape of a sparse column, cheap on any table. */
const SAMPLE_SIZE = 500;
/** How many Airtable records it looks at: one page, one request. */
const AIRTABLE_PAGE = 100;

/** A local column or an Airtable field, with a sample of its values. */
export interface SourceColumn {
  name: string;
  /** SQLite's declared type, or Airtable's field type. */
  type: string;
  /** The table's primary key (SQLite only). */
  pk?: boolean;
  /** The options of an Airtable select field. */
  choices?: string[];
  /** Values of the sample, NULLs and empties included. */
  values: unknown[];
}

export interface LocalTable {
  file: string;
  table: string;
  rows: number;
  /** Rows in the sample (the first ones). */
  sampled: number;
  columns: SourceColumn[];
}

export interface RemoteTable {
  baseId: string;
  table: string;
  /** Records in the sample (one page). */
  sampled: number;
  columns: SourceColumn[];
}

/** The tables of a lead database, leaving out SQLite's own and the tool's migration bookkeeping. */
export function localTables(db: Db): string[] {
  return db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name`)
    .pluck()
    .all() as string[];
}

/** Opens the database read-only; a missing file says which variable pointed at it. */
export function openLocal(file: string): Db {
  if (!fs.existsSync(file)) throw new ConfigError([{ message: `The database ${file} does not exist. Set LEADS_DB to your SQLite lead database.` }]);
  return openDatabase(file, { readonly: true, who: 'init' });
}

/** A table's columns and the first rows of it. */
export function inspectLocal(db: Db, file: string, table: string): LocalTable {
  const columns = tableColumns(db, table);
  const rows = db.prepare(`SELECT * FROM ${quoteIdent(table)} LIMIT ${SAMPLE_SIZE}`).all() as Array<Record<string, unknown>>;
  const count = db
    .prepare(`SELECT COUNT(*) FROM ${quoteIdent(table)}`)
    .pluck()
    .get() as number;
  return {
    file,
    table,
    rows: count,
    sampled: rows.length,
    columns: columns.map((c) => ({ name: c.name, type: c.type, pk: c.pk, values: rows.map((r) => r[c.name]) })),
  };
}

/** Where the base is: the same variables every other command reads. */
export interface AirtableAccess {
  token: string;
  baseId: string;
  endpointUrl?: string;
}

/** A client for the base through the process's one rate limiter, as the stages use. */
export function connectBase(access: AirtableAccess, signal?: AbortSignal): { client: AirtableClient; close(): void } {
  const endpointUrl = (access.endpointUrl || DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const handle = limiterFor(`${endpointUrl}|${access.baseId}`, { requestsPerSecond: 5, penaltyMs: 30_000 });
  const client = new AirtableClient({
    token: access.token,
    baseId: access.baseId,
    endpointUrl,
    requestTimeoutMs: 30_000,
    maxRetries: 3,
    retryDelayMs: 2000,
    limiter: handle.limiter,
    signal,
  });
  return { client, close: handle.release };
}

/** The base's tables, from the metadata API. */
export function remoteTables(client: AirtableClient): Promise<AirtableTable[]> {
  return fetchTables(client);
}

/** A table's fields (their types and select options) and the values of its first page of records. */
export async function inspectRemote(client: AirtableClient, table: AirtableTable): Promise<RemoteTable> {
  const page = await fetchPage(client, { table: table.id, pageSize: AIRTABLE_PAGE });
  return {
    baseId: client.baseId,
    table: table.name,
    sampled: page.records.length,
    columns: table.fields.map((f) => ({
      name: f.name,
      type: f.type,
      ...(f.options?.choices ? { choices: f.options.choices.map((c) => c.name) } : {}),
      values: page.records.map((r) => r.fields[f.name]),
    })),
  };
}
