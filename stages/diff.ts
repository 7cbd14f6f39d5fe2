import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { loadFieldMapping } from '../lib/core/field-mapping.js';
import { isEvent, type StreamItem } from '../lib/core/types.js';
import type { Lead } from '../lib/core/record.js';
import { defineStage, type StageContext } from '../lib/core/stage.js';
import { ReviewFile } from '../lib/report/review.js';
import { noteReviewFile } from '../lib/report/review-page-lines.js';
import { reviewConflictLine } from '../lib/review/lines.js';
import { READ_MODES, SYNC_DIRECTION, type ReadModes } from '../lib/sync/read-modes.js';
import { SyncState } from '../lib/sync/state.js';
import {
  changedLinkedLead,
  planEntity,
  SYNC_DIRECTIONS,
  SYNC_STRATEGIES,
  type ConflictStrategy,
  type SyncDirection,
  type SyncSettings,
} from '../lib/sync/plan.js';
import { LINK_FIELD_OPTION, LINK_STORAGE, linkOf, RunLinks, type LinkStorage } from '../lib/sync/links.js';

interface DiffOptions {
  conflict_resolution: ConflictStrategy;
  direction: SyncDirection;
  field_mapping: string | undefined;
  delete_duplicates: boolean;
  create_missing: boolean;
  sync_fields: boolean;
  review_file: string;
  link_field: string;
  state_file: string | undefined;
}

/**
 * Turns clustered, normalized records of both systems into the operations that make the two
 * systems equal, entity by entity, and the conflicts found on the way. It needs every record of
 * an entity before it can plan it, so records are parked in a scratch SQLite table (memory stays
 * flat) and planned when the input ends, in entity order (deterministic output).
 */
export default defineStage<DiffOptions>({
  name: 'diff',
  kind: 'transform',
  summary: 'Plans the create, update and delete operations that make both systems hold the same leads, resolving conflicts by the configured rule.',
  options: {
    conflict_resolution: {
      type: 'string',
      values: SYNC_STRATEGIES,
      default: 'most_recent',
      config: 'synchronization.conflict_resolution',
      description:
        'Which value wins when both systems hold different non-empty values: the most recently modified, always local, always Airtable, or none (`manual`: the conflict goes to the review file and the field is left alone).',
      example: 'local_wins',
    },
    direction: {
      type: 'string',
      values: SYNC_DIRECTIONS,
      default: 'both',
      description: 'Which systems are written: both, only Airtable (database to Airtable) or only the local database (Airtable to database).',
      example: 'to_airtable',
    },
    field_mapping: {
      type: 'path',
      description:
        'The field mapping file whose `database_to_airtable` fields are kept equal in both systems (default: the bundled config/field-mapping.yaml).',
      example: 'config/field-mapping.yaml',
    },
    delete_duplicates: {
      type: 'boolean',
      default: true,
      description: 'Delete the records dedupe marked as duplicates, after their data went to the survivor.',
      example: false,
    },
    create_missing: {
      type: 'boolean',
      default: true,
      description: 'Create a lead in the system that lacks it (off for a standardize-only or dedupe-only run).',
      example: false,
    },
    sync_fields: {
      type: 'boolean',
      default: true,
      description:
        'Make the synced fields of linked records equal in both systems, resolving conflicts; off, each record only gets its own standardized or merged values.',
      example: false,
    },
    review_file: {
      type: 'path',
      default: 'review/conflicts.jsonl',
      description: 'Where conflicts left for a person (`manual`) are appended, one JSON object per line.',
      example: 'data/review/conflicts.jsonl',
    },
    link_field: LINK_FIELD_OPTION,
    state_file: {
      type: 'path',
      description:
        'The sync state of the last successful run (its links; written by `validate`). With it, a lead deleted in one system is deleted in the other; without it, the missing side is created again.',
      example: 'data/sync-state.db',
    },
  },
  create(options, ctx) {
    if (options.conflict_resolution === 'manual') noteReviewFile(ctx, options.review_file);
    const settings = syncSettings(options, ctx);
    const readModes = ctx.shared<ReadModes>(READ_MODES, () => ({ airtable: 'full' }));
    const links = ctx.shared<LinkStorage>(
      LINK_STORAGE,
      () => ({}),
      (l) => l.run?.close(),
    );
    ctx.shared<{ value?: SyncDirection }>(SYNC_DIRECTION, () => ({})).value = options.direction;
    const db = new Database(path.join(ctx.scratchDir(), `diff-${ctx.step}.db`));
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    // `counterpart`: the Airtable record of a linked local lead a stage changed, fetched if a partial read left it out.
    db.exec('CREATE TABLE parked (seq INTEGER PRIMARY KEY, entity TEXT NOT NULL, airtable INTEGER NOT NULL, counterpart TEXT, record TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO parked (entity, airtable, counterpart, record) VALUES (?, ?, ?, ?)');
    ctx.onClose(() => {
      db.close();
    });
    let pending = 0;
    const begin = (): void => {
      if (pending++ === 0) db.exec('BEGIN');
    };
    const commit = (): void => {
      if (pending > 0) db.exec('COMMIT');
      pending = 0;
    };

    return {
      transform(record: StreamItem) {
        if (isEvent(record)) return record;
        begin();
        const lead = record as Lead;
        const airtable = lead._meta?.source === 'airtable' ? 1 : 0;
        insert.run(entityOf(lead, options.link_field), airtable, changedLinkedLead(lead, settings) ?? null, JSON.stringify(lead));
        if (pending >= 1000) commit();
        return ctx.drop('planned');
      },
      flush: async function* () {
        commit();
        // Known only now: the readers have finished.
        settings.airtable_read = readModes.airtable;
        if (settings.airtable_read === 'partial' && settings.sync_fields && readModes.fetchAirtable) {
          await parkUnreadCounterparts(db, readModes.fetchAirtable, ctx.log);
        }
        // A table without a link column: the pairs planned here are this run's links, for validate.
        settings.links_in_state = links.column === null;
        const runLinks = settings.links_in_state ? (links.run ??= new RunLinks(ctx.scratchDir())) : undefined;
        const review = new ReviewFile(options.review_file);
        let entity: string | undefined;
        let group: Lead[] = [];
        const plan = function* (): Generator<StreamItem> {
          if (entity === undefined) return;
          const { operations, conflicts, link } = planEntity(entity, group, settings);
          if (link) runLinks?.link(...link);
          for (const conflict of conflicts) {
            if (conflict.resolution === 'manual' && !ctx.dryRun) review.append(reviewConflictLine(conflict, group, options.link_field));
            yield conflict;
          }
          yield* operations;
        };
        for (const row of db.prepare('SELECT entity, record FROM parked ORDER BY entity, seq').iterate() as Iterable<{ entity: string; record: string }>) {
          if (row.entity !== entity) {
            yield* plan();
            entity = row.entity;
            group = [];
          }
          group.push(JSON.parse(row.record));
        }
        yield* plan();
        review.close();
      },
    };
  },
});

/**
 * What diff plans with: the mapped fields and the options, and, from the state file of the last
 * successful run, its links and the moment it ended.
 */
function syncSettings(options: DiffOptions, ctx: StageContext): SyncSettings {
  const mapping = loadFieldMapping(options.field_mapping);
  const settings: SyncSettings = {
    fields: Object.keys(mapping.database_to_airtable),
    conflict_resolution: options.conflict_resolution,
    direction: options.direction,
    delete_duplicates: options.delete_duplicates,
    create_missing: options.create_missing,
    sync_fields: options.sync_fields,
    link_field: options.link_field,
    local_readonly: [mapping.local.id_column, mapping.local.modified_column, mapping.local.created_column, options.link_field].filter(Boolean) as string[],
  };
  if (options.state_file && fs.existsSync(options.state_file)) {
    const state = new SyncState(options.state_file);
    ctx.onClose(() => state.close());
    if (state.hasLinks()) {
      // A lead its last run wrote is not "edited since": compare with the end of that run.
      settings.previous = {
        watermark: state.checkedAt() ?? state.watermark(),
        airtableIdOf: (id) => state.airtableIdOf(id),
        localIdOf: (id) => state.localIdOf(id),
      };
    }
  }
  return settings;
}

/**
 * A partial read holds the Airtable records changed since the last run and the counterparts of the
 * local leads changed since; it leaves out the record of a linked lead neither side changed, yet a
 * stage of this run did (a new standardization rule): without it the change would reach one system
 * only. Those records are fetched now, in batches through the reader's client and rate limiter,
 * and parked with their local lead's entity, marked as not seen by the stages (`_meta.as_read`).
 */
async function parkUnreadCounterparts(db: Database.Database, fetchAirtable: NonNullable<ReadModes['fetchAirtable']>, log: StageContext['log']): Promise<void> {
  const unread = db
    .prepare('SELECT entity, max(counterpart) AS id FROM parked GROUP BY entity HAVING max(airtable) = 0 AND max(counterpart) IS NOT NULL ORDER BY id')
    .all() as Array<{ entity: string; id: string }>;
  if (unread.length === 0) return;
  const entityOfId = new Map(unread.map((row) => [row.id, row.entity]));
  const insert = db.prepare('INSERT INTO parked (entity, airtable, counterpart, record) VALUES (?, 1, NULL, ?)');
  let fetched = 0;
  db.exec('BEGIN');
  try {
    for await (const lead of fetchAirtable(entityOfId.keys())) {
      const entity = entityOfId.get(String(lead._meta?.id));
      if (entity === undefined) continue;
      lead._meta = { ...lead._meta, as_read: true };
      insert.run(entity, JSON.stringify(lead));
      fetched++;
    }
  } finally {
    db.exec('COMMIT');
  }
  log.info('Airtable counterparts of linked leads the run changed fetched.', { wanted: unread.length, records: fetched });
}

/** The entity a record belongs to: its dedupe cluster, else its Airtable link, else itself. */
function entityOf(record: Lead, linkField: string): string {
  const meta = record._meta ?? {};
  if (typeof meta.cluster === 'string' && meta.cluster) return meta.cluster;
  if (meta.source === 'airtable') return `airtable:${meta.id}`;
  const link = linkOf(record, linkField);
  if (link) return `airtable:${link}`;
  return `${meta.source ?? 'record'}:${meta.id ?? JSON.stringify(record)}`;
}
