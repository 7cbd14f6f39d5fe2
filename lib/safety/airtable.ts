import Airtable from 'airtable';
import { BackupError } from './errors.js';

/**
 * The little of Airtable that backup, restore, resume and rollback need: every record of a table
 * with every field, the table's schema, and create/update/delete in batches of 10, spaced to stay
 * under 5 requests per second per base. Credentials come from the environment only
 * (AIRTABLE_TOKEN, AIRTABLE_BASE_ID, and AIRTABLE_ENDPOINT_URL for the emulator).
 */
export interface AirtableTarget {
  token: string;
  baseId: string;
  /** Omitted for the real Airtable. */
  endpointUrl?: string;
  table: string;
}

/** A record as Airtable lists it. */
export interface AirtableRow {
  id: string;
  createdTime?: string;
  fields: Record<string, unknown>;
}

/** The Airtable target from the environment, or undefined when no base is configured. */
export function airtableFromEnv(table: string, env: NodeJS.ProcessEnv = process.env): AirtableTarget | undefined {
  if (!env.AIRTABLE_BASE_ID && !env.AIRTABLE_TOKEN) return undefined;
  if (!env.AIRTABLE_TOKEN) throw new BackupError('AIRTABLE_BASE_ID is set but AIRTABLE_TOKEN is not: set the token in the environment (or unset both to work on the local database only).');
  if (!env.AIRTABLE_BASE_ID) throw new BackupError('AIRTABLE_TOKEN is set but AIRTABLE_BASE_ID is not: set the base id (app…) in the environment.');
  return { token: env.AIRTABLE_TOKEN, baseId: env.AIRTABLE_BASE_ID, endpointUrl: env.AIRTABLE_ENDPOINT_URL || undefined, table };
}

/** Field types Airtable computes itself; a restore cannot (and need not) write them. */
export const COMPUTED_FIELD_TYPES = new Set([
  'formula', 'rollup', 'lookup', 'multipleLookupValues', 'count', 'createdTime', 'lastModifiedTime',
  'autoNumber', 'createdBy', 'lastModifiedBy', 'button', 'externalSyncSource', 'aiText',
]);

const MIN_SPACING_MS = 210;

/** A table client with requests spaced under the per-base rate limit. */
export class AirtableTable {
  private readonly table: Airtable.Table<Airtable.FieldSet>;
  private next = 0;

  constructor(readonly target: AirtableTarget) {
    const airtable = new Airtable({ apiKey: target.token, endpointUrl: target.endpointUrl, noRetryIfRateLimited: false });
    this.table = airtable.base(target.baseId)(target.table);
  }

  private async turn(): Promise<void> {
    const now = Date.now();
    const wait = Math.max(0, this.next - now);
    this.next = Math.max(now, this.next) + MIN_SPACING_MS;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  /** Every record, page by page (100 per page); the next page is fetched only when asked for. */
  async *records(filterByFormula?: string): AsyncGenerator<AirtableRow> {
    const pages: Array<{ records: readonly Airtable.Record<Airtable.FieldSet>[]; next: () => void } | Error | null> = [];
    let wake: (() => void) | undefined;
    const push = (item: (typeof pages)[number]): void => {
      pages.push(item);
      wake?.();
    };
    await this.turn();
    this.table
      .select({ pageSize: 100, ...(filterByFormula ? { filterByFormula } : {}) })
      .eachPage((records, fetchNextPage) => push({ records, next: () => void this.turn().then(fetchNextPage) }))
      .then(() => push(null), (error: Error) => push(error));
    for (;;) {
      while (pages.length === 0) await new Promise<void>((resolve) => { wake = resolve; });
      wake = undefined;
      const page = pages.shift()!;
      if (page === null) return;
      if (page instanceof Error) throw describeAirtableError(page, this.target);
      for (const record of page.records) yield { id: record.id, createdTime: (record as unknown as { _rawJson?: { createdTime?: string } })._rawJson?.createdTime, fields: { ...record.fields } };
      page.next();
    }
  }

  /** One record, or undefined when it does not exist. */
  async find(id: string): Promise<AirtableRow | undefined> {
    await this.turn();
    try {
      const record = await this.table.find(id);
      return { id: record.id, fields: { ...record.fields } };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw describeAirtableError(error as Error, this.target);
    }
  }

  /** Creates records (10 per request); returns their new ids in order. */
  async create(rows: Array<Record<string, unknown>>): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < rows.length; i += 10) {
      await this.turn();
      const made = await this.table.create(rows.slice(i, i + 10).map((fields) => ({ fields: fields as Airtable.FieldSet })), { typecast: true })
        .catch((error: Error) => { throw describeAirtableError(error, this.target); });
      ids.push(...made.map((r) => r.id));
    }
    return ids;
  }

  /** Sets fields of records (10 per request); a field set to null is cleared. */
  async update(rows: Array<{ id: string; fields: Record<string, unknown> }>): Promise<void> {
    for (let i = 0; i < rows.length; i += 10) {
      await this.turn();
      await this.table.update(rows.slice(i, i + 10).map((r) => ({ id: r.id, fields: r.fields as Airtable.FieldSet })), { typecast: true })
        .catch((error: Error) => { throw describeAirtableError(error, this.target); });
    }
  }

  /** Deletes records (10 per request); ones already gone are ignored. */
  async destroy(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 10) {
      const chunk = ids.slice(i, i + 10);
      await this.turn();
      try {
        await this.table.destroy(chunk);
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode !== 404) throw describeAirtableError(error as Error, this.target);
        // One of them is gone already: delete the others one by one.
        for (const id of chunk) {
          await this.turn();
          await this.table.destroy(id).catch((e: { statusCode?: number }) => { if (e.statusCode !== 404) throw describeAirtableError(e as Error, this.target); });
        }
      }
    }
  }

  /** The table's schema from the metadata API (fields with their types and options). */
  async schema(): Promise<Record<string, unknown>> {
    await this.turn();
    const root = (this.target.endpointUrl ?? 'https://api.airtable.com').replace(/\/$/, '');
    const response = await fetch(`${root}/v0/meta/bases/${encodeURIComponent(this.target.baseId)}/tables`, {
      headers: { authorization: `Bearer ${this.target.token}` },
    });
    if (!response.ok) {
      throw new BackupError(`Airtable's metadata API answered ${response.status} for base ${this.target.baseId}; the token needs the schema.bases:read scope for backups.`);
    }
    const body = (await response.json()) as { tables?: Array<{ name: string; id: string }> };
    const table = body.tables?.find((t) => t.name === this.target.table || t.id === this.target.table);
    if (!table) {
      throw new BackupError(`Airtable base ${this.target.baseId} has no table '${this.target.table}'; it has: ${(body.tables ?? []).map((t) => t.name).join(', ')}. Fix the table option.`);
    }
    return table as unknown as Record<string, unknown>;
  }
}

function describeAirtableError(error: Error, target: AirtableTarget): BackupError {
  const status = (error as { statusCode?: number }).statusCode;
  const detail = (error as { error?: string }).error ?? error.name;
  return new BackupError(`Airtable (base ${target.baseId}, table ${target.table}) failed${status ? ` with ${status}` : ''}: ${detail}: ${error.message}`, { cause: error });
}
