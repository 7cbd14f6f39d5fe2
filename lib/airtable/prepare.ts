import type { FieldMapping } from '../core/field-mapping.js';
import type { Operation } from '../core/operation.js';
import { choicesOf, COMPUTED_TYPES, type AirtableTable } from './schema.js';
import type { WriteAction, WriteItem, WriteOutcome } from './write.js';
import { own, setOwn } from '../core/own.js';

/** An operation ready to send: its batch kind and the record with Airtable field names. */
export interface PreparedOp {
  op: Operation;
  action: WriteAction;
  item: WriteItem;
  /** For an upsert: its merge values, so one batch never holds the same lead twice. */
  key?: string;
  /** Set when the operation needs no request (nothing to change) or cannot be sent (bad value). */
  outcome?: WriteOutcome;
}

export interface PrepareSettings {
  table: AirtableTable;
  mapping: FieldMapping;
  typecast: boolean;
  /** Airtable names of the upsert fields; empty for plain creates. */
  mergeOn: string[];
}

/**
 * Maps an operation's canonical fields to Airtable names and checks them against the schema
 * before anything is sent: a field with no Airtable name, a computed field, or a select value
 * the field has no option for fails the operation alone, with the field named.
 */
export function prepareOperation(op: Operation, s: PrepareSettings): PreparedOp {
  const fail = (error: string, field?: string): PreparedOp => ({
    op,
    action: 'update',
    item: { fields: {} },
    outcome: { status: 'failed', id: op.id, error, field },
  });
  if ((op.action === 'update' || op.action === 'delete') && !op.id)
    return fail(`An ${op.action} needs the Airtable record id (rec…); this operation has none.`);
  if (op.action === 'delete') return { op, action: 'delete', item: { id: op.id, fields: {} } };

  const fields: Record<string, unknown> = {};
  for (const [canonical, value] of Object.entries(op.fields)) {
    const name = own<string>(s.mapping.database_to_airtable, canonical);
    if (name === undefined)
      return fail(
        `Field '${canonical}' has no Airtable name in database_to_airtable of ${s.mapping.file}; map it or leave it out of the Airtable operations.`,
        canonical,
      );
    const field = s.table.fields.find((f) => f.name === name);
    if (!field) return fail(`Airtable has no field '${name}' in table ${s.table.name}; fix ${s.mapping.file}.`, name);
    if (COMPUTED_TYPES.has(field.type)) return fail(`Airtable field '${name}' is computed (${field.type}) and cannot be written.`, name);
    if (!s.typecast && value !== null && value !== '' && (field.type === 'singleSelect' || field.type === 'multipleSelects')) {
      const choices = choicesOf(field);
      const bad = (Array.isArray(value) ? value : [value]).find((v) => !choices.has(String(v)));
      if (bad !== undefined) {
        return fail(
          `'${String(bad)}' is not an option of Airtable field '${name}' (options: ${[...choices].join(', ')}); fix the value, add the option in Airtable, or turn on typecast.`,
          name,
        );
      }
    }
    setOwn(fields, name, value === undefined ? null : value);
  }
  if (op.action === 'update') {
    if (Object.keys(fields).length === 0) return { op, action: 'update', item: { id: op.id, fields }, outcome: { status: 'skipped', id: op.id } };
    return { op, action: 'update', item: { id: op.id, fields } };
  }
  const mergeValues = s.mergeOn.map((name) => own(fields, name));
  if (s.mergeOn.length && mergeValues.every((v) => v !== undefined && v !== null && v !== '')) {
    return { op, action: 'upsert', item: { fields }, key: JSON.stringify(mergeValues) };
  }
  return { op, action: 'create', item: { fields } };
}
