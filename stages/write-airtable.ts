import path from 'node:path';
import { StageError } from '../lib/core/errors.js';
import { loadFieldMapping } from '../lib/core/field-mapping.js';
import { CONNECTION_OPTIONS, connect, type ConnectionOptions } from '../lib/airtable/options.js';
import { checkTable, COMPUTED_TYPES, fetchTable } from '../lib/airtable/schema.js';
import { listRecords } from '../lib/airtable/list.js';
import { AirtableWriter, MAX_BATCH, type WriteAction, type WriteOutcome } from '../lib/airtable/write.js';
import { prepareOperation, type PreparedOp } from '../lib/airtable/prepare.js';
import { isOperation, type Operation } from '../lib/core/operation.js';
import type { Lead } from '../lib/core/record.js';
import { defineStage } from '../lib/core/stage.js';
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
  summary: 'Applies create, update and delete operations to an Airtable table in batches of up to 10 under the rate limit, and passes everything on with the outcome.',
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
      description: 'Canonical fields (1 to 3) that identify a lead: creates become upserts on them, so a lead Airtable already has is updated instead of duplicated.',
      default: [],
      example: ['email'],
    },
    select_values: {
      type: 'object',
      description: 'Values each canonical select field may be given, checked against the options of its Airtable field before any data moves; engagement_status defaults to the valid_values of field_standardization in the config.',
      default: {},
      example: { engagement_status: ['Auto-Send', 'Sent', 'Skipped', 'Needs Review', 'Error'] },
    },
    ...ARCHIVE_OPTIONS,
  },
  check(options) {
    if (options.upsert_fields.length > 3) return [{ path: 'upsert_fields', message: `Airtable upserts on 1 to 3 fields, not ${options.upsert_fields.length}.` }];
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
      journal?.target({ system: 'airtable', base_id: client.baseId, table: table.name, ...(options.field_mapping ? { field_mapping: options.field_mapping } : {}) });
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

    const queues = new Map<WriteAction, PreparedOp[]>(ACTIONS.map((a) => [a, []]));
    const queuedIds = new Set<string>();
    let held: Lead[] = [];
    const counts = { applied: 0, failed: 0, skipped: 0, dry_run: 0 };
    let fatal: string | undefined;

    /**
     * One batch, applied. The journal hooks in here: before sending, `ops` with the values they
     * replace (`op.replaces`); after, each op's `result`.
     */
    async function applyBatch(action: WriteAction, ops: PreparedOp[]): Promise<void> {
      if (ctx.dryRun) {
        ops.forEach((p) => { p.op.result = { status: 'dry_run', ...(p.op.id ? { id: p.op.id } : {}) }; });
        counts.dry_run += ops.length;
        return;
      }
      if (fatal !== undefined) {
        for (const p of ops) settle(p.op, { status: 'failed', id: p.op.id, error: `Not applied: ${fatal}` });
        return;
      }
      let outcomes: WriteOutcome[];
      // Journaled before sending; a batch whose answer never comes stays of unknown outcome, which
      // resume and rollback look up.
      let seqs: number[] | undefined;
      try {
        const before = action === 'delete' && journalOf() ? await currentFields(ops.map((p) => p.op.id!)) : undefined;
        seqs = journalOf()?.intend(ops.map((p) => p.op), before && ((op) => before.get(op.id!)));
        outcomes = await writer.write(action, ops.map((p) => p.item));
      } catch (error) {
        // The base itself failed (token, quota, an outage past the retries): nothing more is sent,
        // every later operation is marked failed and rejected, and the run fails at the end.
        fatal = (error as Error).message;
        ctx.log.error('Writing to Airtable failed; no further operations will be sent.', { table: table.name, error: fatal });
        for (const p of ops) settle(p.op, { status: 'failed', id: p.op.id, error: fatal });
        if (ctx.onError === 'fail') throw fatalError();
        return;
      }
      ops.forEach((p, i) => settle(p.op, outcomes[i]!));
      // An upsert that found its lead updated a record the run did not create: rollback must not delete it.
      if (seqs) journalOf()!.settle(seqs, ops.map((p, i) => (outcomes[i]!.created === false ? { ...p.op.result!, error: UPSERTED_EXISTING } : p.op.result!)));
    }

    /**
     * The records a delete batch is about to remove, every writable field as the base holds it
     * (mapped or not): the journal keeps them, so a rollback recreates each record whole, not only
     * the fields the mapping names. One read request per batch of deletes.
     */
    async function currentFields(ids: string[]): Promise<Map<string, Record<string, unknown>>> {
      const writable = new Set(table.fields.filter((f) => !COMPUTED_TYPES.has(f.type)).map((f) => f.name));
      const found = new Map<string, Record<string, unknown>>();
      const filterByFormula = `OR(${ids.map((id) => `RECORD_ID() = '${id.replace(/[\\']/g, '')}'`).join(', ')})`;
      for await (const record of listRecords(client, { table: table.name, filterByFormula, pageSize: 100 }, { signal: ctx.signal, log: ctx.log })) {
        found.set(record.id, Object.fromEntries(Object.entries(record.fields).filter(([name]) => writable.has(name))));
      }
      return found;
    }

    function fatalError(): StageError {
      return new StageError(ctx.stage, `${fatal} ${counts.failed} operation(s) were not applied; they are in the rejects file with the reason.`);
    }

    function settle(op: Operation, outcome: WriteOutcome): void {
      const id = outcome.id ?? op.id;
      op.result = { status: outcome.status, ...(id ? { id } : {}), ...(outcome.error ? { error: outcome.error } : {}) };
      counts[outcome.status]++;
      if (outcome.status === 'failed') {
        const field = outcome.field ? `, field '${outcome.field}'` : '';
        const which = op.id ?? `(new${op.link ? `, for ${op.link.system} record ${op.link.id}` : ''})`;
        ctx.reject({ reason: 'write_failed', message: `Airtable ${op.action} of record ${which}${field} failed: ${outcome.error}`, record: op as unknown as Lead });
      }
    }

    async function send(action: WriteAction): Promise<void> {
      const ops = queues.get(action)!;
      if (ops.length === 0) return;
      queues.set(action, []);
      for (const p of ops) if (p.op.id) queuedIds.delete(p.op.id);
      await applyBatch(action, ops);
    }

    async function sendAll(): Promise<void> {
      for (const action of ACTIONS) await send(action);
    }

    /** The objects that may go on: everything before the first operation still waiting for its batch. */
    function release(): Lead[] {
      const ready = held.findIndex((item) => isOperation(item) && item.system === 'airtable' && item.result === undefined);
      const out = ready < 0 ? held : held.slice(0, ready);
      held = ready < 0 ? [] : held.slice(ready);
      const failures = out.filter((item) => isOperation(item) && item.system === 'airtable' && item.result?.status === 'failed');
      if (failures.length && ctx.onError === 'fail') {
        // The adapter names the stage and the object at hand; the failed operations are in the rejects file.
        throw new Error(`${failures.length} Airtable operation(s) failed: ${(failures[0] as unknown as Operation).result!.error} Run with on_error: tag to go on past failed records.`);
      }
      return ctx.onError === 'skip' ? out.filter((item) => !failures.includes(item)) : out;
    }

    return {
      async transform(item: Lead) {
        if (!isOperation(item) || item.system !== 'airtable') {
          if (held.length === 0) return item;
          held.push(item);
          if (held.length >= MAX_HELD) await sendAll();
          return release();
        }
        const prepared = prepare(item);
        if (prepared.outcome) {
          settle(item, prepared.outcome);
          held.push(item);
          return release();
        }
        // The same record twice in the queues: the earlier operation goes first.
        if (item.id && queuedIds.has(item.id)) await sendAll();
        if (prepared.action === 'upsert' && queues.get('upsert')!.some((p) => p.key === prepared.key)) await send('upsert');
        queues.get(prepared.action)!.push(prepared);
        if (item.id) queuedIds.add(item.id);
        held.push(item);
        if (queues.get(prepared.action)!.length >= options.batch_size) await send(prepared.action);
        return release();
      },
      // A generator, because the adapter emits what an iterable flush yields (not a promise's value).
      flush: async function* () {
        await sendAll();
        yield* release();
        if (fatal !== undefined) throw fatalError();
        ctx.log.info(ctx.dryRun ? 'Airtable operations checked (dry run).' : 'Airtable operations applied.', {
          table: table.name, ...counts, requests: client.counts.sent, retried: client.counts.retried, rate_limited: client.counts.rateLimited,
        });
      },
    };
  },
});
