import path from 'node:path';
import { loadFieldMapping } from '../lib/core/field-mapping.js';
import type { AirtableClient } from '../lib/airtable/client.js';

import { CONNECTION_OPTIONS, connect, type ConnectionOptions } from '../lib/airtable/options.js';
import { checkTable, COMPUTED_TYPES, fetchTable, type AirtableTable } from '../lib/airtable/schema.js';
import { listRecords } from '../lib/airtable/list.js';
import { AirtableWriter, MAX_BATCH, type WriteAction, type WriteOutcome } from '../lib/airtable/write.js';
import { prepareOperation, type PreparedOp } from '../lib/airtable/prepare.js';
import { isOperation, type Operation } from '../lib/core/operation.js';
import type { StreamItem } from '../lib/core/types.js';
import { createBatchWriter, type BatchTarget, type Outcome } from '../lib/core/writer.js';
import { defineStage, type StageContext } from '../lib/core/stage.js';
import { UPSERTED_EXISTING, type RunJournal } from '../lib/core/journal.js';
import { ARCHIVE_OPTIONS, archiveInstead, archiveOf, type ArchiveOptions } from '../lib/airtable/archive.js';

export interface WriteAirtableOptions extends ConnectionOptions, ArchiveOptions {
  batch_size: number;
  typecast: boolean;
  upsert_fields: string[];
  select_values: Record<string, string[]>;
}

/** Passed-through objects held behind unfinished batches before every batch is sent anyway. */
const MAX_HELD = 100;
const ACTIONS: WriteAction[] = ['create', 'upsert', 'update', 'delete'];

/**
 * Applies the operations for `system: airtable` in batches of at most 10 per request: creates,
 * updates of the changed fields only, deletes, and upserts on `upsert_fields` when given. Every
 * object is passed on in order, each operation once it was applied, with `result` set (a
 * create's `result.id` is the new record, which `write-sqlite` placed after this stage stores as
 * the local `airtable_id`). The next object is taken only when the request is done, so a slow
 * Airtable slows the pipeline instead of filling memory. Dry run sends no write request.
 */
export default defineStage<WriteAirtableOptions>({
  name: 'write-airtable',
  kind: 'sink',
  summary:
    'Applies create, update and delete operations to an Airtable table in batches of up to 10 under the rate limit, and passes everything on with the outcome.',
  options: {
    ...CONNECTION_OPTIONS,
    batch_size: {
      type: 'integer',
      description: 'Records per write request (Airtable accepts at most 10).',
      default: MAX_BATCH,
      min: 1,
      max: MAX_BATCH,
      example: 10,
    },
    typecast: {
      type: 'boolean',
      description: 'Let Airtable convert values and create missing select options (off: unknown options are refused before sending).',
      default: false,
      example: true,
    },
    upsert_fields: {
      type: 'string[]',
      description:
        'Canonical fields (1 to 3) that identify a lead: creates become upserts on them, so a lead Airtable already has is updated instead of duplicated.',
      default: [],
      example: ['email'],
    },
    select_values: {
      type: 'object',
      description:
        'Values each canonical select field may be given, checked against the options of its Airtable field before any data moves; engagement_status defaults to the valid_values of field_standardization in the config.',
      default: {},
      example: { engagement_status: ['Auto-Send', 'Sent', 'Skipped', 'Needs Review', 'Error'] },
    },
    ...ARCHIVE_OPTIONS,
  },
  check(options) {
    if (options.upsert_fields.length > 3)
      return [{ path: 'upsert_fields', message: `Airtable upserts on 1 to 3 fields, not ${options.upsert_fields.length}.` }];
    return [];
  },
  async create(options, ctx) {
    const mapping = loadFieldMapping(options.field_mapping);
    const client = connect(options, ctx);
    const table = await fetchTable(client, options.table);
    const statuses = (ctx.config.field_standardization as { engagement_status?: { valid_values?: unknown } } | undefined)?.engagement_status?.valid_values;
    const selectValues = { ...(Array.isArray(statuses) ? { engagement_status: statuses.map(String) } : {}), ...options.select_values };
    checkTable(table, { mapping, writing: true, upsertFields: options.upsert_fields, selectValues, typecast: options.typecast });
    const mergeOn = options.upsert_fields.map((f) => mapping.database_to_airtable[f]!);
    const archive = archiveOf(options, table, ctx.stage);
    // The run journal, opened at the first write: by then write-sqlite, set up with the other
    // stages, has opened it beside the database; a run that writes only Airtable keeps it in the
    // working directory.
    let journal: RunJournal | undefined | null = null;
    const journalOf = (): RunJournal | undefined => {
      if (journal !== null) return journal;
      journal = ctx.journal?.(path.join(process.cwd(), 'airtable'));
      journal?.target({
        system: 'airtable',
        base_id: client.baseId,
        table: table.name,
        ...(options.field_mapping ? { field_mapping: options.field_mapping } : {}),
      });
      return journal;
    };
    const writer = new AirtableWriter(client, { table: table.name, typecast: options.typecast, mergeOn, maxCreateRounds: options.max_retries, log: ctx.log });
    const prepare = (op: Operation): PreparedOp => {
      // delete_mode: archive. In a dry run too, so the plan counts what the live run does.
      if (archive && op.action === 'delete' && op.id) {
        archiveInstead(op, archive);
        return { op, action: 'update', item: { id: op.id, fields: { ...op.fields } } };
      }
      return prepareOperation(op, { table, mapping, typecast: options.typecast, mergeOn });
    };

    const core = createBatchWriter(ctx, airtableBatches({ ctx, client, table, writer, prepare, journalOf, batchSize: options.batch_size }));

    return {
      transform: async (item: StreamItem) => core.transform(item),
      // A generator, because the adapter emits what an iterable flush yields (not a promise's value).
      flush: async function* () {
        yield* await core.end();
        core.throwIfStopped();
        ctx.log.info(ctx.dryRun ? 'Airtable operations checked (dry run).' : 'Airtable operations applied.', {
          table: table.name,
          ...core.counts,
          requests: client.counts.sent,
          retried: client.counts.retried,
          rate_limited: client.counts.rateLimited,
        });
      },
    };
  },
});

interface Setup {
  ctx: StageContext;
  client: AirtableClient;
  table: AirtableTable;
  writer: AirtableWriter;
  prepare(op: Operation): PreparedOp;
  journalOf(): RunJournal | undefined;
  batchSize: number;
}

/**
 * How write-airtable applies its batches on the writer skeleton. Operations are sent in batches
 * of one kind (create, upsert, update, delete); objects passing through wait behind unsent
 * operations, up to MAX_HELD of them, so order is kept and memory stays flat. A failure of the
 * base itself (token, quota, an outage past the retries) ends the sending: every later operation
 * is marked failed and rejected, and the run fails at the end.
 */
function airtableBatches({ ctx, client, table, writer, prepare, journalOf, batchSize }: Setup): BatchTarget<PreparedOp> {
  return {
    owns: (item): item is Operation => isOperation(item) && item.system === 'airtable',
    lanes: ACTIONS,
    batchSize,
    maxHeld: MAX_HELD,
    heldLimitAfter: 'passing objects',
    counts: { applied: 0, failed: 0, skipped: 0, dry_run: 0 },
    route(op) {
      const prepared = prepare(op);
      return prepared.outcome ? { outcome: outcomeOf(op, prepared.outcome) } : { lane: prepared.action, send: prepared };
    },
    opOf: (p) => p.op,
    // The same record twice in the batches: the earlier operation goes first; an upsert batch never holds one lead twice.
    sendFirst(p, queued) {
      if (p.op.id && queued.hasRecord(p.op.id)) return 'all';
      if (p.action === 'upsert' && queued.lane('upsert').some((q) => q.key === p.key)) return 'upsert';
      return undefined;
    },
    check: (_action, batch) => batch.map((p) => ({ result: { status: 'dry_run', ...(p.op.id ? { id: p.op.id } : {}) } })),
    apply: (action, batch) => send(writer, action as WriteAction, batch),
    journal: {
      open: journalOf,
      mode: 'before sending',
      async replaced(action, batch) {
        if (action !== 'delete') return undefined;
        const before = await currentFields(
          ctx,
          client,
          table,
          batch.map((p) => p.op.id!),
        );
        return (op) => before.get(op.id!);
      },
    },
    messages: {
      failed: (op, error) => outcomeOf(op, { status: 'failed', id: op.id, error }).result,
      failure(op, { result, field }) {
        const which = op.id ?? `(new${op.link ? `, for ${op.link.system} record ${op.link.id}` : ''})`;
        return `Airtable ${op.action} of record ${which}${field ? `, field '${field}'` : ''} failed: ${result.error}`;
      },
      // The adapter names the stage and the object at hand; the failed operations are in the rejects file.
      failures: (failed) =>
        new Error(`${failed.length} Airtable operation(s) failed: ${failed[0]!.result!.error} Run with on_error: tag to go on past failed records.`),
      stopped(fatal) {
        ctx.log.error('Writing to Airtable failed; no further operations will be sent.', { table: table.name, error: fatal });
        return fatal;
      },
    },
  };
}

/** One batch, sent: each operation's outcome, with what the journal notes of an upsert that found its lead (rollback must not delete it). */
async function send(writer: AirtableWriter, action: WriteAction, batch: PreparedOp[]): Promise<Outcome[]> {
  const outcomes = await writer.write(
    action,
    batch.map((p) => p.item),
  );
  return batch.map((p, i) => {
    const outcome = outcomeOf(p.op, outcomes[i]!);
    return outcomes[i]!.created === false ? { ...outcome, journaled: { ...outcome.result, error: UPSERTED_EXISTING } } : outcome;
  });
}

/**
 * The records a delete batch is about to remove, every writable field as the base holds it
 * (mapped or not): the journal keeps them, so a rollback recreates each record whole, not only
 * the fields the mapping names. One read request per batch of deletes.
 */
async function currentFields(ctx: StageContext, client: AirtableClient, table: AirtableTable, ids: string[]): Promise<Map<string, Record<string, unknown>>> {
  const writable = new Set(table.fields.filter((f) => !COMPUTED_TYPES.has(f.type)).map((f) => f.name));
  const found = new Map<string, Record<string, unknown>>();
  const filterByFormula = `OR(${ids.map((id) => `RECORD_ID() = '${id.replace(/[\\']/g, '')}'`).join(', ')})`;
  for await (const record of listRecords(client, { table: table.name, filterByFormula, pageSize: 100 }, { signal: ctx.signal, log: ctx.log })) {
    found.set(record.id, Object.fromEntries(Object.entries(record.fields).filter(([name]) => writable.has(name))));
  }
  return found;
}

/** The result an outcome of the Airtable writer sets on its operation (a create's id is the new record's). */
function outcomeOf(op: Operation, outcome: WriteOutcome): Outcome {
  const id = outcome.id ?? op.id;
  return { result: { status: outcome.status, ...(id ? { id } : {}), ...(outcome.error ? { error: outcome.error } : {}) }, field: outcome.field };
}
