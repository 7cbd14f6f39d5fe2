import Database from 'better-sqlite3';
import path from 'node:path';
import { listRecords } from '../lib/airtable/list.js';
import { CONNECTION_OPTIONS, connect, type ConnectionOptions } from '../lib/airtable/options.js';
import type { AirtableClient } from '../lib/airtable/client.js';
import { type AirtableTable, fetchTable } from '../lib/airtable/schema.js';
import { StageError } from '../lib/core/errors.js';
import { type FieldMapping, loadFieldMapping } from '../lib/core/field-mapping.js';
import { isOperation } from '../lib/core/operation.js';
import type { Lead } from '../lib/core/record.js';
import { runFindings } from '../lib/core/findings.js';
import { databasePath, localMapping, TABLE_OPTIONS } from '../lib/sqlite/options.js';
import { type LocalLeads, postgresLeads, sqliteLeads } from '../lib/sync/local-leads.js';
import { ConcurrentSkips } from '../lib/safety/concurrent-skips.js';
import { defineStage, type StageContext } from '../lib/core/stage.js';
import { fetchByIds } from '../lib/sync/fetch.js';
import { IntegrityCheck } from '../lib/sync/integrity.js';
import { isConflict, isDuplicateGroup } from '../lib/core/types.js';
import { READ_MODES, type ReadModes } from '../lib/sync/read-modes.js';
import { SyncState } from '../lib/sync/state.js';
import { SYNC_DIRECTION } from '../lib/sync/read-modes.js';
import { SYNC_DIRECTIONS, type SyncDirection } from '../lib/sync/plan.js';
import { ARCHIVE_OPTIONS, type Archive, archiveOf, isArchived, type ArchiveOptions } from '../lib/airtable/archive.js';
import { LINK_FIELD_OPTION, LINK_STORAGE, RunLinks, type LinkStorage } from '../lib/sync/links.js';

export interface ValidateOptions extends ConnectionOptions, ArchiveOptions {
  database: string;
  local_table?: string;
  busy_timeout_ms: number;
  link_field: string;
  state_file?: string;
  max_differences: number;
  require_links: boolean;
  postgres_table?: string;
  direction: SyncDirection | undefined;
}

/**
 * The seed's validate_sync_integrity, after the writers: when its input ends (live run, no
 * operation failed) it re-reads both systems and checks that every local lead is linked to an
 * Airtable record that exists and vice versa, no two leads share one, the mapped fields are
 * equal (fields left for a person by a `manual` conflict excepted) and the counts are equal. A run
 * that read Airtable incrementally re-reads only what it touched, by id. On success it saves the
 * sync state (watermark, links) that the next run's diff and read-airtable use.
 */
export default defineStage<ValidateOptions>({
  name: 'validate',
  kind: 'sink',
  summary:
    'After the writes, re-reads both systems and fails the run unless they hold the same linked leads with equal fields; on success saves the sync state.',
  options: {
    ...CONNECTION_OPTIONS,
    database: TABLE_OPTIONS.database,
    local_table: {
      type: 'string',
      description: 'The local table holding leads; overrides local.table of the field mapping.',
      example: 'leads',
    },
    postgres_table: {
      type: 'string',
      description:
        'Read the local leads back from this PostgreSQL table (table or schema.table) in place of the SQLite database; the server is LEADS_DATABASE_URL or DATABASE_URL (db-maintenance sets it from a postgres:// LEADS_DB).',
      example: 'public.leads',
    },
    busy_timeout_ms: TABLE_OPTIONS.busy_timeout_ms,
    link_field: LINK_FIELD_OPTION,
    state_file: {
      type: 'path',
      description: 'Where the sync state (watermark, last full scan, links) is saved after a run that checks out; nothing is saved without it.',
      example: 'data/sync-state.db',
    },
    require_links: {
      type: 'boolean',
      default: true,
      description:
        'Every lead must be linked to one in the other system and the counts equal; off where duplicates are deliberately kept (a sync that merges nothing), so only linked pairs are compared.',
      example: false,
    },
    direction: {
      type: 'string',
      values: SYNC_DIRECTIONS,
      description:
        "Which systems the run wrote, as diff's `direction` (taken from the run's diff when not given): a one-way sync requires counterparts only in the system it wrote.",
      example: 'to_airtable',
    },
    max_differences: {
      type: 'integer',
      default: 20,
      min: 1,
      description: 'How many differences the error lists in full (all are counted).',
      example: 50,
    },
    ...ARCHIVE_OPTIONS,
  },
  create(options, ctx) {
    const startedAt = ctx.now().toISOString();
    const mapping = loadFieldMapping(options.field_mapping);
    const client = connect(options, ctx);
    const readModes = ctx.shared<ReadModes>(READ_MODES, () => ({ airtable: 'full' }));
    const scratch = path.join(ctx.scratchDir(), `validate-${ctx.step}`);
    const notes = noteRun(ctx, scratch, options.link_field);

    return {
      transform(item: Lead) {
        notes.note(item);
        return item;
      },
      async flush() {
        if (ctx.dryRun) {
          ctx.log.info('Dry run: the systems were not validated and no sync state was saved.');
          return;
        }
        const failed = notes.failed;
        if (failed > 0) {
          ctx.log.warn('Some operations failed: the systems were not validated and no sync state was saved, so the next run reads everything again.', {
            failed,
          });
          return;
        }
        await validate({ options, ctx, startedAt, mapping, client, readModes, scratch, notes });
      },
    };
  },
});

/** What the run did, as validate notes it from the items passing by. */
interface RunNotes {
  note(item: Lead): void;
  /** The run's links, with the pairs its creates made added. */
  stateLinks(): RunLinks;
  /** The ids the run's applied operations touched in `system`, deleted (1) or not (0), in order. */
  ids(system: string, deleted: number): Iterable<string>;
  /** The fields a `manual` conflict left for a person, as [local id, field]. */
  manual: Array<[string, string]>;
  /** The members of `manual` duplicate groups, left for a person: they may have no counterpart yet. */
  underReview: Array<['local' | 'airtable', string]>;
  /** The local operations skipped because another writer changed their record during the run. */
  concurrent: ConcurrentSkips;
  /** How many operations failed. */
  readonly failed: number;
}

/**
 * Notes what the run did as its items pass: the ids its applied operations touched (kept in a
 * scratch database, as a run may touch every lead), the pairs its creates made, the fields a
 * `manual` conflict left alone and the failed operations, for the check that follows.
 */
function noteRun(ctx: StageContext, scratch: string, linkField: string): RunNotes {
  const touched = new Database(`${scratch}-touched.db`);
  touched.pragma('journal_mode = OFF');
  touched.exec('CREATE TABLE touched (system TEXT NOT NULL, id TEXT NOT NULL, deleted INTEGER NOT NULL, PRIMARY KEY (system, id)) WITHOUT ROWID');
  // The pairs the run's creates made (a record created for one in the other system).
  touched.exec('CREATE TABLE created_links (local_id TEXT PRIMARY KEY, airtable_id TEXT NOT NULL) WITHOUT ROWID');
  const touch = touched.prepare(
    'INSERT INTO touched (system, id, deleted) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET deleted = max(deleted, excluded.deleted)',
  );
  const created = touched.prepare('INSERT OR REPLACE INTO created_links (local_id, airtable_id) VALUES (?, ?)');
  const links = ctx.shared<LinkStorage>(
    LINK_STORAGE,
    () => ({}),
    (l) => l.run?.close(),
  );
  const manual: Array<[string, string]> = [];
  const underReview: Array<['local' | 'airtable', string]> = [];
  const concurrent = new ConcurrentSkips();
  ctx.onClose(() => {
    touched.close();
  });
  let failed = 0;

  const note = (item: Lead): void => {
    if (isOperation(item)) {
      if (item.result?.status === 'failed') failed++;
      concurrent.note(item, linkField);
      const id = item.result?.id ?? item.id;
      if (item.result?.status === 'applied' && id !== undefined) touch.run(item.system, String(id), item.action === 'delete' ? 1 : 0);
      if (item.result?.status === 'applied' && item.action === 'create' && item.result.id && item.link) {
        if (item.system === 'airtable' && item.link.system === 'local') created.run(item.link.id, item.result.id);
        if (item.system === 'local' && item.link.system === 'airtable') created.run(item.result.id, item.link.id);
      }
      return;
    }
    if (isDuplicateGroup(item) && item.resolution_strategy === 'manual') {
      for (const record of item.records) {
        const system = record._meta?.source;
        if ((system === 'local' || system === 'airtable') && record._meta?.id !== undefined) underReview.push([system, String(record._meta.id)]);
      }
      return;
    }
    if (isConflict(item) && item.resolution === 'manual') {
      const ids = /^local:(.*?)\|airtable:(.*)$/.exec(item.record_id);
      // Bounded by the conflicts of one run, which a person reads one by one anyway.
      if (ids?.[1]) manual.push([ids[1], item.field_name]);
      if (ids?.[1]) underReview.push(['local', ids[1]]);
      if (ids?.[2]) underReview.push(['airtable', ids[2]]);
    }
  };

  /** The run's links, with the pairs its creates made added. */
  const stateLinks = (): RunLinks => {
    const run = (links.run ??= new RunLinks(ctx.scratchDir()));
    for (const [localId, airtableId] of touched.prepare('SELECT local_id, airtable_id FROM created_links').raw(true).iterate() as Iterable<[string, string]>)
      run.link(localId, airtableId);
    return run;
  };

  const ids = (system: string, deleted: number): Iterable<string> =>
    touched.prepare('SELECT id FROM touched WHERE system = ? AND deleted = ? ORDER BY id').pluck().iterate(system, deleted) as Iterable<string>;

  return {
    note,
    stateLinks,
    ids,
    manual,
    underReview,
    concurrent,
    get failed() {
      return failed;
    },
  };
}

/** What the check of a run starts from. */
interface ValidateRun {
  options: ValidateOptions;
  ctx: StageContext;
  startedAt: string;
  mapping: FieldMapping;
  client: AirtableClient;
  readModes: ReadModes;
  scratch: string;
  notes: RunNotes;
}

/** Re-reads both systems (all of them, or what the run touched), fails on a difference, else saves the sync state. */
async function validate(run: ValidateRun): Promise<void> {
  const { options, ctx, mapping, client, readModes, scratch } = run;
  const { stateLinks, ids, manual, underReview, concurrent } = run.notes;
  const partial = readModes.airtable === 'partial';
  const mappingOfTable = localMapping({ ...options, table: options.postgres_table ?? options.local_table }, ctx.baseDir);
  const local = options.postgres_table
    ? await postgresLeads(mappingOfTable, options.link_field, ctx.stage, ctx.baseDir)
    : sqliteLeads(databasePath(options, ctx.baseDir), mappingOfTable, options.link_field, options.busy_timeout_ms, ctx.stage);
  // A table without a link column: the links are the run's (diff's pairs and the creates).
  const runLinks = local.linkColumn === null ? stateLinks() : undefined;
  const linkOf = (lead: Lead): string | undefined => {
    if (runLinks) return runLinks.airtableIdOf(String(lead._meta?.id));
    const link = lead[options.link_field];
    return typeof link === 'string' && link ? link : undefined;
  };
  const check = new IntegrityCheck(`${scratch}-check.db`, Object.keys(mapping.database_to_airtable), {
    linkField: runLinks ? '' : options.link_field,
    linkOf,
    keep: options.max_differences,
    requireLinks: options.require_links,
    direction: options.direction ?? ctx.shared<{ value?: SyncDirection }>(SYNC_DIRECTION, () => ({})).value,
  });
  try {
    const table = await fetchTable(client, options.table);
    const names = Object.entries(mapping.airtable_to_database).filter(([name]) => table.fields.some((f) => f.name === name));
    const canonical = (fields: Record<string, unknown>): Record<string, unknown> =>
      Object.fromEntries(names.map(([name, field]) => [field, fields[name] ?? null]));
    // Archived records (delete_mode: archive) are removed as far as the check is concerned.
    const archive = archiveOf(options, table, ctx.stage);
    const fields = [...names.map(([name]) => name), ...(archive ? [archive.field] : [])];
    for (const [localId, field] of manual) check.leaveAlone(localId, field);
    for (const [system, id] of underReview) check.leaveUnlinked(system, id);
    concurrent.excuse(check);

    const checking: Checking = { options, ctx, client, local, check, table, fields, canonical, archive, scratch, ids, linkOf, runLinks };
    if (!partial) {
      await checkEverything(checking);
    } else {
      await checkTouched(checking);
    }

    failOnDifferences(ctx, check, partial);
    ctx.log.info('Both systems hold the same leads.', { checked_local: check.localCount, checked_airtable: check.airtableCount, incremental: partial });
    saveState(run, check, partial);
  } finally {
    check.close();
    await local.close();
  }
}

/** Both systems opened for the check, and how an Airtable record compares with a local lead. */
interface Checking {
  options: ValidateOptions;
  ctx: StageContext;
  client: AirtableClient;
  local: LocalLeads;
  check: IntegrityCheck;
  table: AirtableTable;
  /** The Airtable fields to read: the mapped ones the table has, and the archive field. */
  fields: string[];
  canonical: (fields: Record<string, unknown>) => Record<string, unknown>;
  archive: Archive | undefined;
  scratch: string;
  ids: RunNotes['ids'];
  linkOf: (lead: Lead) => string | undefined;
  runLinks: RunLinks | undefined;
}

/** The full check: every Airtable record against every local lead, counts included. */
async function checkEverything({ ctx, client, local, check, table, fields, canonical, archive, scratch }: Checking): Promise<void> {
  // A listing whose offset expires (a slow local read, a long run) starts again and skips what it
  // read, as read-airtable does: an expired offset says nothing about the systems differing.
  const records = listRecords(client, { table: table.name, pageSize: 100, fields }, { seenFile: `${scratch}-seen.db`, signal: ctx.signal, log: ctx.log });
  for await (const record of records) if (!isArchived(record.fields, archive)) check.addAirtable(record.id, canonical(record.fields));
  for await (const lead of local.all()) check.checkLocal(lead);
  check.finish({ counts: true });
}

/**
 * The check of a run that read Airtable incrementally: only the records it touched, by id, with
 * their counterparts, and the ones it deleted must be gone; the counts cannot be compared.
 */
async function checkTouched({ options, client, local, check, table, fields, canonical, archive, ids, linkOf, runLinks }: Checking): Promise<void> {
  const deletedAirtable = new Set(ids('airtable', 1));
  const wanted = new Set([...ids('airtable', 0), ...deletedAirtable]);
  for await (const lead of local.where('id', ids('local', 0))) {
    const link = linkOf(lead);
    if (link) wanted.add(link);
  }
  for await (const record of fetchByIds(client, table.name, [...wanted].sort(), fields)) {
    if (isArchived(record.fields, archive)) continue;
    if (deletedAirtable.has(record.id)) check.notDeleted('airtable', record.id);
    else check.addAirtable(record.id, canonical(record.fields));
  }
  for await (const lead of local.where('id', ids('local', 0))) check.checkLocal(lead);
  const linkedTo = (airtableIds: Iterable<string>): AsyncIterable<Lead> =>
    runLinks
      ? local.where(
          'id',
          (function* () {
            for (const id of airtableIds) yield* runLinks.localIdsOf(id);
          })(),
        )
      : local.where(options.link_field, airtableIds);
  for await (const lead of linkedTo(ids('airtable', 0))) check.checkLocal(lead);
  for await (const lead of local.where('id', ids('local', 1))) check.notDeleted('local', String(lead._meta?.id));
  check.finish({ counts: false });
}

/** Fails the run when the check found differences, listing the first few, and notes it for the report. */
function failOnDifferences(ctx: StageContext, check: IntegrityCheck, partial: boolean): void {
  if (check.total > 0) {
    const summary = `The systems differ after the run: ${check.total} difference(s)${partial ? ' among the records the run touched' : ''}.`;
    runFindings(ctx).integrity_failures.push(`${summary} First: ${check.differences[0]!.message}`);
    const shown = check.differences.map((d) => `  ${d.message}`).join('\n');
    const more = check.total > check.differences.length ? `\n  … and ${check.total - check.differences.length} more.` : '';
    throw new StageError(
      ctx.stage,
      `${summary}\n${shown}${more}\nSomething changed a system during the run, or a write did not do what it said; run the synchronization again, and check the report.`,
    );
  }
}

/** Saves the sync state of a run that checked out (its watermark, whether it scanned everything, its links), where there is a state file. */
function saveState({ options, ctx, startedAt, notes: { ids } }: ValidateRun, check: IntegrityCheck, partial: boolean): void {
  if (options.state_file) {
    const state = new SyncState(path.resolve(ctx.baseDir, options.state_file));
    try {
      state.save({
        started_at: startedAt,
        checked_at: ctx.now().toISOString(),
        full_scan: !partial,
        links: check.links(),
        merge_links: partial,
        unlinked: { local_ids: [...ids('local', 1)], airtable_ids: [...ids('airtable', 1)] },
      });
    } finally {
      state.close();
    }
  }
}
