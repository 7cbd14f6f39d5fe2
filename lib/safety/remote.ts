import { loadFieldMapping } from '../field-mapping.js';
import { AirtableTable, type AirtableRow } from './airtable.js';
import type { JournaledOp, JournalTarget } from './journal.js';
import { sameCell } from './local.js';

type AirtableTargetEntry = Extract<JournalTarget, { system: 'airtable' }>;

/**
 * Airtable access for resume and rollback. Journaled operations carry canonical field names;
 * the field mapping turns them into the base's names. Airtable omits empty cells, so an absent
 * field equals null.
 */
export class AirtableUndo {
  private readonly names: Record<string, string>;

  constructor(readonly client: AirtableTable, target: AirtableTargetEntry) {
    this.names = loadFieldMapping(target.field_mapping).database_to_airtable;
  }

  /** Canonical fields → Airtable fields (unmapped names pass as they are). */
  toAirtable(fields: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(fields)) {
      if (field === '_meta' || value === undefined) continue;
      out[this.names[field] ?? field] = value === '' ? null : value;
    }
    return out;
  }

  holds(row: AirtableRow, fields: Record<string, unknown>): boolean {
    return Object.entries(this.toAirtable(fields)).every(([name, value]) => sameCell(row.fields[name], value));
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
   * Undoes one applied operation. A deleted record comes back with a new id (Airtable cannot
   * reuse ids); it is returned so local links can follow. Returns a conflict sentence when the
   * record changed since the run wrote it and `force` is off.
   */
  async undo(op: JournaledOp, force: boolean): Promise<{ conflict?: string; newId?: string }> {
    const id = op.result?.id ?? op.id;
    if (op.action === 'create') {
      const row = id ? await this.client.find(id) : undefined;
      if (!row) return {};
      if (!force && !this.holds(row, op.fields)) return { conflict: `Airtable record ${id} (created by the run) was changed since; left in place` };
      await this.client.destroy([id!]);
      return {};
    }
    if (op.action === 'delete') {
      if (id && (await this.client.find(id))) return {};
      const fields = Object.fromEntries(Object.entries(this.toAirtable(op.replaces)).filter(([, v]) => v !== null));
      const [newId] = await this.client.create([fields]);
      return { newId };
    }
    const row = id ? await this.client.find(id) : undefined;
    if (!row) return { conflict: `Airtable record ${id} (updated by the run) was deleted since; not recreated` };
    if (!force && !this.holds(row, op.fields)) return { conflict: `Airtable record ${id} was changed since the run updated it; left as it is` };
    const back = this.toAirtable(Object.fromEntries(Object.keys(op.fields).map((f) => [f, op.replaces[f] ?? null])));
    if (Object.keys(back).length) await this.client.update([{ id: id!, fields: back }]);
    return {};
  }
}

function formulaValue(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
