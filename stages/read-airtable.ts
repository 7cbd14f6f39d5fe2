import path from 'node:path';
import { StageError } from '../lib/core/errors.js';
import { loadFieldMapping } from '../lib/core/field-mapping.js';
import { listRecords, formulaField, formulaString, type ApiRecord } from '../lib/airtable/list.js';
import { CONNECTION_OPTIONS, connect, type ConnectionOptions } from '../lib/airtable/options.js';
import { checkTable, defaultModifiedField, fetchTable } from '../lib/airtable/schema.js';
import type { Lead } from '../lib/core/record.js';
import { defineStage, type OptionProblem, type StageContext } from '../lib/core/stage.js';
import { READ_MODES, type ReadModes } from '../lib/sync/read-modes.js';
import { fetchByIds } from '../lib/sync/fetch.js';
import { incrementalPlan, IncrementalRead, INCREMENTAL_OPTIONS } from '../lib/sync/incremental.js';
import { ARCHIVE_OPTIONS, archiveOf, isArchived, type ArchiveOptions } from '../lib/airtable/archive.js';
import { own, setOwn } from '../lib/core/own.js';

export interface ReadAirtableOptions extends ConnectionOptions, ArchiveOptions {
  modified_field?: string;
  modified_since?: string;
  overlap_seconds: number;
  view?: string;
  filter_by_formula?: string;
  page_size: number;
  incremental: boolean;
  state_file?: string;
  full_scan_every_hours: number;
  link_field: string;
}

/**
 * Reads the lead table of an Airtable base, page by page, asking for the next page only when the
 * pipeline wants more. The table's schema is checked against the field mapping first, so a
 * misnamed field stops the run before any data moves. Records carry the mapped fields under their
 * canonical names (a field Airtable left empty is null) and `_meta` with source `airtable`, the
 * record id, created and last-modified times and the values as read.
 */
export default defineStage<ReadAirtableOptions>({
  name: 'read-airtable',
  kind: 'source',
  summary: 'Reads leads from an Airtable table as records, page by page under the rate limit, with their id and modified time in _meta.',
  options: {
    ...CONNECTION_OPTIONS,
    modified_field: {
      type: 'string',
      description: "The table's last-modified-time field, read into _meta.modified_at; the table's first last-modified-time field when not given.",
      example: 'Last Modified',
    },
    modified_since: {
      type: 'string',
      description: 'Only records modified after this ISO 8601 time (minus overlap_seconds), for incremental runs. Deletions are not seen this way.',
      example: '2026-01-31T00:00:00Z',
    },
    overlap_seconds: {
      type: 'integer',
      description: 'How far before modified_since the incremental read starts, because Airtable keeps times to the second and clocks differ.',
      default: 60,
      min: 0,
      example: 300,
    },
    view: {
      type: 'string',
      description: 'Only the records of this view (name or viw… id).',
      example: 'Grid view',
    },
    filter_by_formula: {
      type: 'string',
      description: 'Only the records for which this Airtable formula is true.',
      example: "{Engagement_Status} != 'Skipped'",
    },
    page_size: {
      type: 'integer',
      description: 'Records per request (Airtable sends at most 100).',
      default: 100,
      min: 1,
      max: 100,
      example: 100,
    },
    ...INCREMENTAL_OPTIONS,
    ...ARCHIVE_OPTIONS,
  },
  check(options): OptionProblem[] {
    if (options.modified_since !== undefined && Number.isNaN(Date.parse(options.modified_since))) {
      return [{ path: 'modified_since', message: `'${options.modified_since}' is not a time; give an ISO 8601 time such as 2026-01-31T00:00:00Z.` }];
    }
    return [];
  },
  async create(options, ctx) {
    const mapping = loadFieldMapping(options.field_mapping);
    const client = connect(options, ctx);
    const table = await fetchTable(client, options.table);
    const modifiedField = options.modified_field ?? defaultModifiedField(table);
    checkTable(table, { mapping, writing: false, modifiedField: options.modified_field });

    const toCanonical = Object.entries(mapping.airtable_to_database).filter(([name]) => table.fields.some((f) => f.name === name));
    // Archived records (delete_mode: archive) were removed by an earlier run: never read again.
    const archive = archiveOf(options, table, ctx.stage);
    const fields = [...toCanonical.map(([name]) => name), ...(modifiedField ? [modifiedField] : []), ...(archive ? [archive.field] : [])];
    let archived = 0;
    const incremental = incrementalPlan(options, ctx);
    const modifiedSince = options.modified_since ?? incremental?.watermark;
    const filterByFormula = filterFormula(options, modifiedField, modifiedSince);
    const toLead = (record: ApiRecord): Lead => leadOf(record, toCanonical, modifiedField);
    if (modifiedSince) {
      markPartialRead(ctx, async function* (ids) {
        for await (const record of fetchByIds(client, table.name, ids, fields)) if (!isArchived(record.fields, archive)) yield toLead(record);
      });
    }

    const read = async function* (): AsyncGenerator<Lead> {
      let count = 0;
      try {
        const records = listRecords(
          client,
          { table: table.name, pageSize: options.page_size, fields, filterByFormula, view: options.view },
          {
            seenFile: path.join(ctx.scratchDir(), `read-airtable-${ctx.step}.db`),
            maxRestarts: Math.max(3, options.max_retries),
            signal: ctx.signal,
            log: ctx.log,
          },
        );
        for await (const record of records) {
          if (isArchived(record.fields, archive)) {
            archived++;
            continue;
          }
          count++;
          yield toLead(record);
        }
        if (archived) ctx.log.info('Archived Airtable records left out.', { table: table.name, archived });
      } catch (error) {
        throw error instanceof StageError ? error : new StageError(ctx.stage, (error as Error).message, { cause: error });
      }
      ctx.log.info(modifiedSince ? 'Airtable records changed since the last run read.' : 'Airtable table read.', {
        table: table.name,
        records: count,
        requests: client.counts.sent,
        retried: client.counts.retried,
        rate_limited: client.counts.rateLimited,
      });
    };
    if (!incremental || ctx.step === 0) return read();
    // Placed after the local reader: the Airtable counterparts of local leads changed since the
    // last run are fetched by id too, so diff can compare them.
    const counterparts = new IncrementalRead(
      path.join(ctx.scratchDir(), `read-airtable-${ctx.step}-links.db`),
      incremental.watermark,
      options.overlap_seconds,
      options.link_field,
    );
    ctx.onClose(() => counterparts.close());
    return {
      transform(record: Lead) {
        counterparts.notice(record);
        return record;
      },
      flush: async function* () {
        for await (const lead of read()) {
          counterparts.sent(String(lead._meta?.id));
          yield lead;
        }
        yield* counterpartLeads(counterparts, { client, table: table.name, fields, archive, toLead, log: ctx.log });
      },
    };
  },
});

/**
 * Tells diff that this read holds only the records changed since the last run: a lead missing
 * from it was not read rather than deleted, and diff may fetch (by id) the records of linked
 * leads a stage changed that this read left out.
 */
function markPartialRead(ctx: StageContext, fetchAirtable: NonNullable<ReadModes['fetchAirtable']>): void {
  const readModes = ctx.shared<ReadModes>(READ_MODES, () => ({ airtable: 'full' }));
  readModes.airtable = 'partial';
  readModes.fetchAirtable = fetchAirtable;
}

/** The formula that selects the records to read: the configured filter, and those changed since `modifiedSince` (less the overlap). */
function filterFormula(options: ReadAirtableOptions, modifiedField: string | undefined, modifiedSince: string | undefined): string | undefined {
  const filters: string[] = [];
  if (options.filter_by_formula) filters.push(options.filter_by_formula);
  if (modifiedSince) {
    const from = new Date(Date.parse(modifiedSince) - options.overlap_seconds * 1000).toISOString();
    const changed = modifiedField ? formulaField(modifiedField) : 'LAST_MODIFIED_TIME()';
    filters.push(`IS_AFTER(${changed}, DATETIME_PARSE(${formulaString(from)}))`);
  }
  return filters.length > 1 ? `AND(${filters.map((f) => `(${f})`).join(', ')})` : filters[0];
}

/** An Airtable record as a lead: its mapped fields under their canonical names, where it came from in `_meta`. */
function leadOf(record: ApiRecord, toCanonical: Array<[string, string]>, modifiedField: string | undefined): Lead {
  const lead: Lead = {};
  for (const [name, canonical] of toCanonical) setOwn(lead, canonical, own(record.fields, name) ?? null);
  const modified = modifiedField ? record.fields[modifiedField] : undefined;
  lead._meta = {
    source: 'airtable',
    id: record.id,
    ...(record.createdTime ? { created_at: record.createdTime } : {}),
    ...(typeof modified === 'string' ? { modified_at: modified } : {}),
    original: Object.fromEntries(toCanonical.map(([, canonical]) => [canonical, lead[canonical]])),
  };
  return lead;
}

/** The Airtable counterparts (fetched by id) of the local leads changed since the last run, as leads; archived ones left out. */
async function* counterpartLeads(
  counterparts: IncrementalRead,
  read: {
    client: ReturnType<typeof connect>;
    table: string;
    fields: string[];
    archive: ReturnType<typeof archiveOf>;
    toLead: (record: ApiRecord) => Lead;
    log: StageContext['log'];
  },
): AsyncGenerator<Lead> {
  let count = 0;
  const requestsBefore = read.client.counts.sent;
  for await (const record of counterparts.fetch(read.client, read.table, read.fields)) {
    if (isArchived(record.fields, read.archive)) continue;
    count++;
    yield read.toLead(record);
  }
  read.log.info('Airtable counterparts of local leads changed since the last run read.', {
    table: read.table,
    records: count,
    requests: read.client.counts.sent - requestsBefore,
  });
}
