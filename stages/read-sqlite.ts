import { defineStage, type OptionProblem } from '../lib/stage.js';
import { AbortedError } from '../lib/errors.js';
import type { Lead } from '../lib/record.js';
import { describeSqliteError, openDatabase, sqliteCode } from '../lib/sqlite/open.js';
import { databasePath, localMapping, TABLE_OPTIONS, type TableOptions } from '../lib/sqlite/options.js';
import { buildSelect, readRecords } from '../lib/sqlite/read.js';
import { resolveTable } from '../lib/sqlite/table.js';
import { toIsoTimestamp } from '../lib/sqlite/values.js';

export interface ReadSqliteOptions extends TableOptions {
  where?: Record<string, unknown>;
  since?: string;
}

/**
 * Reads leads from a SQLite table, one row at a time, on a read-only connection of its own (in
 * WAL mode a writer elsewhere neither blocks it nor is blocked by it; the read sees the table as
 * it was when it began). Each record has the table's columns under their canonical field names
 * and `_meta` with source `local`, the row id, modified and created times, and the values as read.
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
      return (async function* (): AsyncGenerator<Lead> {
        let count = 0;
        try {
          rows = readRecords(db, map, query);
          for (const record of rows) {
            if (++count % 1000 === 0 && ctx.signal.aborted) throw new AbortedError();
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
