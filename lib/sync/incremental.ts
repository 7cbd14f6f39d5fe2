import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type { AirtableClient } from '../airtable/client.js';
import type { ApiRecord } from '../airtable/list.js';
import type { Lead } from '../core/record.js';
import type { OptionSpec, StageContext } from '../core/stage.js';
import { fetchByIds } from './fetch.js';
import { SyncState } from './state.js';
import { timeOf } from './values.js';
import { LINK_FIELD_OPTION, linkOf } from './links.js';

/** The options that make `read-airtable` read only what changed since the last successful run. */
export interface IncrementalOptions {
  incremental: boolean;
  state_file?: string;
  full_scan_every_hours: number;
  link_field: string;
}

export const INCREMENTAL_OPTIONS: { [K in keyof IncrementalOptions]-?: OptionSpec } = {
  incremental: {
    type: 'boolean',
    default: false,
    config: 'synchronization.incremental',
    description:
      "Read only the records modified since the last successful run (state_file's watermark) and the counterparts of local leads changed since, unless the last full scan is older than full_scan_every_hours.",
    example: true,
  },
  state_file: {
    type: 'path',
    description: 'The sync state saved by validate (watermark, last full scan); without it, or before the first successful run, everything is read.',
    example: 'data/sync-state.db',
  },
  full_scan_every_hours: {
    type: 'number',
    default: 24,
    min: 0,
    config: 'synchronization.full_scan_every_hours',
    description: 'How old the last full scan may be before an incremental run reads everything again, so deletions and unread duplicates are seen.',
    example: 6,
  },
  link_field: LINK_FIELD_OPTION,
};

/**
 * Whether this run may read incrementally, and from when: only with `incremental` on, a saved
 * watermark and a full scan younger than `full_scan_every_hours`. Says in the log why not.
 */
export function incrementalPlan(options: IncrementalOptions, ctx: Pick<StageContext, 'baseDir' | 'log' | 'now'>): { watermark: string } | undefined {
  if (!options.incremental) return undefined;
  const file = options.state_file ? path.resolve(ctx.baseDir, options.state_file) : undefined;
  if (!file || !fs.existsSync(file)) {
    ctx.log.info('No sync state yet: reading everything (full scan).', { state_file: file });
    return undefined;
  }
  const state = new SyncState(file);
  try {
    const watermark = state.watermark();
    const fullScan = state.lastFullScan();
    const ageHours = (ctx.now().getTime() - timeOf(fullScan)) / 3_600_000;
    if (!watermark || !fullScan || !(ageHours < options.full_scan_every_hours)) {
      ctx.log.info('The last full scan is too old or missing: reading everything (full scan).', {
        last_full_scan: fullScan ?? null,
        full_scan_every_hours: options.full_scan_every_hours,
      });
      return undefined;
    }
    ctx.log.info('Reading only what changed since the last successful run.', { watermark, last_full_scan: fullScan });
    return { watermark };
  } finally {
    state.close();
  }
}

/**
 * The counterparts an incremental read must fetch beside the changed Airtable records: the
 * Airtable records linked to local leads changed since the watermark. Their ids, and the ids
 * already sent, wait in a scratch SQLite file (memory stays flat).
 */
export class IncrementalRead {
  private readonly db: Database.Database;
  private readonly want: Database.Statement;
  private readonly done: Database.Statement;
  private readonly since: number;

  constructor(
    file: string,
    watermark: string,
    overlapSeconds: number,
    private readonly linkField: string,
  ) {
    this.since = timeOf(watermark) - overlapSeconds * 1000;
    this.db = new Database(file);
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.exec('CREATE TABLE ids (id TEXT PRIMARY KEY, sent INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID');
    this.want = this.db.prepare('INSERT OR IGNORE INTO ids (id) VALUES (?)');
    this.done = this.db.prepare('INSERT INTO ids (id, sent) VALUES (?, 1) ON CONFLICT DO UPDATE SET sent = 1');
  }

  /** A record passing upstream: a local lead changed since the watermark wants its counterpart. */
  notice(record: Lead): void {
    const meta = record._meta;
    if (meta?.source !== 'local') return;
    const link = linkOf(record, this.linkField);
    if (!link) return;
    // A lead without a readable modified time may have changed: better one fetch too many.
    const modified = timeOf(meta.modified_at);
    if (Number.isNaN(modified) || modified >= this.since) this.want.run(link);
  }

  /** An Airtable record the incremental listing already sent. */
  sent(id: string): void {
    this.done.run(id);
  }

  /** The wanted counterparts not sent yet, fetched by id, a hundred per request. */
  fetch(client: AirtableClient, table: string, fields: string[]): AsyncGenerator<ApiRecord> {
    const ids = this.db.prepare('SELECT id FROM ids WHERE sent = 0 ORDER BY id').pluck().iterate() as Iterable<string>;
    return fetchByIds(client, table, ids, fields);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
