import Database from 'better-sqlite3';

/** Scratch SQLite databases for state that grows with the data: fast to fill, never kept. */

/** Opens a scratch database: no journal, no fsync, a small page cache (memory stays flat). */
export function scratch(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -4000');
  return db;
}

/** A 53-bit hash of a string (two FNV-1a variants), exact in a JavaScript number and in SQLite. */
export function hash53(text: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return (h2 >>> 11) * 0x100000000 + (h1 >>> 0);
}
