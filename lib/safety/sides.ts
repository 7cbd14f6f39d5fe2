import path from 'node:path';
import { connectionUrl } from '../postgres/connection.js';
import { isPostgresUrl, postgresSide } from '../postgres/side.js';
import type { LocalSide } from './local-side.js';
import { sqliteSide } from './sqlite-side.js';

/** What picks the local side beside the database: the PostgreSQL table and how to back it up. */
export interface LocalSideSettings {
  /** The PostgreSQL table (`table` or `schema.table`); default `leads`. */
  table?: string;
  /** Back a PostgreSQL table up with pg_dump. */
  pgDump?: boolean;
  /** Where relative TLS files are read from. */
  baseDir?: string;
  who?: string;
}

/** The local side `database` names: a `postgres://` URL is a PostgreSQL table, anything else a SQLite file. */
export function localSideOf(database: string, settings: LocalSideSettings = {}): LocalSide {
  if (isPostgresUrl(database))
    return postgresSide({ url: database.trim(), table: settings.table ?? 'leads', pgDump: settings.pgDump, baseDir: settings.baseDir, who: settings.who });
  return sqliteSide(database);
}

/** A backup or restore step's choice of local side: `postgres_table` names a PostgreSQL table (the server from the environment), else `database` a SQLite file. */
export interface LocalSideOptions {
  database?: string;
  postgres_table?: string;
  pg_dump?: boolean;
}

/** The local side of a backup or restore step; undefined when it names none. */
export function localSideOfStep(options: LocalSideOptions, baseDir: string, who: string, env: NodeJS.ProcessEnv = process.env): LocalSide | undefined {
  if (options.postgres_table) {
    const { url } = connectionUrl({}, who, env);
    return postgresSide({ url, table: options.postgres_table, pgDump: options.pg_dump, baseDir, who });
  }
  return options.database ? sqliteSide(path.resolve(baseDir, options.database)) : undefined;
}
