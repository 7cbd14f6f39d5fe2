import { COMPUTED_TYPES } from '../../airtable/schema.js';
import { ENGAGEMENT_STATUS_DEFAULTS, statusKey, statusLookup } from '../../normalize/status.js';
import type { SourceColumn } from './inspect.js';
import { fieldByKeyword, fieldByName, nameKey, NOT_PROPOSED, type CanonicalField } from './names.js';
import { columnShape, describeShape, isPresent, type Shape } from './shapes.js';

/** A column (or Airtable field) proposed as a canonical field, and why. */
export interface Mapped {
  source: string;
  field: string;
  why: string;
}

/** A column (or field) left as it is, and why. */
export interface LeftOut {
  source: string;
  why: string;
}

export interface SideMatch {
  mapped: Mapped[];
  leftOut: LeftOut[];
}

/** How sure a proposal is: a lower rank wins a field another column also wants. */
interface Candidate extends Mapped {
  rank: number;
}

/** The field a value shape stands for, when the name says nothing. */
const FIELD_OF_SHAPE: Partial<Record<Shape, CanonicalField>> = { email: 'email', linkedin_url: 'linkedin_url', url: 'company_website', phone: 'phone' };

/** The shapes a field's values may have, to confirm a keyword in a name. */
const SHAPES_OF_FIELD: Partial<Record<CanonicalField, Shape[]>> = {
  email: ['email'],
  linkedin_url: ['linkedin_url'],
  company_website: ['url'],
  phone: ['phone'],
};

/** Airtable field types that say what a field holds. */
const FIELD_OF_TYPE: Record<string, CanonicalField> = { email: 'email', phoneNumber: 'phone' };

/** Airtable computes these; they are never a lead's data. */
const COMPUTED = COMPUTED_TYPES;

const STATUSES = statusLookup(ENGAGEMENT_STATUS_DEFAULTS);

/** Whether most of the values are engagement statuses (Auto-Send, Sent, Skipped, …). */
function looksLikeStatuses(values: readonly unknown[]): boolean {
  const present = values.filter((v) => isPresent(v) && typeof v === 'string') as string[];
  return present.length > 0 && present.filter((v) => STATUSES.has(statusKey(v))).length / present.length >= 0.8;
}

/** The best proposal for one column, if any. */
function candidate(column: SourceColumn, airtable: boolean): Candidate | undefined {
  const { name } = column;
  const values = [...column.values, ...(column.choices ?? [])];
  const shape = columnShape(values);
  const byName = fieldByName(name);
  if (byName) return { source: name, field: byName, rank: byName === name ? 0 : 1, why: 'by its name' };
  const keyword = fieldByKeyword(name);
  const typed = airtable ? FIELD_OF_TYPE[column.type] : undefined;
  if (
    keyword &&
    (SHAPES_OF_FIELD[keyword]!.includes(shape!) ||
      typed === keyword ||
      (column.type === 'url' && shape === undefined && (keyword === 'company_website' || keyword === 'linkedin_url')))
  ) {
    return { source: name, field: keyword, rank: 2, why: shape ? `by its name and values (${describeShape(shape)})` : `by its name and type (${column.type})` };
  }
  if (typed) return { source: name, field: typed, rank: 3, why: `by its type (${column.type})` };
  if (airtable && column.type === 'url' && shape !== undefined) {
    return {
      source: name,
      field: shape === 'linkedin_url' ? 'linkedin_url' : 'company_website',
      rank: 3,
      why: `by its type (url) and values (${describeShape(shape)})`,
    };
  }
  if ((column.type === 'singleSelect' || !airtable) && looksLikeStatuses(values)) {
    return { source: name, field: 'engagement_status', rank: 4, why: 'by its values (engagement statuses)' };
  }
  const byShape = shape && FIELD_OF_SHAPE[shape];
  if (byShape) return { source: name, field: byShape, rank: 4, why: `by its values (${describeShape(shape)}); check it` };
  return undefined;
}

/** What a column left out is, in a few words for its comment. */
export function leftOutWhy(column: SourceColumn, airtable: boolean): string {
  if (airtable && COMPUTED.has(column.type)) return `computed by Airtable (${column.type})`;
  const kind = airtable ? column.type : describeShape(columnShape(column.values));
  const choices = column.choices?.length ? `: ${column.choices.slice(0, 6).join(', ')}${column.choices.length > 6 ? ', …' : ''}` : '';
  return `${kind}${choices}; no lead field by its name or values`;
}

/**
 * Proposes a canonical field for each column of one side: by name, else by a word in the name
 * that the values confirm, else (Airtable) by the field's type, else by the values' shape. Each
 * field goes to one column; a weaker claim to a field already taken is left out, saying which
 * column took it.
 *
 * @param skip - columns already spoken for (the id, modified and created columns).
 */
export function matchColumns(columns: readonly SourceColumn[], options: { airtable: boolean; skip?: ReadonlySet<string> }): SideMatch {
  const candidates: Array<Candidate & { index: number }> = [];
  const leftOut = new Map<string, LeftOut & { index: number }>();
  columns.forEach((column, index) => {
    if (options.skip?.has(column.name)) return;
    const found = options.airtable && COMPUTED.has(column.type) ? undefined : candidate(column, options.airtable);
    if (found) candidates.push({ ...found, index });
    else leftOut.set(column.name, { source: column.name, why: notProposedWhy(column) ?? leftOutWhy(column, options.airtable), index });
  });
  candidates.sort((a, b) => a.rank - b.rank || a.index - b.index);
  const taken = new Map<string, Candidate>();
  for (const c of candidates) {
    const holder = taken.get(c.field);
    if (holder) leftOut.set(c.source, { source: c.source, why: `also looks like ${c.field} (${c.why}), but '${holder.source}' took it`, index: c.index });
    else taken.set(c.field, c);
  }
  const order = (a: { index: number }, b: { index: number }): number => a.index - b.index;
  const index = (name: string): number => columns.findIndex((c) => c.name === name);
  return {
    mapped: [...taken.values()]
      .map((c) => ({ source: c.source, field: c.field, why: c.why, index: index(c.source) }))
      .sort(order)
      .map(({ source, field, why }) => ({ source, field, why })),
    leftOut: [...leftOut.values()].sort(order).map(({ source, why }) => ({ source, why })),
  };
}

/** Why a column named as one of the schema's bookkeeping columns (status, airtable_id) is left as it is. */
function notProposedWhy(column: SourceColumn): string | undefined {
  const key = nameKey(column.name);
  const own = NOT_PROPOSED.find((n) => nameKey(n) === key);
  if (own === 'airtable_id' || columnShape(column.values) === 'airtable_id')
    return 'holds Airtable record ids; not needed: the link between systems is kept in the run state';
  if (own === 'status' || own === 'sync_status') return 'the tool keeps its own pipeline status under this name; carried through as it is';
  return undefined;
}
