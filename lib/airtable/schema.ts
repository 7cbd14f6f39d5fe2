import levenshtein from 'fast-levenshtein';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import type { FieldMapping } from '../core/field-mapping.js';
import type { AirtableClient } from './client.js';
import { own } from '../core/own.js';

/** One field of a table, as the metadata API describes it. */
export interface AirtableField {
  id: string;
  name: string;
  type: string;
  options?: { choices?: Array<{ name: string }>; [key: string]: unknown };
}

export interface AirtableTable {
  id: string;
  name: string;
  fields: AirtableField[];
}

/** Field types Airtable computes: writing one is refused. */
export const COMPUTED_TYPES = new Set([
  'createdTime',
  'lastModifiedTime',
  'autoNumber',
  'formula',
  'rollup',
  'count',
  'lookup',
  'multipleLookupValues',
  'createdBy',
  'lastModifiedBy',
  'button',
  'externalSyncSource',
  'aiText',
]);
const SELECT_TYPES = new Set(['singleSelect', 'multipleSelects']);
const MERGE_TYPES = new Set(['singleLineText', 'multilineText', 'email', 'url', 'phoneNumber', 'number', 'singleSelect', 'multipleSelects', 'date']);

/**
 * Fetches the schema of `table` (by name or id) from the metadata API, through the rate limiter.
 * A table the base does not have is a configuration error naming the tables it does have.
 */
export async function fetchTable(client: AirtableClient, table: string): Promise<AirtableTable> {
  const tables = await fetchTables(client, table);
  const found = tables.find((t) => t.id === table) ?? tables.find((t) => t.name === table);
  if (found) return found;
  const names = tables.map((t) => t.name);
  throw new ConfigError([
    { path: 'table', message: `Airtable base ${client.baseId} has no table '${table}'.${hint(table, names)} Its tables: ${names.join(', ') || '(none)'}.` },
  ]);
}

/** Every table of the base with its fields, from the metadata API. `table` is named in errors. */
export async function fetchTables(client: AirtableClient, table?: string): Promise<AirtableTable[]> {
  const body = await client.request<{ tables?: AirtableTable[] }>({
    method: 'GET',
    meta: true,
    path: `/bases/${encodeURIComponent(client.baseId)}/tables`,
    table,
    action: 'read the schema',
    idempotent: true,
  });
  return Array.isArray(body.tables) ? body.tables : [];
}

/** ` Did you mean 'X'?` for a name that is a typo of a known one or part of it ('Title' → 'Job Title'). */
function hint(name: string, known: string[]): string {
  const lower = name.toLowerCase();
  const distance = (candidate: string): number => {
    const other = candidate.toLowerCase();
    return other.includes(lower) || lower.includes(other) ? Math.abs(other.length - lower.length) / 10 : levenshtein.get(lower, other);
  };
  const nearest = [...known].sort((a, b) => distance(a) - distance(b))[0];
  return nearest !== undefined && distance(nearest) <= Math.max(3, name.length / 3) ? ` Did you mean '${nearest}'?` : '';
}

/** What a stage checks the table against before any data moves. */
export interface SchemaExpectations {
  mapping: FieldMapping;
  /** The stage writes: computed fields in the mapping are an error. */
  writing: boolean;
  /** The last-modified field the stage was told to use. */
  modifiedField?: string;
  /** Canonical fields to upsert on. */
  upsertFields?: string[];
  /** Values a canonical select field may be given (e.g. the engagement statuses of the config). */
  selectValues?: Record<string, readonly string[]>;
  /** Typecast creates missing select options, so unknown values are no error. */
  typecast?: boolean;
}

/**
 * Checks the field mapping (and the other fields a stage relies on) against the table, and
 * reports every mismatch at once, each with what the table has instead.
 */
export function checkTable(table: AirtableTable, expect: SchemaExpectations): void {
  const issues: ConfigIssue[] = [];
  const byName = new Map(table.fields.map((f) => [f.name, f]));
  const names = table.fields.map((f) => f.name);
  const file = expect.mapping.file;
  const missing = (name: string): string =>
    `Airtable has no field '${name}' in table ${table.name}.${hint(name, names) || ` The table has ${names.join(', ')}.`}`;

  for (const [canonical, name] of Object.entries(expect.mapping.database_to_airtable)) {
    const field = byName.get(name);
    if (!field) {
      issues.push({ path: `field_mapping.database_to_airtable.${canonical}`, message: `${missing(name)} Fix ${file}.` });
    } else if (expect.writing && COMPUTED_TYPES.has(field.type)) {
      issues.push({
        path: `field_mapping.database_to_airtable.${canonical}`,
        message: `Airtable field '${name}' is computed (${field.type}) and cannot be written. Remove it from ${file} or map another field.`,
      });
    }
  }
  const sent = new Set(Object.values(expect.mapping.database_to_airtable));
  for (const name of Object.keys(expect.mapping.airtable_to_database)) {
    if (!sent.has(name) && !byName.has(name)) issues.push({ path: `field_mapping.airtable_to_database.${name}`, message: `${missing(name)} Fix ${file}.` });
  }
  if (expect.modifiedField !== undefined) {
    const field = byName.get(expect.modifiedField);
    if (!field) issues.push({ path: 'modified_field', message: missing(expect.modifiedField) });
    else if (!['lastModifiedTime', 'dateTime', 'formula'].includes(field.type)) {
      issues.push({ path: 'modified_field', message: `Airtable field '${field.name}' is a ${field.type} field, not a last-modified time.` });
    }
  }
  for (const canonical of expect.upsertFields ?? []) {
    const name = own<string>(expect.mapping.database_to_airtable, canonical);
    const field = name === undefined ? undefined : byName.get(name);
    if (name === undefined)
      issues.push({ path: 'upsert_fields', message: `'${canonical}' is not in database_to_airtable of ${file}, so it cannot be upserted on.` });
    else if (field && !MERGE_TYPES.has(field.type))
      issues.push({ path: 'upsert_fields', message: `Airtable cannot upsert on '${name}' (a ${field.type} field); use a text, number, select or date field.` });
  }
  if (!expect.typecast) {
    for (const [canonical, values] of Object.entries(expect.selectValues ?? {})) {
      const field = byName.get(own<string>(expect.mapping.database_to_airtable, canonical) ?? '');
      if (!field || !SELECT_TYPES.has(field.type)) continue;
      const choices = choicesOf(field);
      const absent = values.filter((v) => !choices.has(v));
      if (absent.length) {
        issues.push({
          path: `select_values.${canonical}`,
          message: `Airtable field '${field.name}' has no option ${absent.map((v) => `'${v}'`).join(', ')} (it has ${[...choices].map((v) => `'${v}'`).join(', ')}). Add the options in Airtable, change the allowed values, or turn on typecast.`,
        });
      }
    }
  }
  if (issues.length) throw new ConfigError(issues);
}

/** The option names of a select field. */
export function choicesOf(field: AirtableField): Set<string> {
  return new Set((field.options?.choices ?? []).map((c) => c.name));
}

/** The first last-modified-time field of a table that watches every field, if any. */
export function defaultModifiedField(table: AirtableTable): string | undefined {
  const candidates = table.fields.filter((f) => f.type === 'lastModifiedTime');
  const watchesAll = candidates.find((f) => !(f.options?.referencedFieldIds as unknown[] | undefined)?.length);
  return (watchesAll ?? candidates[0])?.name;
}
