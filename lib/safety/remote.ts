import { loadFieldMapping } from '../core/field-mapping.js';
import { MAX_BATCH } from '../airtable/write.js';
import type { AirtableTable, AirtableRow } from './airtable.js';
import type { JournaledOp } from '../core/journal-read.js';
import { UPSERTED_EXISTING, type JournalTarget } from '../core/journal.js';
import { sameCell } from './local.js';
import { own, setOwn } from '../core/own.js';

type AirtableTargetEntry = Extract<JournalTarget, { system: 'airtable' }>;

/**
 * Airtable access for resume and rollback. Journaled operations carry canonical field names;
 * the field mapping turns them into the base's names. Airtable omits empty cells, so an absent
 * field equals null.
 */
export class AirtableUndo {
  private readonly names: Record<string, string>;

  constructor(
    readonly client: AirtableTable,
    target: AirtableTargetEntry,
  ) {
    this.names = loadFieldMapping(target.field_mapping).database_to_airtable;
  }

  /** Canonical fields → Airtable fields (unmapped names pass as they are). */
  toAirtable(fields: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(fields)) {
      if (field === '_meta' || value === undefined) continue;
      setOwn(out, own<string>(this.names, field) ?? field, value === '' ? null : value);
    }
    return out;
  }

  holds(row: AirtableRow, fields: Record<string, unknown>): boolean {
    return Object.entries(this.toAirtable(fields)).every(([name, value]) => sameCell(own(row.fields, name), value));
  }

  /** The record a create with unknown outcome would have made, looked up by its values. */
  async findCreated(op: JournaledOp): Promise<string | undefined> {
    const fields = Object.entries(this.toAirtable(op.fields)).filter(([, v]) => v !== null && (typeof v === 'string' || typeof v === 'number'));
    if (fields.length === 0) return undefined;
    const formula = `AND(${fields.map(([name, value]) => `{${name.replace(/[{}]/g, '')}} = ${formulaValue(value)}`).join(', ')})`;
    for await (const row of this.client.records(formula)) if (this.holds(row, op.fields)) return row.id;
    return undefined;
  }

  async probe(op: JournaledOp): Promise<{ applied: boolean; id?: string }> {
    if (op.action === 'create') {
      const id = await this.findCreated(op);
      return id === undefined ? { applied: false } : { applied: true, id };
    }
    const row = op.id ? await this.client.find(op.id) : undefined;
    if (op.action === 'delete') return { applied: row === undefined, id: op.id };
    return { applied: row !== undefined && this.holds(row, op.fields), id: op.id };
  }

  /**
   * Undoes a group of applied operations on distinct records with as few requests as Airtable
   * allows: one listing reads all their current states, then deletes, updates and re-creates go
   * 10 records per request. (One request per operation would make the rollback of a large run take
   * hours at 5 requests per second.) `done` hears of each operation as soon as its request is
   * answered, so the caller journals it before the next request: a rollback stopped half-way (a
   * quota, an outage) knows exactly what it undid, and running it again re-creates nothing twice.
   * A dry run only reads and plans.
   */
  async undoMany(ops: JournaledOp[], force: boolean, done: (index: number, outcome: UndoOutcome) => void, dryRun = false): Promise<void> {
    const idOf = (op: JournaledOp): string | undefined => op.result?.id ?? op.id;
    const ids = [...new Set(ops.map(idOf).filter((id): id is string => Boolean(id)))];
    const current = new Map<string, AirtableRow>();
    for (let i = 0; i < ids.length; i += 50) {
      const formula = `OR(${ids
        .slice(i, i + 50)
        .map((id) => `RECORD_ID() = ${formulaValue(id)}`)
        .join(', ')})`;
      for await (const row of this.client.records(formula)) current.set(row.id, row);
    }
    const destroy: Array<{ at: number; id: string }> = [];
    const update: Array<{ at: number; id: string; fields: Record<string, unknown> }> = [];
    const recreate: Array<{ at: number; fields: Record<string, unknown> }> = [];
    ops.forEach((op, at) => {
      const id = idOf(op);
      const row = id ? current.get(id) : undefined;
      if (op.action === 'create') {
        if (op.result?.error === UPSERTED_EXISTING)
          done(at, {
            conflict: `Airtable record ${id} existed before the run (an upsert updated it); its earlier values are not in the journal, so it was left as it is`,
          });
        else if (row && !force && !this.holds(row, op.fields))
          done(at, { conflict: `Airtable record ${id} (created by the run) was changed since; left in place` });
        else if (row) destroy.push({ at, id: id! });
        else done(at, {});
      } else if (op.action === 'delete') {
        // The record as the base held it (every writable field, mapped or not) when the run journaled
        // it; older journals have only the mapped fields it replaced.
        if (!row)
          recreate.push({
            at,
            fields: Object.fromEntries(Object.entries(op.before ?? this.toAirtable(op.replaces)).filter(([, v]) => v !== null && v !== undefined)),
          });
        else done(at, {});
      } else if (!row) {
        done(at, { conflict: `Airtable record ${id} (updated by the run) was deleted since; not recreated` });
      } else if (!force && !this.holds(row, op.fields)) {
        done(at, { conflict: `Airtable record ${id} was changed since the run updated it; left as it is` });
      } else {
        const back = this.toAirtable(Object.fromEntries(Object.keys(op.fields).map((f) => [f, op.replaces[f] ?? null])));
        if (Object.keys(back).length) update.push({ at, id: id!, fields: back });
        else done(at, {});
      }
    });
    if (dryRun) {
      for (const item of [...destroy, ...update, ...recreate]) done(item.at, {});
      return;
    }
    for (let i = 0; i < destroy.length; i += MAX_BATCH) {
      const chunk = destroy.slice(i, i + MAX_BATCH);
      await this.client.destroy(chunk.map((d) => d.id));
      for (const d of chunk) done(d.at, {});
    }
    for (let i = 0; i < update.length; i += MAX_BATCH) {
      const chunk = update.slice(i, i + MAX_BATCH);
      await this.client.update(chunk.map(({ id, fields }) => ({ id, fields })));
      for (const u of chunk) done(u.at, {});
    }
    for (let i = 0; i < recreate.length; i += MAX_BATCH) {
      const chunk = recreate.slice(i, i + MAX_BATCH);
      const newIds = await this.client.create(chunk.map((r) => r.fields));
      chunk.forEach((r, n) => {
        done(r.at, { newId: newIds[n] });
      });
    }
  }
}

/** What undoing one operation of a group came to. */
export interface UndoOutcome {
  conflict?: string;
  newId?: string;
}

function formulaValue(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
