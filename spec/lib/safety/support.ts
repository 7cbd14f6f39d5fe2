import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createSampleDatabase, generateSampleLeads } from '../../../lib/sqlite/sample.js';
import { tempDir } from '../../helpers.js';

/** The seeded generator, so "random" kill points are the same on every run. */

/** Every row of a table, all columns, in id order. */
export function tableRows(file: string, table = 'leads'): Array<Record<string, unknown>> {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(`SELECT * FROM "${table}" ORDER BY id`).all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

/** A work directory with a sample lead database (`leads.db`) and a local-only maintenance pipeline. */
export function localWorkspace(options: { count?: number; seed?: number; batch?: number; extraSteps?: string; airtableOnly?: number } = {}): {
  dir: string;
  database: string;
  pipeline: string;
} {
  const dir = tempDir('safety-');
  const database = path.join(dir, 'leads.db');
  createSampleDatabase(database, { count: options.count ?? 60, seed: options.seed ?? 5 });
  const pipeline = path.join(dir, 'maintain.yaml');
  if (options.airtableOnly) {
    // An Airtable export of leads the database lacks: diff plans a local create for each.
    const lines = [...generateSampleLeads(options.airtableOnly, { seed: 77 })].map(({ record }, i) =>
      JSON.stringify({
        name: record.name,
        email: record.email,
        company: record.company,
        title: record.title,
        _meta: { source: 'airtable', id: `recAirtableOnly${String(i).padStart(3, '0')}`, modified_at: '2026-01-15T00:00:00.000Z' },
      }),
    );
    fs.writeFileSync(path.join(dir, 'airtable.jsonl'), lines.join('\n') + '\n');
  }
  fs.writeFileSync(
    pipeline,
    [
      'steps:',
      '  - backup: { database: leads.db, backup_directory: backups, systems: [local] }',
      ...(options.airtableOnly ? ['  - read-jsonl: { path: airtable.jsonl }'] : []),
      '  - read-sqlite: { database: leads.db }',
      '  - normalize: {}',
      '  - diff: { direction: to_local }',
      `  - write-sqlite: { database: leads.db, batch_size: ${options.batch ?? 7} }`,
      options.extraSteps ?? '',
    ].join('\n'),
  );
  return { dir, database, pipeline };
}

/** Every file below `dir`, recursively. */
export function filesBelow(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesBelow(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** Rows without their ids, sorted: new rows get fresh ids, so runs are compared by content. */
export function contentOf(rows: Array<Record<string, unknown>>): string[] {
  return rows.map(({ id: _id, ...rest }) => JSON.stringify(rest)).sort();
}

/**
 * Runs `task` on every item, at most `limit` at a time, each starting as soon as one ends (the
 * kill-point matrices: each point is a world of its own, and most of a point's time is spent
 * waiting on a child process, fsync or the emulator). Resolves to the results in item order.
 */
export async function eachAtMost<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
