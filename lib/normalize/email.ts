import validator from 'validator';
import type { Canonical, Problem } from './result.js';
import { show } from './result.js';

/** The email rule's settings (`field_standardization.email`). */
export interface EmailRules {
  enabled: boolean;
  /** `lower` lowercases the whole address; `preserve` leaves the case alone. */
  normalize_case: 'lower' | 'preserve';
  validate_format: boolean;
  /** `first@www.acme.com` → `first@acme.com` (pattern-generated addresses kept the `www.`). */
  fix_www_domain: boolean;
  placeholder_domains: string[];
  role_mailboxes: string[];
  flag_role_mailboxes: boolean;
}

export const EMAIL_DEFAULTS: EmailRules = {
  enabled: true,
  normalize_case: 'lower',
  validate_format: true,
  fix_www_domain: true,
  placeholder_domains: [
    'example.com', 'example.org', 'example.net', 'test.com', 'test.ca', 'domain.com', 'email.com',
    'techcorp.com', 'startup.com', 'company.com', 'healthtech.com', 'innovate.co', 'consulting.com',
    'softwaresolutions.com', 'techstartup.com', 'differentcompany.com',
  ],
  role_mailboxes: ['info', 'contact', 'admin', 'support', 'sales', 'hello', 'general', 'office', 'inquiries', 'noreply', 'no-reply'],
  flag_role_mailboxes: true,
};

const ZERO_WIDTH = /[\u200B-\u200D\u2060\uFEFF\u00AD]/g;
// Eight hex characters + .com: the generator of fake "LinkedIn emails" in the original data.
const HEX_DOMAIN = /^[0-9a-f]{8}\.com$/;

/**
 * The canonical form of an email address: trimmed, `mailto:` and `<…>` removed, lowercased (by
 * default), `@www.` removed from the domain; checked with validator's `isEmail`. An address that
 * is still not valid gets no `value` (keep the original) and an `invalid_email` problem.
 * Placeholder/test domains, generated hex domains and role mailboxes are flagged but kept.
 */
export function canonicalEmail(input: string, rules: EmailRules = EMAIL_DEFAULTS): Canonical {
  const steps: string[] = [];
  const problems: Problem[] = [];
  let email = input;
  const step = (name: string, next: string) => {
    if (next !== email) steps.push(name);
    email = next;
  };
  step('trim', email.replace(ZERO_WIDTH, '').trim());
  step('unwrap', email.replace(/^mailto:/i, '').replace(/^.*<([^<>]+)>$/, '$1').trim());
  if (rules.normalize_case === 'lower') step('lowercase', email.toLowerCase());
  if (rules.fix_www_domain) step('www_domain', email.replace(/@www\.(?=[^.@]+\.[^@]+$)/i, '@'));
  if (rules.validate_format && !validator.isEmail(email, { allow_utf8_local_part: true })) {
    problems.push({ code: 'invalid_email', message: `${show(input)} is not a valid email address; it was kept as it is. Correct it or clear the field.` });
    return { steps: [], problems };
  }
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at).toLowerCase();
  const domain = email.slice(at + 1).toLowerCase();
  if (rules.placeholder_domains.some((d) => domain === d.toLowerCase() || domain.endsWith(`.${d.toLowerCase()}`))) {
    problems.push({ code: 'placeholder_email_domain', message: `${show(email)} uses the placeholder or test domain ${domain}; find the lead's real address.` });
  } else if (HEX_DOMAIN.test(domain)) {
    problems.push({ code: 'generated_email_domain', message: `${show(email)} has a generated domain (${domain}); find the lead's real address.` });
  }
  if (rules.flag_role_mailboxes && rules.role_mailboxes.includes(local)) {
    problems.push({ code: 'role_mailbox', message: `${show(email)} is a role mailbox (${local}@), not a person's address.` });
  }
  return { value: email, steps, problems };
}
