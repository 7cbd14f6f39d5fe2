import Database from 'better-sqlite3';
import { AbortedError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { AirtableClient } from './client.js';
import { AirtableApiError } from './errors.js';

/** A record as the list endpoint returns it. */
export interface ApiRecord {
  id: string;
  createdTime?: string;
  fields: Record<string, unknown>;
}

/** What to list. */
export interface ListParams {
  table: string;
  pageSize?: number;
  fields?: string[];
  filterByFormula?: string;
  view?: string;
}

export interface ListSettings {
  /** Where ids already emitted are kept, so a restarted listing emits none twice (a scratch file). */
  seenFile?: string;
  /** Restarts in a row that bring no new record before the listing gives up. */
  maxRestarts?: number;
  signal?: AbortSignal;
  log?: Logger;
}

/** GET URLs longer than this go as POST …/listRecords (Airtable refuses URLs over 16,000 characters). */
const MAX_QUERY_CHARS = 12_000;

/** One page: its records and the offset of the next, if any. */
export async function fetchPage(client: AirtableClient, params: ListParams, offset?: string): Promise<{ records: ApiRecord[]; offset?: string }> {
  const qs: Record<string, unknown> = { pageSize: params.pageSize ?? 100 };
  if (params.fields?.length) qs.fields = params.fields;
  if (params.filterByFormula) qs.filterByFormula = params.filterByFormula;
  if (params.view) qs.view = params.view;
  if (offset) qs.offset = offset;
  const path = `/${encodeURIComponent(params.table)}`;
  const long = JSON.stringify(qs).length > MAX_QUERY_CHARS;
  const body = await client.request<{ records?: ApiRecord[]; offset?: unknown }>(
    long
      ? { method: 'POST', path: `${path}/listRecords`, body: qs, table: params.table, action: 'list records', idempotent: true }
      : { method: 'GET', path, qs, table: params.table, action: 'list records', idempotent: true },
  );
  if (!Array.isArray(body.records)) {
    throw new AirtableApiError({
      status: 200,
      type: 'UNEXPECTED_ERROR',
      message: 'the answer has no records list.',
      site: { baseId: client.baseId, table: params.table, method: 'GET', action: 'list records' },
    });
  }
  return { records: body.records, offset: typeof body.offset === 'string' && body.offset ? body.offset : undefined };
}

/**
 * Lists a table page by page, asking for a page only when the consumer wants the record after
 * the last one it got. When Airtable forgets the listing's offset (its iterator expires after a
 * few idle minutes, or the server restarted) the listing starts again from the first page and
 * skips every record it emitted already, so none is emitted twice.
 */
export async function* listRecords(client: AirtableClient, params: ListParams, settings: ListSettings = {}): AsyncGenerator<ApiRecord> {
  const seen = settings.seenFile ? new SeenIds(settings.seenFile) : undefined;
  let restartsWithoutProgress = 0;
  let restarted = false;
  try {
    for (;;) {
      let offset: string | undefined;
      let progress = false;
      try {
        do {
          if (settings.signal?.aborted) throw new AbortedError();
          const page = await fetchPage(client, params, offset);
          offset = page.offset;
          const fresh = restarted && seen ? page.records.filter((r) => !seen.has(r.id)) : page.records;
          seen?.add(fresh.map((r) => r.id));
          if (fresh.length) progress = true;
          yield* fresh;
        } while (offset);
        return;
      } catch (error) {
        if (!(error instanceof AirtableApiError) || error.type !== 'LIST_RECORDS_ITERATOR_NOT_AVAILABLE' || !seen) throw error;
        restartsWithoutProgress = progress ? 1 : restartsWithoutProgress + 1;
        if (restartsWithoutProgress > (settings.maxRestarts ?? 3)) {
          throw new AirtableApiError({
            status: 422,
            type: error.type,
            site: { baseId: client.baseId, table: params.table, method: 'GET', action: 'list records' },
            message: `the listing expired ${restartsWithoutProgress} times in a row without reaching a new record.`,
            remedy:
              'The pipeline consumes records more slowly than Airtable keeps a listing open (a few minutes per page); speed up the stages after read-airtable.',
          });
        }
        restarted = true;
        settings.log?.warn('Airtable forgot the listing offset; listing again from the first page, skipping records already read.', { table: params.table });
      }
    }
  } finally {
    seen?.close();
  }
}

/** Record ids already emitted, in a scratch SQLite file so memory stays flat on large tables. */
class SeenIds {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly lookup: Database.Statement;
  private readonly addAll: (ids: string[]) => void;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.exec('CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY) WITHOUT ROWID');
    this.insert = this.db.prepare('INSERT OR IGNORE INTO seen (id) VALUES (?)');
    this.lookup = this.db.prepare('SELECT 1 FROM seen WHERE id = ?').pluck();
    this.addAll = this.db.transaction((ids: string[]) => {
      for (const id of ids) this.insert.run(id);
    });
  }

  has(id: string): boolean {
    return this.lookup.get(id) !== undefined;
  }

  add(ids: string[]): void {
    if (ids.length) this.addAll(ids);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** Every record matching a formula (a few pages at most: used to check what a failed write did). */
export async function findRecords(client: AirtableClient, table: string, filterByFormula: string, fields?: string[]): Promise<ApiRecord[]> {
  const found: ApiRecord[] = [];
  let offset: string | undefined;
  do {
    const page = await fetchPage(client, { table, filterByFormula, fields }, offset);
    found.push(...page.records);
    offset = page.offset;
  } while (offset);
  return found;
}

/** A formula string literal. */
export function formulaString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A formula reference to a field by name. */
export function formulaField(name: string): string {
  return `{${name.replace(/}/g, '\\}')}}`;
}
