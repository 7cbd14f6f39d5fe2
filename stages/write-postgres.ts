import path from 'node:path';
import { defineStage, type RecordOutput, type StageContext } from '../lib/core/stage.js';
import { StageError, StageSetupError } from '../lib/core/errors.js';
import { isOperation, type Operation } from '../lib/core/operation.js';
import { linkFor, localWriterMessages } from '../lib/core/local-writes.js';
import { createBatchWriter, type BatchTarget, type Outcome, type WriteResult } from '../lib/core/writer.js';
import type { RunJournal } from '../lib/core/journal.js';
import type { DataConflict, StreamItem } from '../lib/core/types.js';
import { concurrentConflicts, isConcurrentChange, rowsNow } from '../lib/postgres/conflict.js';
import { clientConfig, connect, describePgError, type PgClient, withoutPassword } from '../lib/postgres/connection.js';
import { PG_TABLE_OPTIONS, pgLocalMapping, type PgTableOptions } from '../lib/postgres/options.js';
import { formatTableName, resolvePgTable, type PgTableMap } from '../lib/postgres/table.js';
import { PgWriter } from '../lib/postgres/write.js';
import { LINK_FIELD_OPTION, LINK_STORAGE, type LinkStorage } from '../lib/sync/links.js';

export interface WritePostgresOptions extends PgTableOptions {
  batch_size: number;
  link_field: string;
  retries: number;
}

/** What a dry run's planned link update sets: the id Airtable will give the record it creates. */

/**
 * Applies the operations for `system: local` (create, update of the changed fields only, delete)
 * to a PostgreSQL table, in transactions of `batch_size`, setting the modified column on every
 * write, as write-sqlite does to a SQLite table: every object is passed on in order, operations
 * with `result`; a failed operation is rejected with the reason and the rest of its batch
 * applied; each batch is journaled inside its transaction before it commits. A connection lost
 * mid-batch rolls the batch back on the server; it is applied again on a new connection (up to
 * `retries` times). Dry run checks every operation on a read-only session and applies none.
 */
export default defineStage<WritePostgresOptions>({
  name: 'write-postgres',
  kind: 'sink',
  summary: 'Applies create, update and delete operations to a PostgreSQL table in transactions, and passes everything on with the outcome.',
  options: {
    ...PG_TABLE_OPTIONS,
    batch_size: {
      type: 'integer',
      description: 'Operations per transaction.',
      default: 50,
      min: 1,
      max: 100000,
      config: 'synchronization.batch_size',
    },
    link_field: LINK_FIELD_OPTION,
    retries: {
      type: 'integer',
      description: 'How many times a batch whose connection was lost before it committed is applied again on a new connection.',
      default: 3,
      min: 0,
      max: 20,
      config: 'synchronization.postgres.retries',
    },
  },
  async create(options, ctx) {
    const { target, from, connectionString } = clientConfig(options, ctx.stage, ctx.baseDir);
    const where = { who: ctx.stage, target, from };
    let client = await session(options, ctx);
    const closeClient = async (): Promise<void> => {
      await client.end().catch(() => undefined);
    };
    ctx.onClose(closeClient);
    let map: PgTableMap;
    try {
      map = await resolvePgTable(client, pgLocalMapping(options, ctx.baseDir), { stage: ctx.stage, target });
      // Every stage is set up before any data moves: a user who may not write the table fails
      // the run here, before write-airtable has sent anything.
      if (!ctx.dryRun) await checkPrivileges(client, map, ctx.stage, target);
    } catch (error) {
      await closeClient();
      if (error instanceof StageError || (error instanceof Error && error.name === 'ConfigError')) throw error;
      throw describePgError(error, where);
    }
    const near = path.join(ctx.baseDir, 'postgres');
    const journal = ctx.journal?.(near);
    const links = ctx.shared<LinkStorage>(
      LINK_STORAGE,
      () => ({}),
      (l) => l.run?.close(),
    );
    const column = (options.link_field && map.columnOf.get(options.link_field)) || null;
    journal?.target({
      system: 'local',
      database: withoutPassword(connectionString!),
      table: formatTableName(map.name),
      id_column: map.idColumn,
      modified_column: map.modifiedColumn,
      link_field: column === null ? '' : options.link_field,
      ...(links.state_file ? { state_file: links.state_file } : {}),
      columns: Object.fromEntries([...map.columnOf].filter(([field, col]) => field !== col)),
    });
    const connection = {
      client: () => client,
      reconnect: async (): Promise<PgClient> => {
        await client.end().catch(() => undefined);
        client = await session(options, ctx);
        ctx.log.warn('The connection to PostgreSQL was lost; connected again.', { database: target });
        return client;
      },
    };
    const writer = new PgWriter(connection, map, { now: () => ctx.now(), captureReplaced: journal !== undefined, retries: options.retries });
    const linkField = column === null ? undefined : options.link_field;
    const conflicts = new Map<Operation, DataConflict[]>();
    const core = createBatchWriter(
      ctx,
      pgBatches({ ctx, target, writer, journal, linkField, batchSize: options.batch_size, where, conflicts, table: map, client: connection.client }),
    );
    // Each operation another writer's change made the run skip is followed by its conflicts, for the report.
    const withConflicts = (out: RecordOutput): RecordOutput => {
      if (!conflicts.size || out === undefined) return out;
      return (Array.isArray(out) ? out : [out]).flatMap((item) => {
        const found = isOperation(item) ? conflicts.get(item) : undefined;
        if (!found) return [item];
        conflicts.delete(item as Operation);
        return [item, ...found];
      });
    };
    return {
      transform: (item) => {
        const out = core.transform(item);
        return out instanceof Promise ? out.then(withConflicts) : withConflicts(out);
      },
      // A generator, because the adapter emits what an iterable flush yields (not a promise's value).
      flush: async function* () {
        yield* withConflicts(await core.end()) as StreamItem[];
        ctx.log.info(ctx.dryRun ? 'Local operations checked (dry run).' : 'Local operations applied.', { database: target, ...core.counts });
        core.throwIfStopped();
      },
    };
  },
});

/** A connection for this stage; in a dry run, one that refuses to write whatever is sent. */
async function session(options: WritePostgresOptions, ctx: StageContext): Promise<PgClient> {
  const client = await connect(options, ctx.stage, ctx.baseDir);
  if (ctx.dryRun) await client.query('SET default_transaction_read_only = on');
  return client;
}

async function checkPrivileges(client: PgClient, map: PgTableMap, stage: string, target: string): Promise<void> {
  const { rows } = await client.query<{ privilege: string; granted: boolean }>(
    `SELECT p AS privilege, has_table_privilege(to_regclass($1), p) AS granted FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) AS p`,
    [map.sql],
  );
  const missing = rows.filter((r) => !r.granted).map((r) => r.privilege);
  if (missing.length) {
    throw new StageSetupError(
      stage,
      `The user at ${target} may not ${missing.join(', ')} table '${map.label}'. Grant it (GRANT ${missing.join(', ')} ON ${map.sql} TO <user>), or run with --dry-run.`,
    );
  }
}

interface Setup {
  ctx: StageContext;
  target: string;
  writer: PgWriter;
  journal: RunJournal | undefined;
  linkField: string | undefined;
  batchSize: number;
  where: { who: string; target: string; from: string };
  /** Filled by the batches, emptied as their operations pass on. */
  conflicts: Map<Operation, DataConflict[]>;
  table: PgTableMap;
  client: () => PgClient;
}

/** How write-postgres applies its batches on the writer skeleton (as write-sqlite does; see there). */
function pgBatches({ ctx, target, writer, journal, linkField, batchSize, where, conflicts, table, client }: Setup): BatchTarget<Operation> {
  const outcomes = (results: WriteResult[]): Outcome[] => results.map((result) => ({ result }));
  /** The report's conflicts for the operations another writer's change made the batch skip, with what their records hold now. */
  const noteConflicts = async (ops: Operation[], results: WriteResult[]): Promise<void> => {
    const skipped = ops.filter((_, i) => isConcurrentChange(results[i]));
    if (!skipped.length) return;
    const now = await rowsNow(client(), table, skipped);
    for (const op of skipped) conflicts.set(op, concurrentConflicts(op, now.get(String(op.id)), table, linkField));
  };
  return {
    owns: (item): item is Operation => isOperation(item) && item.system === 'local',
    lanes: ['local'],
    batchSize,
    maxHeld: batchSize,
    heldLimitAfter: 'every object',
    counts: { applied: 0, skipped: 0, failed: 0, dry_run: 0 },
    route: (op) => ({ lane: 'local', send: op }),
    opOf: (op) => op,
    follows: (item) => (linkField === undefined ? undefined : linkFor(item, linkField, ctx.dryRun)),
    check: (_lane, ops) => outcomes(writer.check(ops)),
    apply: async (_lane, ops, intent) => {
      try {
        const results = await writer.apply(ops, intent);
        await noteConflicts(ops, results);
        return outcomes(results);
      } catch (error) {
        throw error instanceof StageError ? error : describePgError(error, where);
      }
    },
    journal: { open: () => journal, mode: 'in transaction' },
    messages: localWriterMessages(ctx, target),
  };
}
