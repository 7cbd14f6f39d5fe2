import type { Logger } from '../core/log.js';
import type { AirtableClient } from './client.js';
import { AirtableApiError } from './errors.js';
import { findRecords, formulaField, formulaString, type ApiRecord } from './list.js';
import { own } from '../core/own.js';

/** Airtable refuses more than 10 records per write. */
export const MAX_BATCH = 10;

export type WriteAction = 'create' | 'update' | 'delete' | 'upsert';

/** One record to write, with Airtable field names. */
export interface WriteItem {
  id?: string;
  fields: Record<string, unknown>;
}

export interface WriteOutcome {
  status: 'applied' | 'failed' | 'skipped';
  id?: string;
  error?: string;
  /** The field Airtable named when it refused the record. */
  field?: string;
  /** For an upsert: whether it created the record (else it updated one). */
  created?: boolean;
}

export interface WriterSettings {
  table: string;
  typecast: boolean;
  /** Airtable field names to upsert on. */
  mergeOn?: string[];
  /** How far back a re-read after an unanswered create looks (Airtable times have second precision). */
  createdWindowMs?: number;
  /** Rounds of "check, then send what is missing" after unanswered creates. */
  maxCreateRounds?: number;
  log?: Logger;
  now?: () => number;
}

/** 422s that concern one record of the batch: splitting the batch finds it, the others are written. */
const RECORD_ERRORS = new Set([
  'INVALID_VALUE_FOR_COLUMN',
  'UNKNOWN_FIELD_NAME',
  'INVALID_MULTIPLE_CHOICE_OPTIONS',
  'ROW_DOES_NOT_EXIST',
  'INVALID_RECORDS',
  'MODEL_ID_NOT_FOUND',
]);

/**
 * Writes batches of at most 10 records: creates (POST), updates (PATCH with the given fields
 * only), upserts (PATCH with performUpsert) and deletes. A batch Airtable refuses because of one
 * record is split until that record is found; the others are written. A create or delete whose
 * answer never came is checked by re-reading before anything is sent again, so a retry never
 * creates a record twice. Errors that concern the whole base (token, quota, outage past the
 * retries) are thrown.
 */
export class AirtableWriter {
  constructor(
    private readonly client: AirtableClient,
    private readonly settings: WriterSettings,
  ) {}

  async write(action: WriteAction, items: WriteItem[]): Promise<WriteOutcome[]> {
    if (items.length === 0) return [];
    if (items.length > MAX_BATCH) throw new Error(`A batch holds at most ${MAX_BATCH} records, not ${items.length}.`);
    try {
      return await this.send(action, items);
    } catch (error) {
      if (!(error instanceof AirtableApiError) || !isRecordError(error)) throw error;
      if (items.length === 1) return [{ status: 'failed', id: items[0]!.id, error: error.message, field: error.field }];
      const half = Math.ceil(items.length / 2);
      return [...(await this.write(action, items.slice(0, half))), ...(await this.write(action, items.slice(half)))];
    }
  }

  private async send(action: WriteAction, items: WriteItem[]): Promise<WriteOutcome[]> {
    const table = this.settings.table;
    const path = `/${encodeURIComponent(table)}`;
    const typecast = this.settings.typecast ? { typecast: true } : {};
    const what = `${action} ${items.length} record${items.length === 1 ? '' : 's'}`;
    switch (action) {
      case 'create':
        return this.createChecked(items);
      case 'update': {
        const body = await this.client.request<{ records: ApiRecord[] }>({
          method: 'PATCH',
          path,
          table,
          action: what,
          idempotent: true,
          body: { records: items.map((i) => ({ id: i.id, fields: i.fields })), ...typecast },
        });
        return items.map((item, n) => ({ status: 'applied', id: body.records?.[n]?.id ?? item.id }));
      }
      case 'upsert': {
        const body = await this.client.request<{ records: ApiRecord[]; createdRecords?: string[] }>({
          method: 'PATCH',
          path,
          table,
          action: what,
          idempotent: true,
          body: { records: items.map((i) => ({ fields: i.fields })), performUpsert: { fieldsToMergeOn: this.settings.mergeOn }, ...typecast },
        });
        const created = new Set(body.createdRecords ?? []);
        return items.map((_, n) => {
          const id = body.records?.[n]?.id;
          return { status: 'applied', id, created: id !== undefined && created.has(id) };
        });
      }
      case 'delete':
        return this.deleteChecked(items);
    }
  }

  /** Creates, and after an unanswered attempt re-reads to send only what did not arrive. */
  private async createChecked(items: WriteItem[]): Promise<WriteOutcome[]> {
    const table = this.settings.table;
    const outcomes: Array<WriteOutcome | undefined> = items.map(() => undefined);
    let pending = items.map((item, index) => ({ item, index }));
    const rounds = this.settings.maxCreateRounds ?? 3;
    for (let round = 0; ; round++) {
      const sentAt = (this.settings.now ?? Date.now)();
      try {
        const body = await this.client.request<{ records: ApiRecord[] }>({
          method: 'POST',
          path: `/${encodeURIComponent(table)}`,
          table,
          idempotent: false,
          action: `create ${pending.length} record${pending.length === 1 ? '' : 's'}`,
          body: { records: pending.map((p) => ({ fields: p.item.fields })), ...(this.settings.typecast ? { typecast: true } : {}) },
        });
        pending.forEach((p, n) => {
          outcomes[p.index] = { status: 'applied', id: body.records?.[n]?.id };
        });
        return outcomes as WriteOutcome[];
      } catch (error) {
        if (!(error instanceof AirtableApiError) || !error.outcomeUnknown || round >= rounds) throw error;
        this.settings.log?.warn('An Airtable create got no clear answer; checking which records arrived before sending again.', {
          table,
          records: pending.length,
          error: error.type,
        });
        await this.client.waitBeforeCheck(round);
        pending = await this.arrived(pending, sentAt, outcomes, error);
        if (pending.length === 0) return outcomes as WriteOutcome[];
      }
    }
  }

  /** Marks the records a lost create did make as applied; returns those still to send. */
  private async arrived<T extends { item: WriteItem; index: number }>(
    pending: T[],
    sentAt: number,
    outcomes: Array<WriteOutcome | undefined>,
    cause: AirtableApiError,
  ): Promise<T[]> {
    const since = new Date(Math.floor((sentAt - (this.settings.createdWindowMs ?? 30_000)) / 1000) * 1000).toISOString();
    const identities = pending.map((p) => identity(p.item.fields));
    if (identities.some((terms) => terms.length === 0)) {
      // Nothing to recognise the record by: sending it again could make a duplicate.
      throw cause;
    }
    const formula = `AND(IS_AFTER(CREATED_TIME(), DATETIME_PARSE(${formulaString(since)})), OR(${identities.map((t) => `AND(${t.join(', ')})`).join(', ')}))`;
    const found = await findRecords(this.client, this.settings.table, formula);
    const taken = new Set<string>();
    const still: T[] = [];
    for (const p of pending) {
      const match = found.find((r) => !taken.has(r.id) && sameFields(p.item.fields, r.fields));
      if (match) {
        taken.add(match.id);
        outcomes[p.index] = { status: 'applied', id: match.id };
      } else {
        still.push(p);
      }
    }
    return still;
  }

  /** Deletes, and after an unanswered attempt deletes only the records still there. */
  private async deleteChecked(items: WriteItem[]): Promise<WriteOutcome[]> {
    const table = this.settings.table;
    let ids = items.map((i) => i.id!);
    for (let round = 0; ; round++) {
      try {
        await this.client.request({
          method: 'DELETE',
          path: `/${encodeURIComponent(table)}`,
          qs: { records: ids },
          table,
          idempotent: false,
          action: `delete ${ids.length} record${ids.length === 1 ? '' : 's'}`,
        });
        return items.map((i) => ({ status: 'applied', id: i.id }));
      } catch (error) {
        if (!(error instanceof AirtableApiError) || !error.outcomeUnknown || round >= (this.settings.maxCreateRounds ?? 3)) throw error;
        await this.client.waitBeforeCheck(round);
        const formula = `OR(${ids.map((id) => `RECORD_ID() = ${formulaString(id)}`).join(', ')})`;
        const left = new Set((await findRecords(this.client, table, formula)).map((r) => r.id));
        ids = ids.filter((id) => left.has(id));
        if (ids.length === 0) return items.map((i) => ({ status: 'applied', id: i.id }));
      }
    }
  }
}

function isRecordError(error: AirtableApiError): boolean {
  return (error.status === 422 || error.status === 404) && RECORD_ERRORS.has(error.type);
}

/** Formula terms that recognise a record by its text and number fields. */
function identity(fields: Record<string, unknown>): string[] {
  const terms: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string' && value !== '') terms.push(`${formulaField(name)} = ${formulaString(value)}`);
    else if (typeof value === 'number' && Number.isFinite(value)) terms.push(`${formulaField(name)} = ${value}`);
  }
  return terms;
}

function sameFields(written: Record<string, unknown>, read: Record<string, unknown>): boolean {
  return Object.entries(written).every(([name, value]) =>
    (typeof value === 'string' || typeof value === 'number') && value !== '' ? own(read, name) === value : true,
  );
}
