import { addProblem, metaOf, setField, type Lead } from '../core/record.js';
import { canonicalCompanyName } from './company.js';
import { canonicalDate, canonicalDateTime, canonicalEpoch, isCanonicalDateTime } from './dates.js';
import { planDefaults, type FieldDefaultRules } from './defaults.js';
import { canonicalEmail } from './email.js';
import { canonicalLinkedinUrl, isCanonicalLinkedinUrl } from './linkedin.js';
import { isRepairedText, repairText } from './name.js';
import { canonicalPersonName, isCasedPersonName } from './person.js';
import { toE164 } from './phone.js';
import { memo } from './memo.js';
import { wrongType, type Canonical } from './result.js';
import type { FieldStandardization, RuleName } from './rules.js';
import { canonicalEngagementStatus, statusLookup } from './status.js';
import { canonicalWebsite } from './website.js';
import { own } from '../core/own.js';

// A company that may be built from the person's name depends on the record, so it is not memoized.
const PERSON_PLACEHOLDER = /(?:&|\band)\s*(?:associates|partners)\s*$/i;

/** Whether PERSON_PLACEHOLDER could match: it needs an `s` at the end, or whitespace after it. */
function mayEndInPlaceholder(company: string): boolean {
  const last = company.charCodeAt(company.length - 1);
  return last === 0x73 || last === 0x53 || last <= 0x20 || last > 0x7e;
}

/** Standardizes one record in place; each rule records its changes and problems in `_meta`. */
export type RecordNormalizer = (record: Lead) => void;

/** Records a problem unless the same one is already there (so normalizing twice equals once). */
function flag(record: Lead, field: string, value: unknown, code: string, message: string): void {
  const known = metaOf(record).problems?.some((p) => p.field === field && p.problem === code && Object.is(p.value, value));
  if (!known) addProblem(record, { field, problem: code, value, message });
}

/**
 * `isEmpty` for the values records hold: a string starting with a visible ASCII character (most
 * of them) is not blank, which is settled without trimming it.
 */
function isBlank(value: unknown): boolean {
  if (typeof value === 'string') {
    const first = value.charCodeAt(0);
    return !(first > 0x20 && first < 0x7f) && value.trim() === '';
  }
  return value === null || value === undefined;
}

/** A rule's change names, `rule.step+step`, each built once: a handful of strings repeated on every lead. */
function ruleNames(rule: string): (steps: string[]) => string {
  const names = new Map<string, string>();
  return (steps) => {
    const key = steps.length === 1 ? steps[0] : steps.join('+');
    let name = names.get(key);
    if (name === undefined) names.set(key, (name = `${rule}.${key}`));
    return name;
  };
}

/** How one text field is standardized: the canonicalizer and, when known, its "already canonical" test. */
interface TextRule {
  field: string;
  canonical: (text: string, record: Lead) => Canonical;
  /** True when `canonical` would return the text unchanged with no problem: then it is not called. */
  unchanged?: (text: string) => boolean;
  /** How a number in the field is read, when the rule reads numbers (dates: epoch times); else it is flagged. */
  numeric?: (n: number) => Canonical;
  name: (steps: string[]) => string;
}

function textRule(field: string, rule: string, canonical: TextRule['canonical'], unchanged?: TextRule['unchanged'], numeric?: TextRule['numeric']): TextRule {
  return { field, canonical, unchanged, numeric, name: ruleNames(rule) };
}

/**
 * Applies a canonicalizer's result: the new value with its steps as the rule name, then the
 * problems, each with the value the field is left with (so a second run finds the same ones).
 */
function apply(record: Lead, field: string, name: (steps: string[]) => string, result: Canonical): void {
  if (result.value !== undefined && result.steps.length) setField(record, field, result.value, name(result.steps));
  for (const p of result.problems) flag(record, field, own(record, field), p.code, p.message);
}

/** Runs a text rule on its field; empty fields are left to the defaults rule, other types flagged. */
function onText(record: Lead, rule: TextRule): void {
  const value = own(record, rule.field);
  if (isBlank(value)) return;
  if (typeof value === 'number' && rule.numeric) {
    apply(record, rule.field, rule.name, rule.numeric(value));
    return;
  }
  if (typeof value !== 'string') {
    flag(record, rule.field, value, 'wrong_type', wrongType(rule.field, value).message);
    return;
  }
  if (rule.unchanged?.(value)) return;
  apply(record, rule.field, rule.name, rule.canonical(value, record));
}

/**
 * The enabled rules in `rule_order`, one function each. Records are independent, so a batch of
 * records can go through them rule by rule (each rule's code and data stay hot) and every record
 * still sees the rules in order, exactly as `compileRules` runs them.
 */
export function compileRuleSteps(rules: FieldStandardization): RecordNormalizer[] {
  const lookup = statusLookup(rules.engagement_status);
  // A handful of statuses repeat on every lead: each is standardized once (results are not
  // mutated). Companies and websites are not memoized: most of their values are new to a bounded
  // memo, and their fast paths cost less than the lookup.
  const status = memo((v) => canonicalEngagementStatus(v, rules.engagement_status, lookup));
  const website = (v: string) => canonicalWebsite(v, rules.website_url);
  const company = (v: string, r: Lead) =>
    mayEndInPlaceholder(v) && PERSON_PLACEHOLDER.test(v)
      ? canonicalCompanyName(v, rules.company_name, typeof r.name === 'string' ? r.name : undefined)
      : canonicalCompanyName(v, rules.company_name);
  const email = (v: string) => canonicalEmail(v, rules.email);
  const phone = (v: string) => toE164(v, rules.phone.default_country);
  const date = (v: string) => canonicalDate(v, rules.dates.day_month_order);
  const dateTime = (v: string) => canonicalDateTime(v, rules.dates.day_month_order);
  const text = rules.text.fields.map((field) => textRule(field, 'text', repairText, isRepairedText));
  const emailRule = textRule(rules.email.field, 'email', email);
  const websiteRule = textRule(rules.website_url.field, 'website', website);
  const linkedinRule = textRule(rules.linkedin_url.field, 'linkedin', canonicalLinkedinUrl, isCanonicalLinkedinUrl);
  const companyRule = textRule(rules.company_name.field, 'company', company);
  const personRule = textRule(rules.person_name.field, 'person_name', (v) => canonicalPersonName(v, rules.person_name), isCasedPersonName);
  const phoneRule = textRule(rules.phone.field, 'phone', phone);
  const statusRule = textRule(rules.engagement_status.field, 'engagement_status', status);
  const epochDate = (n: number) => canonicalEpoch(n, 'date');
  const epochDateTime = (n: number) => canonicalEpoch(n, 'datetime');
  const dateRules = rules.dates.date_fields.map((field) => textRule(field, 'dates', date, undefined, epochDate));
  const dateTimeRules = rules.dates.datetime_fields.map((field) => textRule(field, 'dates', dateTime, isCanonicalDateTime, epochDateTime));
  const steps: Record<RuleName, RecordNormalizer | undefined> = {
    text: rules.text.enabled
      ? (r) => {
          for (const rule of text) onText(r, rule);
        }
      : undefined,
    email: rules.email.enabled ? (r) => onText(r, emailRule) : undefined,
    website_url: rules.website_url.enabled ? (r) => onText(r, websiteRule) : undefined,
    linkedin_url: rules.linkedin_url.enabled ? (r) => onText(r, linkedinRule) : undefined,
    company_name: rules.company_name.enabled ? (r) => onText(r, companyRule) : undefined,
    person_name: rules.person_name.enabled && rules.person_name.normalize_case ? (r) => onText(r, personRule) : undefined,
    phone: rules.phone.enabled
      ? (r) => {
          const value = r[phoneRule.field];
          // Spreadsheet exports often hold phone numbers as numbers; those are read too.
          if (typeof value === 'number') return apply(r, phoneRule.field, phoneRule.name, toE164(value, rules.phone.default_country));
          onText(r, phoneRule);
        }
      : undefined,
    engagement_status: rules.engagement_status.enabled
      ? (r) => {
          const { field, default_value } = rules.engagement_status;
          if (isBlank(own(r, field))) return setField(r, field, default_value, 'engagement_status.default');
          onText(r, statusRule);
        }
      : undefined,
    dates: rules.dates.enabled
      ? (r) => {
          for (const rule of dateRules) onText(r, rule);
          for (const rule of dateTimeRules) onText(r, rule);
        }
      : undefined,
    field_defaults: defaultsStep(rules.field_defaults),
  };
  return rules.rule_order.map((name) => steps[name]).filter((f): f is RecordNormalizer => f !== undefined);
}

/**
 * Compiles the rule set into one function over records, running the enabled rules in
 * `rule_order`. Each rule owns its fields, and later rules see earlier rules' output, so no rule
 * undoes another (text repair is a fixed point of the company rule; defaults only fill empties).
 */
export function compileRules(rules: FieldStandardization): RecordNormalizer {
  const ordered = compileRuleSteps(rules);
  return (record) => {
    for (const step of ordered) step(record);
  };
}

/** The defaults rule: fills empty fields from `defaults` and flags the ones that need enrichment. */
function defaultsStep(rules: FieldDefaultRules): RecordNormalizer {
  const fills = Object.keys(rules.defaults).length > 0;
  return (r) => {
    // Without defaults to fill, a record whose flagged fields all hold something needs no plan.
    if (!fills && rules.flag_when_empty.every((field) => !isBlank(own(r, field)))) return;
    const plan = planDefaults(r, rules);
    for (const [field, value] of plan.fill) setField(r, field, value, 'field_defaults.fill');
    for (const field of plan.flag) flag(r, field, own(r, field) ?? null, 'needs_enrichment', `${field} is empty; the lead needs enrichment.`);
  };
}
