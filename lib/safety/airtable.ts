import { AirtableClient } from '../airtable/client.js';
import { AirtableApiError } from '../airtable/errors.js';
import { listRecords } from '../airtable/list.js';
import { limiterFor } from '../airtable/rate-limiter.js';
import { COMPUTED_TYPES, fetchTable } from '../airtable/schema.js';
import { AirtableWriter, MAX_BATCH, type WriteAction, type WriteItem } from '../airtable/write.js';
import { DEFAULT_ENDPOINT } from '../airtable/options.js';
import type { Logger } from '../core/log.js';
import { StageError } from '../core/errors.js';
import { BackupError } from './errors.js';

/**
 * The little of Airtable that backup, restore, resume and rollback need: every record of a table
 * with every field, the table's schema, and create/update/delete in batches of 10. It goes
 * through the project's Airtable client (lib/airtable): the process's one rate limiter per base,
 * retries with backoff, unanswered creates checked before being sent again. Credentials come from
 * the environment only (AIRTABLE_TOKEN, AIRTABLE_BASE_ID, AIRTABLE_ENDPOINT_URL for the emulator).
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

/** Where a stage's base is, when its options say: as read-airtable's `base_id` and `endpoint_url`. */
export interface AirtableConnection {
  base_id?: string;
  endpoint_url?: string;
}

/**
 * The Airtable target of a table, found as the other Airtable stages find theirs: the base and
 * endpoint from `given` (the stage's options), else AIRTABLE_BASE_ID and AIRTABLE_ENDPOINT_URL;
 * the token from AIRTABLE_TOKEN only. Undefined when neither a base nor a token is configured.
 */
export function airtableTarget(table: string, given: AirtableConnection = {}, env: NodeJS.ProcessEnv = process.env): AirtableTarget | undefined {
  const token = env.AIRTABLE_TOKEN?.trim();
  const baseId = (given.base_id ?? env.AIRTABLE_BASE_ID ?? '').trim();
  const endpointUrl = (given.endpoint_url ?? env.AIRTABLE_ENDPOINT_URL ?? '').trim();
  if (!baseId && !token) return undefined;
  if (!token)
    throw new BackupError(
      `The Airtable base ${baseId} is configured but AIRTABLE_TOKEN is not set: set the token in the environment (or configure no base to work on the local database only).`,
    );
  if (!baseId)
    throw new BackupError(
      "AIRTABLE_TOKEN is set but no Airtable base is configured: set AIRTABLE_BASE_ID (app…) in the environment, or give base_id to the pipeline's Airtable steps.",
    );
  return { token, baseId, endpointUrl: endpointUrl || undefined, table };
}

/** Field types Airtable computes itself; a restore cannot (and need not) write them. */
export const COMPUTED_FIELD_TYPES = COMPUTED_TYPES;

/** How patient the client is; the stage options of read-airtable and write-airtable have the same defaults. */
export interface AirtableSettings {
  requestsPerSecond?: number;
  penaltyMs?: number;
  requestTimeoutMs?: number;
  maxRetries?: number;
  retryDelayMs?: number;
  log?: Logger;
  signal?: AbortSignal;
  /** Who is asking, for error messages: `backup` (default), `restore`, `resume` or `rollback`. */
  stage?: string;
}

/** One table, reached through the shared client. */
export class AirtableTable {
  private readonly client: AirtableClient;
  private readonly writer: AirtableWriter;
  private readonly release: () => void;
  private readonly stage: string;

  constructor(
    readonly target: AirtableTarget,
    settings: AirtableSettings = {},
  ) {
    this.stage = settings.stage ?? 'backup';
    const endpointUrl = (target.endpointUrl ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
    const handle = limiterFor(`${endpointUrl}|${target.baseId}`, {
      requestsPerSecond: settings.requestsPerSecond ?? 5,
      penaltyMs: settings.penaltyMs ?? 30_000,
    });
    this.release = handle.release;
    this.client = new AirtableClient({
      token: target.token,
      baseId: target.baseId,
      endpointUrl,
      requestTimeoutMs: settings.requestTimeoutMs ?? 30_000,
      maxRetries: settings.maxRetries ?? 3,
      retryDelayMs: settings.retryDelayMs ?? 2000,
      limiter: handle.limiter,
      log: settings.log,
      signal: settings.signal,
    });
    this.writer = new AirtableWriter(this.client, { table: target.table, typecast: true, log: settings.log });
  }

  /** Lets other runs of this process set the base's rate again. */
  close(): void {
    this.release();
  }

  /** Every record (100 per page), a page fetched only when the consumer wants more. */
  async *records(filterByFormula?: string): AsyncGenerator<AirtableRow> {
    try {
      yield* listRecords(this.client, { table: this.target.table, ...(filterByFormula ? { filterByFormula } : {}) });
    } catch (error) {
      throw describe(error, this.target, this.stage);
    }
  }

  /** One record, or undefined when it does not exist. */
  async find(id: string): Promise<AirtableRow | undefined> {
    try {
      return await this.client.request<AirtableRow>({
        method: 'GET',
        path: `/${encodeURIComponent(this.target.table)}/${encodeURIComponent(id)}`,
        table: this.target.table,
        action: 'read a record',
        idempotent: true,
      });
    } catch (error) {
      if (error instanceof AirtableApiError && error.status === 404) return undefined;
      throw describe(error, this.target, this.stage);
    }
  }

  private async write(action: WriteAction, items: WriteItem[]): Promise<Array<string | undefined>> {
    const ids: Array<string | undefined> = [];
    for (let i = 0; i < items.length; i += MAX_BATCH) {
      let outcomes;
      try {
        outcomes = await this.writer.write(action, items.slice(i, i + MAX_BATCH));
      } catch (error) {
        throw describe(error, this.target, this.stage);
      }
      for (const outcome of outcomes) {
        // A record already gone is what a delete wanted.
        if (outcome.status === 'failed' && !(action === 'delete' && /ROW_DOES_NOT_EXIST|not.*exist|NOT_FOUND/i.test(outcome.error ?? ''))) {
          throw failure(
            this.stage,
            `Airtable (base ${this.target.baseId}, table ${this.target.table}) refused to ${action} record ${outcome.id ?? '(new)'}: ${outcome.error}`,
          );
        }
        ids.push(outcome.id);
      }
    }
    return ids;
  }

  /** Creates records (10 per request); returns their new ids in order. */
  async create(rows: Array<Record<string, unknown>>): Promise<string[]> {
    return (await this.write(
      'create',
      rows.map((fields) => ({ fields })),
    )) as string[];
  }

  /** Sets fields of records (10 per request); a field set to null is cleared. */
  async update(rows: Array<{ id: string; fields: Record<string, unknown> }>): Promise<void> {
    await this.write('update', rows);
  }

  /** Deletes records (10 per request); ones already gone are ignored. */
  async destroy(ids: string[]): Promise<void> {
    await this.write(
      'delete',
      ids.map((id) => ({ id, fields: {} })),
    );
  }

  /** The table's schema from the metadata API (fields with their types and options). */
  async schema(): Promise<Record<string, unknown>> {
    try {
      return (await fetchTable(this.client, this.target.table)) as unknown as Record<string, unknown>;
    } catch (error) {
      throw describe(error, this.target, this.stage);
    }
  }
}

function describe(error: unknown, target: AirtableTarget, stage: string): Error {
  if (error instanceof StageError) return error;
  return failure(stage, `Airtable (base ${target.baseId}, table ${target.table}) failed: ${(error as Error).message}`, error);
}

/** The error of a step: a BackupError for the backup, else one naming the step that failed. */
function failure(stage: string, message: string, cause?: unknown): StageError {
  return stage === 'backup' ? new BackupError(message, { cause }) : new StageError(stage, message, { cause });
}
