import path from 'node:path';
import { startEmulator, type Emulator } from '../airtable-emulator/index.js';
import { loadFieldMapping } from '../core/field-mapping.js';
import { canonicalEngagementStatus } from '../normalize/status.js';
import type { Logger } from '../core/log.js';
import type { Lead } from '../core/record.js';
import { privateDatabaseFile } from '../safety/files.js';
import { defaultStateDir, privateDir } from '../core/private-files.js';
import { StageError } from '../core/errors.js';
import { LockError } from '../safety/errors.js';
import { acquireLock } from '../safety/lock.js';
import { ensureSampleDatabase, generateSampleLeads } from '../sqlite/sample.js';
import { findUserConfig, USER_CONFIG_FILE } from './user-config.js';

/** The lock owner while the sample is created (a setup that died holding it is taken over by the next). */
const SETUP_RUN_ID = 'sample-data-setup';

/**
 * Sample data (`--sample`): the tool runs on a local SQLite file and the project's own Airtable
 * emulator (in this process, on a free loopback port), both filled with
 * messy sample leads the first time. Both live in one data directory and survive between runs,
 * so a second run finds the clean state the first one left.
 */
export interface SampleData {
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
export async function startSampleData(dataDir: string, options: { count?: number } = {}): Promise<SampleData> {
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
 * `--sample`: points this process's environment at the sample data in `dataDir`, leaving alone
 * whatever the environment names (the user's database, base, state directory), and, for a
 * command that runs a pipeline, starts the sample (returned, to be closed after the command).
 */
export async function useSampleData(command: string, dataDir: string, configGiven: boolean, log: Logger): Promise<SampleData | undefined> {
  delete process.env.LEADS_STATE_DIR;
  if (command === 'status') {
    process.env.LEADS_DB = path.join(dataDir, 'leads.db');
    return undefined;
  }
  const sample = await startSampleData(dataDir);
  Object.assign(process.env, sample.env);
  log.info(
    `--sample: running on SAMPLE data (${shown(sample.database)} and an emulated Airtable base in ${shown(sample.baseFile)}${sample.createdDatabase || sample.seededBase ? ', just created' : ''}). To use your own, set AIRTABLE_TOKEN, AIRTABLE_BASE_ID and LEADS_DB.`,
  );
  if (!configGiven && findUserConfig(undefined))
    log.info(`--sample uses the bundled configuration; ./${USER_CONFIG_FILE} is for your own data (give --config to use it here).`);
  return sample;
}

/** A path as the user would type it: relative when below the working directory. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative;
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
