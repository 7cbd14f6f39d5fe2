import { isoSecond } from './ids.js';
import { lastModifiedOf } from './cells.js';
import { renderRecord } from './serialize.js';
import { commitStored, validateFields, type AddedChoices, type WriteContext } from './write.js';
import type { BaseDef, TableDef } from './schema.js';
import type { Store } from './store.js';

/** Options of a direct load into the store. */
export interface SeedOptions {
  baseId?: string;
  /** Convert values and create missing select choices, as `typecast` does (default true: seed data may be messy). */
  typecast?: boolean;
  /** Creation time of the seeded records (default: the emulator's clock). */
  createdTime?: number;
}

/** A record as `dump` returns it: the API view plus the last-modified time. */
export interface DumpedRecord {
  id: string;
  createdTime: string;
  lastModified: string;
  fields: Record<string, unknown>;
}

export function findTable(store: Store, baseId: string, table: string): { base: BaseDef; table: TableDef } {
  const base = store.base(baseId);
  const def = base?.tables.find((t) => t.id === table || t.name === table);
  if (!base || !def) throw new Error(`The emulator has no table ${table} in base ${baseId}.`);
  return { base, table: def };
}

/**
 * Loads records straight into the store: no HTTP, no rate limit, no 10-record cap, one
 * transaction. Values are validated as the API would, so a seed cannot hold what the API
 * could never return.
 */
export function seedRecords(store: Store, baseId: string, table: string, rows: Record<string, unknown>[], now: number, opts: SeedOptions = {}): string[] {
  const found = findTable(store, baseId, table);
  const ctx: WriteContext = { store, ...found, now: opts.createdTime ?? now, typecast: opts.typecast ?? true, byFieldId: false };
  const added: AddedChoices = new Map();
  const writes = rows.map((fields) => ({ cells: validateFields(ctx, fields, added) }));
  return commitStored(ctx, writes, false, added).map((r) => r.id);
}

/** Every record of a table in creation order, with computed fields and last-modified time. */
export function dumpRecords(store: Store, baseId: string, table: string, now: number): DumpedRecord[] {
  const found = findTable(store, baseId, table);
  return [...store.records(found.table.id).values()].map((r) => {
    const api = renderRecord(found.table, r, { now });
    return { id: api.id, createdTime: api.createdTime, lastModified: isoSecond(lastModifiedOf(r, [])!), fields: api.fields };
  });
}
