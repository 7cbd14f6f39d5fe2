import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { stableId } from './ids.js';

/** A field in a schema file. `choices` is shorthand for select options. */
export interface FieldSchema {
  name: string;
  type: string;
  id?: string;
  description?: string;
  choices?: string[];
  options?: Record<string, unknown>;
}

/** A view: records matching `filterByFormula` (all when absent), ordered by `sort`. */
export interface ViewSchema {
  name: string;
  id?: string;
  type?: string;
  filterByFormula?: string;
  sort?: { field: string; direction?: 'asc' | 'desc' }[];
}

/** A table; its first field is the primary field. */
export interface TableSchema {
  name: string;
  id?: string;
  description?: string;
  fields: FieldSchema[];
  views?: ViewSchema[];
}

export interface BaseSchema {
  id?: string;
  name?: string;
  tables: TableSchema[];
}

/** A schema file holds one base (`tables`) or several (`bases`); the first is the default base. */
export type EmulatorSchema = BaseSchema | { bases: BaseSchema[] };

export interface Choice {
  id: string;
  name: string;
  color: string;
}
export interface FieldDef {
  id: string;
  name: string;
  type: string;
  description?: string;
  options?: Record<string, unknown>;
}
export interface ViewDef {
  id: string;
  name: string;
  type: string;
  filterByFormula?: string;
  sort?: { field: string; direction?: 'asc' | 'desc' }[];
}
export interface TableDef {
  id: string;
  name: string;
  description?: string;
  primaryFieldId: string;
  fields: FieldDef[];
  views: ViewDef[];
}
export interface BaseDef {
  id: string;
  name: string;
  tables: TableDef[];
}

/** Field types whose values Airtable computes; writing them is a 422. */
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
]);

const COLORS = [
  'blueLight2',
  'cyanLight2',
  'tealLight2',
  'greenLight2',
  'yellowLight2',
  'orangeLight2',
  'redLight2',
  'pinkLight2',
  'purpleLight2',
  'grayLight2',
];

/** Colour for the n-th choice, cycling like the Airtable UI does. */
export function choiceColor(n: number): string {
  return COLORS[n % COLORS.length]!;
}

const select = (name: string, choices: string[]): FieldSchema => ({ name, type: 'singleSelect', choices });

/**
 * The lead table of the original system (reference/original-system.md §3). The rest of the
 * product maps its canonical fields to these names, so keep them exactly as spelled here.
 */
export const DEFAULT_LEAD_SCHEMA: BaseSchema = {
  name: 'Leads',
  tables: [
    {
      name: 'Leads',
      fields: [
        { name: 'Full Name', type: 'singleLineText' },
        { name: 'Email', type: 'email' },
        { name: 'Company', type: 'singleLineText' },
        { name: 'Job Title', type: 'singleLineText' },
        { name: 'LinkedIn URL', type: 'url' },
        { name: 'Website', type: 'url' },
        { name: 'Phone', type: 'phoneNumber' },
        select('Engagement_Status', ['Auto-Send', 'Sent', 'Skipped', 'Needs Review', 'Error']),
        select('Email_Confidence_Level', ['Real', 'Pattern', 'Guess']),
        { name: 'Company_Description', type: 'multilineText' },
        { name: 'AI Message', type: 'multilineText' },
        { name: 'Date Scraped', type: 'date' },
        { name: 'Date Enriched', type: 'date' },
        { name: 'Date Messaged', type: 'date' },
        { name: 'Needs Enrichment', type: 'checkbox' },
        { name: 'Replied', type: 'checkbox' },
        select('Source', ['Search', 'Comment', 'Other']),
        select('Business_Type', ['B2B SaaS', 'Professional', 'Formal']),
        { name: 'Response Notes', type: 'multilineText' },
        { name: 'Created At', type: 'createdTime' },
        { name: 'Last Modified', type: 'lastModifiedTime' },
      ],
      views: [{ name: 'Grid view' }],
    },
  ],
};

/** Reads a YAML or JSON schema file (YAML is a superset of JSON). */
export function loadSchemaFile(file: string): EmulatorSchema {
  const parsed = parseYaml(readFileSync(file, 'utf8')) as unknown;
  if (!parsed || typeof parsed !== 'object' || !('tables' in parsed || 'bases' in parsed)) {
    throw new Error(`Schema file ${file} must have "tables" (one base) or "bases" (several).`);
  }
  return parsed as EmulatorSchema;
}

/** The bases of a schema, the first one taking `defaultBaseId` unless it names its own id. */
export function schemaBases(schema: EmulatorSchema, defaultBaseId: string): BaseSchema[] {
  const bases = 'bases' in schema ? schema.bases : [schema];
  return bases.map((b, i) => (i === 0 && !b.id ? { ...b, id: defaultBaseId } : b));
}

function dateOptions(): Record<string, unknown> {
  return { dateFormat: { name: 'iso', format: 'YYYY-MM-DD' } };
}

function fieldDef(baseId: string, tableName: string, f: FieldSchema): FieldDef {
  const id = f.id ?? stableId('fld', `${baseId}/${tableName}/${f.name}`);
  const def: FieldDef = { id, name: f.name, type: f.type };
  if (f.description) def.description = f.description;
  let options = f.options ? { ...f.options } : undefined;
  if (f.type === 'singleSelect' || f.type === 'multipleSelects') {
    const names = f.choices ?? (options?.choices as { name: string }[] | undefined)?.map((c) => c.name) ?? [];
    const choices: Choice[] = names.map((name, n) => ({ id: stableId('sel', `${id}/${name}`), name, color: choiceColor(n) }));
    options = { ...options, choices };
  } else if (f.type === 'date') {
    options = options ?? dateOptions();
  } else if (f.type === 'checkbox') {
    options = options ?? { icon: 'check', color: 'greenBright' };
  } else if (f.type === 'createdTime') {
    options = options ?? { result: { type: 'dateTime', options: { timeZone: 'utc' } } };
  } else if (f.type === 'lastModifiedTime') {
    const watched = (options?.referencedFieldNames as string[] | undefined)?.map((n) => stableId('fld', `${baseId}/${tableName}/${n}`));
    const rest = { ...options };
    delete rest.referencedFieldNames;
    options = { isValid: true, referencedFieldIds: watched ?? [], result: { type: 'dateTime', options: { timeZone: 'utc' } }, ...rest };
  } else if (f.type === 'formula') {
    options = { isValid: true, referencedFieldIds: [], ...options };
  }
  if (options) def.options = options;
  return def;
}

/** Turns a schema base into its stored definition, with ids for every table, field and view. */
export function buildBase(b: BaseSchema): BaseDef {
  const baseId = b.id!;
  const tables = b.tables.map((t): TableDef => {
    if (!t.fields?.length) throw new Error(`Table ${t.name} needs at least one field (the primary field).`);
    const fields = t.fields.map((f) => fieldDef(baseId, t.name, f));
    const views = (t.views?.length ? t.views : [{ name: 'Grid view' }]).map(
      (v): ViewDef => ({
        ...v,
        id: v.id ?? stableId('viw', `${baseId}/${t.name}/${v.name}`),
        type: v.type ?? 'grid',
      }),
    );
    const def: TableDef = { id: t.id ?? stableId('tbl', `${baseId}/${t.name}`), name: t.name, primaryFieldId: fields[0]!.id, fields, views };
    if (t.description) def.description = t.description;
    return def;
  });
  return { id: baseId, name: b.name ?? tables[0]?.name ?? baseId, tables };
}
