import fs from 'node:fs';
import { defineStage, type StageContext } from '../lib/core/stage.js';
import { isOperation, type Operation } from '../lib/core/operation.js';
import type { StreamItem } from '../lib/core/types.js';
import { linkFor, localWriterMessages } from '../lib/core/local-writes.js';
import { createBatchWriter, type BatchTarget, type Outcome, type WriteResult } from '../lib/core/writer.js';
import { openDatabase, useWal } from '../lib/sqlite/open.js';
import { databasePath, localMapping, TABLE_OPTIONS, type TableOptions } from '../lib/sqlite/options.js';
import { migrate } from '../lib/sqlite/schema.js';
import { resolveTable } from '../lib/sqlite/table.js';
import { createWriter, type Writer } from '../lib/sqlite/write.js';
import type { RunJournal } from '../lib/core/journal.js';
import { localTarget } from '../lib/safety/local.js';
import { LINK_FIELD_OPTION, LINK_STORAGE, linkColumn, type LinkStorage } from '../lib/sync/links.js';
import { testWriteLock } from '../lib/safety/write-lock.js';

export interface WriteSqliteOptions extends TableOptions {
  batch_size: number;
  create: boolean;
  link_field: string;
}

/**
 * Applies the operations for `system: local` (create, update of the changed fields only, delete)
 * to a SQLite table, in transactions of `batch_size`, setting the modified column on every
 * write. Every object is passed on, in order, operations with `result` set; records and other
 * systems' operations pass untouched. An operation that fails is rejected with the record id and
 * the reason and the rest of its batch is applied without it. Dry run opens the database
 * read-only, checks every operation and applies none (`result.status: dry_run`).
 *
 * The Airtable link: an Airtable create that arrives applied (placed after `write-airtable`),
 * with `link` naming a local record, becomes a local update of `link_field` to the new Airtable
 * id, emitted after it; in a dry run the same update is planned (checked, not applied), so a dry
 * run counts what the live run will apply. A table without the link column gets no such update:
 * its links live in the sync state (lib/sync/links.ts), and `validate` saves them.
 */
/** What a dry run's planned link update sets: the id Airtable will give the record it creates. */

export default defineStage<WriteSqliteOptions>({
  name: 'write-sqlite',
  kind: 'sink',
  summary: 'Applies create, update and delete operations to a SQLite table in transactions, and passes everything on with the outcome.',
  options: {
    ...TABLE_OPTIONS,
    batch_size: {
      type: 'integer',
      description: 'Operations per transaction.',
      default: 50,
      min: 1,
      max: 100000,
      config: 'synchronization.batch_size',
    },
    create: {
      type: 'boolean',
      description: 'Create the database with the default leads schema when the file does not exist.',
      default: false,
    },
    link_field: LINK_FIELD_OPTION,
  },
  create(options, ctx) {
    const file = databasePath(options, ctx.baseDir);
    const fresh = !fs.existsSync(file);
    if (fresh && options.create && !ctx.dryRun) {
      const db = openDatabase(file, { create: true, who: ctx.stage });
      migrate(db, { now: () => ctx.now(), file });
      db.close();
    }
    const dryRunOnNothing = fresh && ctx.dryRun && options.create;
    const db = dryRunOnNothing ? undefined : openDatabase(file, { readonly: ctx.dryRun, wal: false, busy_timeout_ms: options.busy_timeout_ms, who: ctx.stage });
    if (db) ctx.onClose(() => void db.close());
    let map;
    try {
      map = db ? resolveTable(db, localMapping(options, ctx.baseDir), { stage: ctx.stage, file }) : undefined;
      // Only once the table checks out: a misconfigured run leaves the file as it found it.
      if (db && !ctx.dryRun) useWal(db);
      // Every stage is set up before any data moves: a database another program holds (an open
      // BEGIN IMMEDIATE) fails the run here, before write-airtable has sent anything.
      if (db && !ctx.dryRun) testWriteLock(db, file, ctx.stage);
    } catch (error) {
      db?.close();
      throw error;
    }
    // The run journal: each batch with the values it replaces, written inside the batch's
    // transaction before it commits. (A context made by hand, as in an embedding script, may have
    // no journal.)
    const journal = db && map ? ctx.journal?.(file) : undefined;
    const links = ctx.shared<LinkStorage>(
      LINK_STORAGE,
      () => ({}),
      (l) => l.run?.close(),
    );
    const column = map ? linkColumn(map, options.link_field) : options.link_field || null;
    // The sync state is named too, so a rollback can set its links straight.
    journal?.target(localTarget(file, map!, column === null ? '' : options.link_field, links.state_file));
    const writer = db && map ? createWriter(db, map, { file, who: ctx.stage, now: () => ctx.now(), captureReplaced: journal !== undefined }) : undefined;
    const linkField = column === null ? undefined : options.link_field;
    const core = createBatchWriter(ctx, localBatches({ ctx, file, writer, journal, linkField, batchSize: options.batch_size }));

    return {
      transform: core.transform,
      flush() {
        const rest = core.end() as StreamItem[];
        ctx.log.info(ctx.dryRun ? 'Local operations checked (dry run).' : 'Local operations applied.', { database: file, ...core.counts });
        core.throwIfStopped();
        return rest;
      },
    };
  },
});

interface Setup {
  ctx: StageContext;
  file: string;
  /** Undefined in a dry run on a database that does not exist yet. */
  writer: Writer | undefined;
  journal: RunJournal | undefined;
  /** The column the Airtable link is stored in, if the table has one. */
  linkField: string | undefined;
  batchSize: number;
}

/**
 * How write-sqlite applies its batches on the writer skeleton. Records and other systems'
 * operations wait only if local operations are queued before them, so order is kept and at most
 * `batch_size` objects are held: a transaction takes the local operations among them. A failure
 * of the database itself (locked past the timeout, disk full, corrupt) ends the writing; every
 * later operation is marked failed and rejected, so none vanishes, and the run fails at the end.
 */
function localBatches({ ctx, file, writer, journal, linkField, batchSize }: Setup): BatchTarget<Operation> {
  const outcomes = (results: WriteResult[]): Outcome[] => results.map((result) => ({ result }));
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
    check: (_lane, ops) => outcomes(writer ? writer.check(ops) : ops.map((op) => ({ status: 'dry_run', id: op.id }))),
    apply: (_lane, ops, intent) => outcomes(writer!.apply(ops, intent)),
    journal: { open: () => journal, mode: 'in transaction' },
    messages: localWriterMessages(ctx, file),
  };
}
