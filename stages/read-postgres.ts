import fs from 'node:fs';
import path from 'node:path';
import { defineStage, type OptionProblem } from '../lib/core/stage.js';
import { AbortedError, StageError } from '../lib/core/errors.js';
import type { Lead } from '../lib/core/record.js';
import { clientConfig, connect, describePgError } from '../lib/postgres/connection.js';
import { PG_TABLE_OPTIONS, pgLocalMapping, type PgTableOptions } from '../lib/postgres/options.js';
import { buildPgSelect, readPgRecords } from '../lib/postgres/read.js';
import { resolvePgTable } from '../lib/postgres/table.js';
import { toIsoTimestamp } from '../lib/sqlite/values.js';
import { LINK_FIELD_OPTION, LINK_STORAGE, type LinkStorage } from '../lib/sync/links.js';
import { SyncState } from '../lib/sync/state.js';

export interface ReadPostgresOptions extends PgTableOptions {
  where?: Record<string, unknown>;
  since?: string;
  fetch_size: number;
  /** Optional for scripts that create the stage directly; the default as the option declares it. */
  link_field?: string;
  state_file?: string;
}

/**
 * Reads leads from a PostgreSQL table through a server-side cursor, `fetch_size` rows at a time
 * (memory stays flat at any table size), in one read-only repeatable-read transaction: the read
 * sees the table as it was when it began, whatever others write meanwhile. Records are shaped as
 * read-sqlite shapes them: the table's columns under their canonical field names, and `_meta`
 * with source `local`, the row id, modified and created times, and the values as read.
 */
export default defineStage<ReadPostgresOptions>({
  name: 'read-postgres',
  kind: 'source',
  summary: 'Reads leads from a PostgreSQL table as records, streaming rows through a server-side cursor with their id and modified time in _meta.',
  options: {
    ...PG_TABLE_OPTIONS,
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
    fetch_size: {
      type: 'integer',
      description: 'Rows fetched from the server-side cursor at a time.',
      default: 2000,
      min: 1,
      max: 100000,
      config: 'synchronization.postgres.fetch_size',
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
  async create(options, ctx) {
    const { target, from } = clientConfig(options, ctx.stage, ctx.baseDir);
    const client = await connect(options, ctx.stage, ctx.baseDir);
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      // Ending the connection ends the read's transaction and its cursor with it.
      await client.end().catch(() => undefined);
    };
    ctx.onClose(close);
    try {
      const map = await resolvePgTable(client, pgLocalMapping(options, ctx.baseDir), { stage: ctx.stage, target });
      const query = buildPgSelect(map, { where: options.where, since: options.since }, ctx.stage);
      const linkField = options.link_field ?? 'airtable_id';
      const column = (linkField && map.columnOf.get(linkField)) || null;
      const stateFile = options.state_file ? path.resolve(ctx.baseDir, options.state_file) : undefined;
      const storage = ctx.shared<LinkStorage>(
        LINK_STORAGE,
        () => ({}),
        (s) => s.run?.close(),
      );
      storage.column = column;
      storage.state_file = stateFile;
      const state = column === null && stateFile && fs.existsSync(stateFile) ? new SyncState(stateFile) : undefined;
      if (state) ctx.onClose(() => state.close());
      if (column === null)
        ctx.log.info('The table has no link column: links to Airtable records are kept in the sync state.', {
          link_field: linkField,
          state_file: stateFile ?? null,
        });
      return (async function* (): AsyncGenerator<Lead> {
        let count = 0;
        try {
          for await (const record of readPgRecords(client, map, query, options.fetch_size)) {
            if (++count % 1000 === 0 && ctx.signal.aborted) throw new AbortedError();
            if (column === null) record._meta!.link = state?.airtableIdOf(String(record._meta!.id)) ?? null;
            yield record;
          }
          ctx.log.debug('Table read.', { table: map.label, records: count });
        } catch (error) {
          if (error instanceof AbortedError || error instanceof StageError) throw error;
          throw describePgError(error, { who: ctx.stage, target, from });
        } finally {
          await close();
        }
      })();
    } catch (error) {
      await close();
      if (error instanceof Error && (error.name === 'ConfigError' || error instanceof StageError)) throw error;
      throw describePgError(error, { who: ctx.stage, target, from });
    }
  },
});
