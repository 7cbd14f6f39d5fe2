import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { silentLogger } from '../../../lib/core/log.js';
import type { Lead } from '../../../lib/core/record.js';
import type { RecordOutput, RejectEntry, StageContext, Stage, RecordTransform } from '../../../lib/core/stage.js';
import type { StreamItem } from '../../../lib/core/types.js';

/** The repository root (the directory holding package.json), whether specs run from source or dist/. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

/** A fresh temp directory, removed after the current mocha suite. */
export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'leads-sqlite-'));
}

export interface TestContext extends StageContext {
  rejects: RejectEntry[];
  drops: Record<string, number>;
  close(): Promise<void>;
}

/** The part of a StageContext these stages use, with a fixed clock and captured rejects. */
export function makeContext(overrides: Partial<StageContext> = {}): TestContext {
  const closers: Array<() => void | Promise<void>> = [];
  const rejects: RejectEntry[] = [];
  const drops: Record<string, number> = {};
  const ctx = {
    stage: 'test',
    step: 0,
    runId: 'run-test',
    dryRun: false,
    signal: new AbortController().signal,
    log: silentLogger(),
    now: () => new Date('2026-03-01T12:00:00.000Z'),
    baseDir: process.cwd(),
    config: {},
    onError: 'tag',
    stdin: new PassThrough(),
    stdout: new PassThrough(),
    drop(reason: string) {
      drops[reason] = (drops[reason] ?? 0) + 1;
      return undefined;
    },
    reject(entry: RejectEntry) {
      rejects.push(entry);
    },
    shared<T>(_key: string, create: () => T) {
      return create();
    },
    scratchDir: () => tempDir(),
    onClose(fn: () => void | Promise<void>) {
      closers.push(fn);
    },
    rejects,
    drops,
    async close() {
      for (const fn of closers.splice(0)) await fn();
    },
    ...overrides,
  } as TestContext;
  return ctx;
}

/** Runs a source stage to the end and returns its records. */
export async function readAll<O>(stage: Stage<O>, options: O, ctx = makeContext({ stage: stage.name })): Promise<Lead[]> {
  const source = (await stage.create(options, ctx)) as AsyncIterable<Lead>;
  const out: Lead[] = [];
  try {
    for await (const record of source) out.push(record);
  } finally {
    await ctx.close();
  }
  return out;
}

/** Runs a transform or sink over `items`, flush included, and returns what it emitted in order. */
export async function runThrough<O>(stage: Stage<O>, options: O, items: StreamItem[], ctx = makeContext({ stage: stage.name })): Promise<StreamItem[]> {
  const instance = (await stage.create(options, ctx)) as RecordTransform;
  const out: StreamItem[] = [];
  const take = (value: RecordOutput) => {
    if (Array.isArray(value)) out.push(...value);
    else if (value !== undefined) out.push(value);
  };
  try {
    for (const item of items) take(await instance.transform(item));
    const rest = await instance.flush?.();
    if (rest && typeof rest === 'object') for await (const record of rest) take(record);
  } finally {
    await ctx.close();
  }
  return out;
}

/** Every row of a table, ordered by `order`, read on a connection of its own. */
export function rows(file: string, sql = 'SELECT * FROM leads ORDER BY id'): Array<Record<string, unknown>> {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

/** A database file in `dir` made from a fixture under spec/fixtures/sqlite. */
export function fixtureDatabase(dir: string, fixture: string, name = 'leads.db'): string {
  const file = path.join(dir, name);
  const db = new Database(file);
  db.exec(fs.readFileSync(path.join(packageRoot(), 'spec/fixtures/sqlite', fixture), 'utf8'));
  db.close();
  return file;
}

/** A database file with the default schema holding `leads` (each with an id). */
export async function defaultDatabase(dir: string, leads: Array<Record<string, unknown>>, name = 'leads.db'): Promise<string> {
  const { migrate } = await import('../../../lib/sqlite/schema.js');
  const file = path.join(dir, name);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  migrate(db, { now: () => new Date('2026-01-01T00:00:00Z') });
  for (const lead of leads) {
    const columns = Object.keys(lead);
    db.prepare(`INSERT INTO leads (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`).run(...Object.values(lead));
  }
  db.close();
  return file;
}
