import { addProblem, metaOf, setField, type Lead } from '../record.js';
import { canonicalCompanyName } from './company.js';
import { canonicalDate, canonicalDateTime } from './dates.js';
import { planDefaults } from './defaults.js';
import { canonicalEmail } from './email.js';
import { canonicalLinkedinUrl } from './linkedin.js';
import { repairText } from './name.js';
import { toE164 } from './phone.js';
import { memo } from './memo.js';
import { isEmpty, wrongType, type Canonical } from './result.js';
import type { FieldStandardization, RuleName } from './rules.js';
import { canonicalEngagementStatus, statusLookup } from './status.js';
import { canonicalWebsite } from './website.js';

// A company that may be built from the person's name depends on the record, so it is not memoized.
const PERSON_PLACEHOLDER = /(?:&|\band)\s*(?:associates|partners)\s*$/i;

/** Standardizes one record in place; each rule records its changes and problems in `_meta`. */
export type RecordNormalizer = (record: Lead) => void;

/** Records a problem unless the same one is already there (so normalizing twice equals once). */
function flag(record: Lead, field: string, value: unknown, code: string, message: string): void {
  const known = metaOf(record).problems?.some((p) => p.field === field && p.problem === code && Object.is(p.value, value));
  if (!known) addProblem(record, { field, problem: code, value, message });
}

/**
 * Applies a canonicalizer's result: the new value with its steps as the rule name, then the
 * problems, each with the value the field is left with (so a second run finds the same ones).
 */
function apply(record: Lead, field: string, rule: string, result: Canonical): void {
  if (result.value !== undefined && result.steps.length) setField(record, field, result.value, `${rule}.${result.steps.join('+')}`);
  for (const p of result.problems) flag(record, field, record[field], p.code, p.message);
}

/** Runs `canonical` on a text field; empty fields are left to the defaults rule, other types flagged. */
function onText(record: Lead, field: string, rule: string, canonical: (text: string, record: Lead) => Canonical): void {
  const value = record[field];
  if (isEmpty(value)) return;
  if (typeof value !== 'string') return flag(record, field, value, 'wrong_type', wrongType(field, value).message);
  apply(record, field, rule, canonical(value, record));
}

/**
 * Compiles the rule set into one function over records, running the enabled rules in
 * `rule_order`. Each rule owns its fields, and later rules see earlier rules' output, so no rule
 * undoes another (text repair is a fixed point of the company rule; defaults only fill empties).
 */
export function compileRules(rules: FieldStandardization): RecordNormalizer {
  const lookup = statusLookup(rules.engagement_status);
  // A handful of statuses repeat on every lead: each is standardized once (results are not
  // mutated). Companies and websites are not memoized: most values are new to a bounded memo
  // (one lead in ten found its company there), and their fast paths cost less than the lookup.
  const status = memo((v) => canonicalEngagementStatus(v, rules.engagement_status, lookup));
  const website = (v: string) => canonicalWebsite(v, rules.website_url);
  const company = (v: string, r: Lead) => (PERSON_PLACEHOLDER.test(v)
    ? canonicalCompanyName(v, rules.company_name, typeof r.name === 'string' ? r.name : undefined)
    : canonicalCompanyName(v, rules.company_name));
  const email = (v: string) => canonicalEmail(v, rules.email);
  const phone = (v: string) => toE164(v, rules.phone.default_country);
  const date = (v: string) => canonicalDate(v, rules.dates.day_month_order);
  const dateTime = (v: string) => canonicalDateTime(v, rules.dates.day_month_order);
  const steps: Record<RuleName, RecordNormalizer | undefined> = {
    text: rules.text.enabled ? (r) => { for (const field of rules.text.fields) onText(r, field, 'text', repairText); } : undefined,
    email: rules.email.enabled ? (r) => onText(r, rules.email.field, 'email', email) : undefined,
    website_url: rules.website_url.enabled ? (r) => onText(r, rules.website_url.field, 'website', website) : undefined,
    linkedin_url: rules.linkedin_url.enabled ? (r) => onText(r, rules.linkedin_url.field, 'linkedin', canonicalLinkedinUrl) : undefined,
    company_name: rules.company_name.enabled
      ? (r) => onText(r, rules.company_name.field, 'company', company)
      : undefined,
    phone: rules.phone.enabled
      ? (r) => {
        const field = rules.phone.field;
        // Spreadsheet exports often hold phone numbers as numbers; those are read too.
        if (typeof r[field] === 'number') return apply(r, field, 'phone', toE164(r[field] as number, rules.phone.default_country));
        onText(r, field, 'phone', phone);
      }
      : undefined,
    engagement_status: rules.engagement_status.enabled
      ? (r) => {
        const { field, default_value } = rules.engagement_status;
        if (isEmpty(r[field])) return setField(r, field, default_value, 'engagement_status.default');
        onText(r, field, 'engagement_status', status);
      }
      : undefined,
    dates: rules.dates.enabled
      ? (r) => {
        for (const field of rules.dates.date_fields) onText(r, field, 'dates', date);
        for (const field of rules.dates.datetime_fields) onText(r, field, 'dates', dateTime);
      }
      : undefined,
    field_defaults: (r) => {
      const plan = planDefaults(r, rules.field_defaults);
      for (const [field, value] of plan.fill) setField(r, field, value, 'field_defaults.fill');
      for (const field of plan.flag) flag(r, field, r[field] ?? null, 'needs_enrichment', `${field} is empty; the lead needs enrichment.`);
    },
  };
  const ordered = rules.rule_order.map((name) => steps[name]).filter((f): f is RecordNormalizer => f !== undefined);
  return (record) => {
    for (const step of ordered) step(record);
  };
}
