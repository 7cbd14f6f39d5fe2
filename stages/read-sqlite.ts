import fs from 'node:fs';
import path from 'node:path';
import { defineStage, type OptionProblem } from '../lib/core/stage.js';
import { AbortedError } from '../lib/core/errors.js';
import type { Lead } from '../lib/core/record.js';
import { describeSqliteError, openDatabase, sqliteCode } from '../lib/sqlite/open.js';
import { databasePath, localMapping, TABLE_OPTIONS, type TableOptions } from '../lib/sqlite/options.js';
import { buildSelect, readRecords } from '../lib/sqlite/read.js';
import { resolveTable } from '../lib/sqlite/table.js';
import { toIsoTimestamp } from '../lib/sqlite/values.js';
import { LINK_FIELD_OPTION, LINK_STORAGE, linkColumn, type LinkStorage } from '../lib/sync/links.js';
import { SyncState } from '../lib/sync/state.js';

export interface ReadSqliteOptions extends TableOptions {
  where?: Record<string, unknown>;
  since?: string;
  /** Optional for scripts that create the stage directly; the default as the option declares it. */
  link_field?: string;
  state_file?: string;
}

/**
 * Reads leads from a SQLite table, one row at a time, on a read-only connection of its own (in
 * WAL mode a writer elsewhere neither blocks it nor is blocked by it; the read sees the table as
 * it was when it began). Each record has the table's columns under their canonical field names
 * and `_meta` with source `local`, the row id, modified and created times, and the values as read.
 * A table without the link column gets each lead's Airtable link from the sync state, in
 * `_meta.link` (lib/sync/links.ts).
 */
export default defineStage<ReadSqliteOptions>({
  name: 'read-sqlite',
  kind: 'source',
  summary: 'Reads leads from a SQLite table as records, streaming rows with their id and modified time in _meta.',
  options: {
    ...TABLE_OPTIONS,
    where: {
      type: 'object',
      description: 'Only rows whose fields equal these values (a list matches any of its values, null matches empty); values are bound as parameters.',
      example: { sync_status: ['pending', 'failed'] },
    },
    since: {
      type: 'string',
      description: 'Only rows modified at or after this ISO 8601 time, for incremental runs.',
      example: '2026-01-31T00:00:00Z',
    },
    link_field: LINK_FIELD_OPTION,
    state_file: {
      type: 'path',
      description:
        'The sync state (written by `validate`) whose links give each lead its Airtable record when the table has no link_field column; without it such a table starts unlinked.',
      example: 'data/sync-state.db',
    },
  },
  check(options): OptionProblem[] {
    const problems: OptionProblem[] = [];
    if (options.since !== undefined && !toIsoTimestamp(options.since)) {
      problems.push({ path: 'since', message: `'${options.since}' is not a time; give an ISO 8601 time such as 2026-01-31T00:00:00Z.` });
    }
    for (const [key, value] of Object.entries(options.where ?? {})) {
      const values = Array.isArray(value) ? value : [value];
      if (values.length === 0 || values.some((v) => v !== null && typeof v === 'object')) {
        problems.push({ path: `where.${key}`, message: 'Give a value, null, or a non-empty list of values.' });
      }
    }
    return problems;
  },
  create(options, ctx) {
    const file = databasePath(options, ctx.baseDir);
    const db = openDatabase(file, { readonly: true, busy_timeout_ms: options.busy_timeout_ms, who: ctx.stage });
    let closed = false;
    let rows: Generator<Lead> | undefined;
    const close = (): void => {
      if (closed) return;
      closed = true;
      // A run that ends early (a failure downstream, Ctrl-C) closes us while a row is pending:
      // finish the statement first, since SQLite cannot close a connection mid-query.
      rows?.return(undefined);
      db.close();
    };
    ctx.onClose(close);
    try {
      const map = resolveTable(db, localMapping(options, ctx.baseDir), { stage: ctx.stage, file });
      const query = buildSelect(map, { where: options.where, since: options.since }, ctx.stage);
      const column = linkColumn(map, options.link_field ?? 'airtable_id');
      const stateFile = options.state_file ? path.resolve(ctx.baseDir, options.state_file) : undefined;
      const storage = ctx.shared<LinkStorage>(
        LINK_STORAGE,
        () => ({}),
        (s) => s.run?.close(),
      );
      storage.column = column;
      storage.state_file = stateFile;
      // Links kept in the state: the last successful run's, looked up per lead by its id.
      const state = column === null && stateFile && fs.existsSync(stateFile) ? new SyncState(stateFile) : undefined;
      if (state) ctx.onClose(() => state.close());
      if (column === null)
        ctx.log.info('The table has no link column: links to Airtable records are kept in the sync state.', {
          link_field: options.link_field ?? 'airtable_id',
          state_file: stateFile ?? null,
        });
      return (async function* (): AsyncGenerator<Lead> {
        let count = 0;
        try {
          rows = readRecords(db, map, query);
          for (const record of rows) {
            if (++count % 1000 === 0 && ctx.signal.aborted) throw new AbortedError();
            if (column === null) record._meta!.link = state?.airtableIdOf(String(record._meta!.id)) ?? null;
            yield record;
          }
          ctx.log.debug('Table read.', { table: map.table, records: count });
        } catch (error) {
          throw sqliteCode(error) ? describeSqliteError(error, file, ctx.stage) : error;
        } finally {
          close();
        }
      })();
    } catch (error) {
      close();
      throw error;
    }
  },
});
