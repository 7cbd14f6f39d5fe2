import type { AirtableClient } from '../airtable/client.js';
import { fetchPage, formulaString, type ApiRecord } from '../airtable/list.js';

/** Record ids per request: one page of Airtable's listing holds at most 100 records. */
export const IDS_PER_REQUEST = 100;

/**
 * The Airtable records with the given ids, a hundred per request (`OR(RECORD_ID()=…)`, sent as
 * POST listRecords when the URL would grow too long), through the client's rate limiter. Ids
 * that no longer exist are simply absent from the answer. Yields batch by batch, so a caller can
 * park the records without holding them all.
 */
export async function* fetchByIds(client: AirtableClient, table: string, ids: Iterable<string>, fields?: string[]): AsyncGenerator<ApiRecord> {
  let batch: string[] = [];
  const fetchBatch = async function* (): AsyncGenerator<ApiRecord> {
    const filterByFormula =
      batch.length === 1 ? `RECORD_ID()=${formulaString(batch[0]!)}` : `OR(${batch.map((id) => `RECORD_ID()=${formulaString(id)}`).join(',')})`;
    let offset: string | undefined;
    do {
      const page = await fetchPage(client, { table, pageSize: 100, fields, filterByFormula }, offset);
      yield* page.records;
      offset = page.offset;
    } while (offset);
    batch = [];
  };
  for (const id of ids) {
    batch.push(id);
    if (batch.length >= IDS_PER_REQUEST) yield* fetchBatch();
  }
  if (batch.length) yield* fetchBatch();
}
