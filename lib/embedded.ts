import path from 'node:path';
import { startEmulator, type Emulator } from './airtable-emulator/index.js';
import { loadFieldMapping } from './field-mapping.js';
import { canonicalEngagementStatus } from './normalize/status.js';
import type { Lead } from './record.js';
import { defaultStateDir, privateDatabaseFile, privateDir } from './safety/files.js';
import { StageError } from './errors.js';
import { LockError } from './safety/errors.js';
import { acquireLock } from './safety/lock.js';
import { ensureSampleDatabase, generateSampleLeads } from './sqlite/sample.js';

/** The lock owner while the sample is created (a setup that died holding it is taken over by the next). */
const SETUP_RUN_ID = 'sample-data-setup';

/**
 * The embedded default: with no Airtable credentials, the tool runs on a local SQLite file and
 * the project's own Airtable emulator (in this process, on a free loopback port), both filled with
 * messy sample leads the first time. Both live in one data directory and survive between runs,
 * so a second run finds the clean state the first one left.
 */
export interface EmbeddedDefault {
  /** Environment for the run: the emulator's endpoint, token and base, and the database path. */
  env: Record<string, string>;
  database: string;
  baseFile: string;
  createdDatabase: boolean;
  seededBase: boolean;
  emulator: Emulator;
  close(): Promise<void>;
}

/**
 * Starts the emulator and creates the sample data that is missing. It is used only when asked
 * for (`db-maintenance --sample`), never as a fallback for a configuration that lacks something.
 * The sample is created under the lock a run takes on the sample database, so two first runs at
 * once cannot both seed it: the second finds the lock held and stops, as it would at its backup.
 * Every file is private (0600 in a 0700 directory): sample leads are lead data like any other.
 */
export async function startEmbeddedDefault(dataDir: string, options: { count?: number } = {}): Promise<EmbeddedDefault> {
  privateDir(dataDir);
  const database = path.join(dataDir, 'leads.db');
  const baseFile = path.join(dataDir, 'airtable-base.db');
  const count = options.count ?? 200;
  let lock;
  try {
    lock = acquireLock(defaultStateDir(database), [database], { runId: SETUP_RUN_ID });
  } catch (error) {
    // Another run is using the sample: a plain message, as when a run's backup finds the lock held.
    if (error instanceof LockError) throw new StageError('sample', error.message, { cause: error });
    throw error;
  }
  let createdDatabase: boolean;
  let emulator: Emulator;
  let seededBase = false;
  try {
    createdDatabase = ensureSampleDatabase(database, { count, seed: 1 });
    emulator = await startEmulator({ port: 0, dataFile: privateDatabaseFile(baseFile) });
    if (emulator.dump('Leads').length === 0) {
      emulator.seed('Leads', sampleAirtableRecords(count));
      seededBase = true;
    }
  } finally {
    lock.release();
  }
  return {
    env: {
      AIRTABLE_TOKEN: 'emulator-token',
      AIRTABLE_BASE_ID: emulator.baseId,
      AIRTABLE_ENDPOINT_URL: emulator.url,
      LEADS_DB: database,
    },
    database,
    baseFile,
    createdDatabase,
    seededBase,
    emulator,
    close: () => emulator.close(),
  };
}

/**
 * Sample Airtable records: a third of the local sample's people again (the same generator and
 * seed, so the same people, with their own variants), plus people only Airtable has. Engagement
 * statuses are the base's select options, as real Airtable data can only hold those.
 */
function sampleAirtableRecords(count: number): Record<string, unknown>[] {
  const mapping = loadFieldMapping().database_to_airtable;
  const rows: Record<string, unknown>[] = [];
  const toAirtable = (record: Lead): Record<string, unknown> => {
    const fields: Record<string, unknown> = {};
    for (const [field, name] of Object.entries(mapping)) {
      let value = record[field];
      if (field === 'engagement_status' && typeof value === 'string') value = canonicalEngagementStatus(value).value;
      if (value !== null && value !== undefined && value !== '') fields[name] = value;
    }
    return fields;
  };
  let i = 0;
  for (const { record } of generateSampleLeads(count, { seed: 1 })) if (i++ % 3 === 0) rows.push(toAirtable(record));
  for (const { record } of generateSampleLeads(Math.ceil(count / 4), { seed: 2 })) rows.push(toAirtable(record));
  return rows;
}
