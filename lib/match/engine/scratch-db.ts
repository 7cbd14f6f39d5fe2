import Database from 'better-sqlite3';

/** Opens a scratch database for state that grows with the data: no journal, no fsync, a small page cache (memory stays flat), never kept. */
export function scratch(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -4000');
  return db;
}
