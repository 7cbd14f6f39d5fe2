import type { Db } from './open.js';
import { StageError } from '../core/errors.js';

/** One versioned change to the default schema. Versions only ever grow; a migration is never edited once released. */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/** An ISO 8601 UTC timestamp as SQLite writes it, matching `Date.toISOString()`. */
const NOW = `(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

/**
 * The default `leads` schema for new databases, modelled on the original lead database but with
 * its lessons applied: empty values are stored as NULL (CHECKs keep `''` out of the match and
 * link columns), duplicates may exist (they are what dedupe is for), so the match columns get plain
 * partial indexes instead of a UNIQUE that broke on empty strings; only an Airtable link is
 * unique. Pipeline `status` and Airtable's `engagement_status` are separate columns, so one
 * never overwrites the other.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'Create the leads table with indexes on the match and link columns.',
    sql: `
      CREATE TABLE leads (
        id TEXT PRIMARY KEY NOT NULL,
        name TEXT,
        email TEXT CHECK (email <> ''),
        company TEXT,
        title TEXT,
        linkedin_url TEXT CHECK (linkedin_url <> ''),
        company_website TEXT,
        phone TEXT,
        location TEXT,
        industry TEXT,
        company_size TEXT,
        source TEXT,
        status TEXT DEFAULT 'new',
        engagement_status TEXT,
        lead_score INTEGER,
        enriched INTEGER NOT NULL DEFAULT 0 CHECK (enriched IN (0, 1)),
        notes TEXT,
        airtable_id TEXT CHECK (airtable_id <> ''),
        airtable_synced TEXT,
        sync_status TEXT DEFAULT 'pending',
        created_at TEXT NOT NULL DEFAULT ${NOW},
        updated_at TEXT NOT NULL DEFAULT ${NOW}
      );
      CREATE INDEX leads_email ON leads (email COLLATE NOCASE) WHERE email IS NOT NULL;
      CREATE INDEX leads_linkedin_url ON leads (linkedin_url COLLATE NOCASE) WHERE linkedin_url IS NOT NULL;
      CREATE INDEX leads_phone ON leads (phone) WHERE phone IS NOT NULL;
      CREATE INDEX leads_company ON leads (company COLLATE NOCASE) WHERE company IS NOT NULL;
      CREATE UNIQUE INDEX leads_airtable_id ON leads (airtable_id) WHERE airtable_id IS NOT NULL;
      CREATE INDEX leads_sync_status ON leads (sync_status);
    `,
  },
];

/** The newest schema version this build knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

function ensureMigrationsTable(db: Db): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY NOT NULL,
    description TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
}

/** The versions already applied to `db` (none for a database this tool did not create). */
export function appliedVersions(db: Db): number[] {
  const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).get();
  if (!exists) return [];
  return db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all() as number[];
}

/**
 * Applies the migrations `db` lacks, each in its own transaction with its row in
 * `schema_migrations`; applying twice is a no-op. Refuses a database whose `leads` table this
 * tool did not create, since the default schema's DDL would not fit a drifted table: map such
 * a table in `config/field-mapping.yaml` instead.
 *
 * @returns the versions applied now.
 */
export function migrate(db: Db, options: { now?: () => Date; file?: string } = {}): number[] {
  const done = new Set(appliedVersions(db));
  if (done.size === 0) {
    const leads = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'leads'`).get();
    if (leads) {
      const which = options.file ? `The database ${options.file}` : 'The database';
      throw new StageError(
        'migrate',
        `${which} already has a leads table that this tool did not create, so the default schema is not applied to it. Map its columns in config/field-mapping.yaml (local: section) instead.`,
      );
    }
  }
  const now = options.now ?? (() => new Date());
  const applied: number[] = [];
  ensureMigrationsTable(db);
  const record = db.prepare('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)');
  for (const migration of MIGRATIONS) {
    if (done.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.version, migration.description, now().toISOString());
    }).immediate();
    applied.push(migration.version);
  }
  return applied;
}
