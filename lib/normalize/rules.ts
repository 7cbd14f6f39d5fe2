import { didYouMean } from '../core/options.js';
import type { OptionProblem } from '../core/stage.js';
import { COMPANY_DEFAULTS, suffixFamily, type CompanyRules } from './company.js';
import { DATE_DEFAULTS, type DateRules } from './dates.js';
import { FIELD_DEFAULTS_DEFAULTS, type FieldDefaultRules } from './defaults.js';
import { EMAIL_DEFAULTS, type EmailRules } from './email.js';
import { LINKEDIN_DEFAULTS, type LinkedinRules } from './linkedin.js';
import { PERSON_NAME_DEFAULTS, type PersonNameRules } from './person.js';
import { countryCodeProblem, PHONE_DEFAULTS, type PhoneRules } from './phone.js';
import { ENGAGEMENT_STATUS_DEFAULTS, type EngagementStatusRules } from './status.js';
import { WEBSITE_DEFAULTS, type WebsiteRules } from './website.js';

/** The text-repair rule's settings (`field_standardization.text`): mojibake, zero-width, direction controls, whitespace. */
export interface TextRules {
  enabled: boolean;
  fields: string[];
}

/** A rule that standardizes one field names it, so a table with other column names can use it. */
type OnField<T> = T & { field: string };

/** The `field_standardization` section of the maintenance configuration, with every default filled in. */
export interface FieldStandardization {
  /** The order the rules run in (R2.5); rules not listed run after, in the default order. */
  rule_order: RuleName[];
  text: TextRules;
  email: OnField<EmailRules>;
  website_url: OnField<WebsiteRules>;
  linkedin_url: OnField<LinkedinRules>;
  company_name: OnField<CompanyRules>;
  person_name: OnField<PersonNameRules>;
  phone: OnField<PhoneRules>;
  engagement_status: OnField<EngagementStatusRules>;
  dates: DateRules;
  field_defaults: FieldDefaultRules;
}

/**
 * The rules in their default order: text repair first (every later rule sees repaired text),
 * the field rules, then dates, and defaults last so they only fill what is still empty.
 */
export const RULE_NAMES = [
  'text',
  'email',
  'website_url',
  'linkedin_url',
  'company_name',
  'person_name',
  'phone',
  'engagement_status',
  'dates',
  'field_defaults',
] as const;
export type RuleName = (typeof RULE_NAMES)[number];

/** The seed's defaults plus this project's additions (documented in config/maintenance.yaml). */
export const FIELD_STANDARDIZATION_DEFAULTS: FieldStandardization = {
  rule_order: [...RULE_NAMES],
  text: { enabled: true, fields: ['name', 'company', 'title', 'location', 'industry'] },
  email: { ...EMAIL_DEFAULTS, field: 'email' },
  website_url: { ...WEBSITE_DEFAULTS, field: 'company_website' },
  linkedin_url: { ...LINKEDIN_DEFAULTS, field: 'linkedin_url' },
  company_name: { ...COMPANY_DEFAULTS, field: 'company' },
  person_name: { ...PERSON_NAME_DEFAULTS, field: 'name' },
  phone: { ...PHONE_DEFAULTS, field: 'phone' },
  engagement_status: { ...ENGAGEMENT_STATUS_DEFAULTS, field: 'engagement_status' },
  dates: DATE_DEFAULTS,
  field_defaults: FIELD_DEFAULTS_DEFAULTS,
};

const ENUMS: Record<string, readonly string[]> = {
  'email.normalize_case': ['lower', 'preserve'],
  'website_url.preferred_protocol': ['https', 'http'],
  'dates.day_month_order': ['month_first', 'day_first'],
};

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return value.every((v) => typeof v === 'string') ? 'list of strings' : 'list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'mapping' : typeof value;
}

/** Checks one value against the type of its default; returns a message or undefined. */
function checkValue(path: string, value: unknown, model: unknown): string | undefined {
  const want = typeOf(model);
  const have = typeOf(value);
  if (want === 'list of strings' && have === 'list of strings') return undefined;
  if (want === 'mapping' && have === 'mapping') {
    const bad = Object.entries(value as object).find(([, v]) => !['string', 'number', 'boolean'].includes(typeof v));
    return bad ? `has ${bad[0]}: ${JSON.stringify(bad[1])}; each value must be text, a number or true/false` : undefined;
  }
  if (want !== have)
    return `must be ${want === 'list of strings' ? 'a list of strings' : want === 'mapping' ? 'a mapping' : `a ${want}`}, not ${have === 'mapping' || have === 'list' ? `a ${have}` : JSON.stringify(value)}`;
  const allowed = ENUMS[path];
  if (allowed && !allowed.includes(value as string)) return `must be one of ${allowed.join(', ')}, not "${String(value)}"${didYouMean(String(value), allowed)}`;
  if (typeof model === 'number' && (!Number.isInteger(value) || (value as number) < 0)) return `must be a whole number of 0 or more, not ${String(value)}`;
  return undefined;
}

/**
 * Reads a `field_standardization` mapping (as written in the config file or a pipeline step):
 * fills in defaults section by section and reports every problem as `{ path, message }` with the
 * path dotted below `field_standardization` (unknown rules and keys get a "did you mean").
 */
export function resolveRules(input: unknown): { rules: FieldStandardization; problems: OptionProblem[] } {
  const problems: OptionProblem[] = [];
  const defaults = FIELD_STANDARDIZATION_DEFAULTS as unknown as Record<string, Record<string, unknown>>;
  const merged = structuredClone(FIELD_STANDARDIZATION_DEFAULTS) as unknown as Record<string, unknown>;
  const given = input && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
  const sections = Object.keys(defaults);
  for (const [name, value] of Object.entries(given)) {
    if (!sections.includes(name)) {
      problems.push({ path: name, message: `unknown rule${didYouMean(name, sections)}; the rules are ${RULE_NAMES.join(', ')} (and rule_order)` });
      continue;
    }
    if (name === 'rule_order') {
      const order = checkOrder(value, problems);
      if (order) merged.rule_order = order;
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push({ path: name, message: `must be a mapping of ${name}'s settings, not ${JSON.stringify(value)}` });
      continue;
    }
    const section = merged[name] as Record<string, unknown>;
    const keys = Object.keys(defaults[name]);
    for (const [key, setting] of Object.entries(value)) {
      if (!keys.includes(key)) {
        problems.push({ path: `${name}.${key}`, message: `unknown setting${didYouMean(key, keys)}; ${name} takes ${keys.join(', ')}` });
        continue;
      }
      const message = checkValue(`${name}.${key}`, setting, defaults[name][key]);
      if (message) problems.push({ path: `${name}.${key}`, message });
      else section[key] = setting;
    }
  }
  const rules = merged as unknown as FieldStandardization;
  problems.push(...crossChecks(rules, given));
  return { rules, problems };
}

function checkOrder(value: unknown, problems: OptionProblem[]): RuleName[] | undefined {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    problems.push({ path: 'rule_order', message: `must be a list of rule names (${RULE_NAMES.join(', ')})` });
    return undefined;
  }
  const order: RuleName[] = [];
  value.forEach((name: string, i) => {
    if (!(RULE_NAMES as readonly string[]).includes(name))
      problems.push({ path: `rule_order.${i}`, message: `unknown rule "${name}"${didYouMean(name, RULE_NAMES)}; the rules are ${RULE_NAMES.join(', ')}` });
    else if (order.includes(name as RuleName)) problems.push({ path: `rule_order.${i}`, message: `rule "${name}" is listed twice` });
    else order.push(name as RuleName);
  });
  return [...order, ...RULE_NAMES.filter((name) => !order.includes(name))];
}

/** Problems between settings: a default that is not a valid value, an unknown country or suffix. */
function crossChecks(rules: FieldStandardization, given: Record<string, unknown>): OptionProblem[] {
  const problems: OptionProblem[] = [];
  const status = rules.engagement_status;
  if (!status.valid_values.includes(status.default_value)) {
    const where = (given.engagement_status as object | undefined) && 'default_value' in (given.engagement_status as object) ? 'default_value' : 'valid_values';
    problems.push({
      path: `engagement_status.${where}`,
      message: `the default "${status.default_value}" is not among the valid values (${status.valid_values.join(', ')})${didYouMean(status.default_value, status.valid_values)}; the valid values must be exactly the Airtable select options`,
    });
  }
  for (const [alias, target] of Object.entries(status.aliases)) {
    if (!status.valid_values.includes(target))
      problems.push({
        path: `engagement_status.aliases.${alias}`,
        message: `"${alias}" maps to "${target}", which is not among the valid values (${status.valid_values.join(', ')})${didYouMean(target, status.valid_values)}`,
      });
  }
  const country = countryCodeProblem(rules.phone.default_country);
  if (country) problems.push({ path: 'phone.default_country', message: country });
  rules.company_name.remove_suffixes.forEach((suffix, i) => {
    if (!suffixFamily(suffix))
      problems.push({
        path: `company_name.remove_suffixes.${i}`,
        message: `"${suffix}" is not a legal suffix this tool knows; known: Inc, LLC, Corp, Ltd, Ltée, Co, LLP, LP, PLC, GmbH, AG, SA, SARL, SAS, BV, NV, Pty Ltd`,
      });
  });
  return problems;
}
