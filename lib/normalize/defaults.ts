import type { Lead } from '../core/record.js';
import { isEmpty } from './result.js';
import { own } from '../core/own.js';

/** The field-defaults rule's settings (`field_standardization.field_defaults`, seed R2.3). */
export interface FieldDefaultRules {
  /** The seed's `apply_field_defaults`: fill empty fields and flag the ones that need enrichment. */
  apply_field_defaults: boolean;
  /** Values written into empty fields. No invented data by default ("Unknown Company" was a bug). */
  defaults: Record<string, string | number | boolean>;
  /** Fields that, when empty, mark the record as needing enrichment (a `needs_enrichment` problem). */
  flag_when_empty: string[];
}

export const FIELD_DEFAULTS_DEFAULTS: FieldDefaultRules = {
  apply_field_defaults: true,
  defaults: {},
  flag_when_empty: ['email', 'company', 'linkedin_url'],
};

/** What the defaults rule does to one record: fields to fill, fields to flag. */
export interface DefaultsPlan {
  fill: Array<[field: string, value: unknown]>;
  flag: string[];
}

/** The fields of `record` the defaults rule fills (from `defaults`) and flags (from `flag_when_empty`). */
export function planDefaults(record: Lead, rules: FieldDefaultRules): DefaultsPlan {
  const plan: DefaultsPlan = { fill: [], flag: [] };
  if (!rules.apply_field_defaults) return plan;
  for (const field in rules.defaults) if (isEmpty(own(record, field))) plan.fill.push([field, rules.defaults[field]]);
  for (const field of rules.flag_when_empty) {
    if (isEmpty(own(record, field)) && !plan.fill.some(([filled]) => filled === field)) plan.flag.push(field);
  }
  return plan;
}
