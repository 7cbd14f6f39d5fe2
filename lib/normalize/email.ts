// Only the email check: the whole library is much slower to load, and every worker thread loads it
// too. (A CommonJS module: its function is also its own `default`, which is what the types describe.)
import isEmailModule from 'validator/lib/isEmail.js';

const isEmail = isEmailModule.default;
import { domainTypoFix, misspelledProvider, PROVIDER_DOMAINS } from './email-typos.js';
import { memo } from './memo.js';
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
  /**
   * Fix unambiguous typos in the domain (`acme.com.`, `acme..com`, `gmial.com`); when false they
   * are flagged (`email_domain_typo`) with the proposed fix and the address is left as it is.
   */
  fix_domain_typos: boolean;
  /** The mail providers whose one-keystroke misspellings are typos (`gmial.com` → gmail.com). */
  provider_domains: string[];
}

export const EMAIL_DEFAULTS: EmailRules = {
  enabled: true,
  normalize_case: 'lower',
  validate_format: true,
  fix_www_domain: true,
  placeholder_domains: [
    'example.com',
    'example.org',
    'example.net',
    'test.com',
    'test.ca',
    'domain.com',
    'email.com',
    'techcorp.com',
    'startup.com',
    'company.com',
    'healthtech.com',
    'innovate.co',
    'consulting.com',
    'softwaresolutions.com',
    'techstartup.com',
    'differentcompany.com',
  ],
  role_mailboxes: ['info', 'contact', 'admin', 'support', 'sales', 'hello', 'general', 'office', 'inquiries', 'noreply', 'no-reply'],
  flag_role_mailboxes: true,
  fix_domain_typos: false,
  provider_domains: PROVIDER_DOMAINS,
};

const ZERO_WIDTH = /[\u200B-\u200D\u2060\uFEFF\u00AD]/g;
// Eight hex characters + .com: the generator of fake "LinkedIn emails" in the original data.
const HEX_DOMAIN = /^[0-9a-f]{8}\.com$/;

// A local part every validator accepts: dot-separated runs of the most common characters.
const PLAIN_LOCAL = /^[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*$/;
// Half of a surrogate pair (an emoji cut by an export): no address holds one, and validator throws on it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// Domains repeat (one per company): validator checks each once; the memo is bounded.
const validatorDomain = memo((domain: string) => isEmail(`a@${domain}`));
// Labels of letters, digits and inner hyphens (at most 63), a last label of letters: a domain
// validator accepts (its isFQDN rules), checked without it; a spec checks they agree.
const PLAIN_DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
/** Whether validator accepts `a@<domain>`. */
export function validDomain(domain: string): boolean {
  if (LONE_SURROGATE.test(domain)) return false;
  return (domain.length <= 252 && PLAIN_DOMAIN.test(domain)) || validatorDomain(domain);
}
// Printable ASCII without spaces or `<`, not starting with `mailto:`: nothing for trim or unwrap to do.
const NOTHING_TO_UNWRAP = /^(?!mailto:)[\x21-\x3B\x3D-\x7E]+$/i;

/** validator's `isEmail`, with the common shape (plain local part, known domain) answered faster. */
function isValidEmail(email: string): boolean {
  if (LONE_SURROGATE.test(email)) return false;
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  if (at > 0 && local.length <= 64 && email.length <= 254 && PLAIN_LOCAL.test(local)) return validDomain(email.slice(at + 1));
  return isEmail(email, { allow_utf8_local_part: true });
}

// The configured lists as sets, built once per list (the rules object lives as long as the run).
const domainSets = new WeakMap<string[], Set<string>>();

/** True when `domain` or one of its parent domains is in `list` (`mail.example.com` → example.com). */
function isPlaceholder(domain: string, list: string[]): boolean {
  let set = domainSets.get(list);
  if (!set) domainSets.set(list, (set = new Set(list.map((d) => d.toLowerCase()))));
  for (let rest = domain; rest.includes('.'); rest = rest.slice(rest.indexOf('.') + 1)) if (set.has(rest)) return true;
  return false;
}

/**
 * The canonical form of an email address: trimmed, `mailto:` and `<…>` removed, lowercased (by
 * default), `@www.` removed from the domain; checked with validator's `isEmail`. An address that
 * is still not valid gets no `value` (keep the original) and an `invalid_email` problem.
 * Placeholder/test domains, generated hex domains and role mailboxes are flagged but kept.
 */
export function canonicalEmail(input: string, rules: EmailRules = EMAIL_DEFAULTS): Canonical {
  // Most addresses are already canonical: nothing to trim, unwrap or lowercase, no `@www.`
  // subdomain to drop, and valid by construction (PLAIN_LOCAL and PLAIN_DOMAIN, within lengths).
  const canonical = CANONICAL_EMAIL.exec(input);
  if (
    canonical &&
    input.length <= 254 &&
    canonical[1].length <= 64 &&
    canonical[2].length <= 252 &&
    !(rules.fix_www_domain && canonical[2].startsWith('www.') && canonical[2].indexOf('.', 4) > 4) &&
    misspelledProvider(canonical[2], rules.provider_domains) === undefined
  ) {
    return { value: input, steps: [], problems: addressProblems(input, canonical[1], canonical[2], rules) };
  }
  return emailThroughSteps(input, rules);
}

// A lower-case address of the plain shape: PLAIN_LOCAL's characters and PLAIN_DOMAIN's labels.
const CANONICAL_EMAIL = /^([a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*)@((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})$/;

function typoProblem(input: string, proposed: string): Problem {
  return {
    code: 'email_domain_typo',
    message: `${show(input)} looks like a typo of ${proposed}; it was kept as it is. Correct it (or set email.fix_domain_typos to true to have such typos fixed).`,
  };
}

/** Placeholder, generated and role-mailbox problems of a valid address (local part and domain in lower case). */
function addressProblems(email: string, local: string, domain: string, rules: EmailRules): Problem[] {
  const problems: Problem[] = [];
  if (isPlaceholder(domain, rules.placeholder_domains)) {
    problems.push({ code: 'placeholder_email_domain', message: `${show(email)} uses the placeholder or test domain ${domain}; find the lead's real address.` });
  } else if (HEX_DOMAIN.test(domain)) {
    problems.push({ code: 'generated_email_domain', message: `${show(email)} has a generated domain (${domain}); find the lead's real address.` });
  }
  if (rules.flag_role_mailboxes && rules.role_mailboxes.includes(local)) {
    problems.push({ code: 'role_mailbox', message: `${show(email)} is a role mailbox (${local}@), not a person's address.` });
  }
  return problems;
}

/** The canonical form of any address, step by step (what `canonicalEmail` gives for every input). */
export function emailThroughSteps(input: string, rules: EmailRules = EMAIL_DEFAULTS): Canonical {
  const steps: string[] = [];
  let email = input;
  const step = (name: string, next: string) => {
    if (next !== email) steps.push(name);
    email = next;
  };
  if (!NOTHING_TO_UNWRAP.test(email)) {
    step('trim', email.replace(ZERO_WIDTH, '').trim());
    step(
      'unwrap',
      email
        .replace(/^mailto:/i, '')
        .replace(/^.*<([^<>]+)>$/, '$1')
        .trim(),
    );
  }
  if (rules.normalize_case === 'lower') step('lowercase', email.toLowerCase());
  if (rules.fix_www_domain) step('www_domain', email.replace(/@www\.(?=[^.@]+\.[^@]+$)/i, '@'));
  const typoAt = email.lastIndexOf('@');
  const fixedDomain = typoAt > 0 ? domainTypoFix(email.slice(typoAt + 1).toLowerCase(), rules.provider_domains) : undefined;
  const proposed = fixedDomain === undefined ? undefined : `${email.slice(0, typoAt + 1)}${fixedDomain}`;
  if (proposed !== undefined && rules.fix_domain_typos) step('domain_typo', proposed);
  const typo = proposed !== undefined && !rules.fix_domain_typos ? typoProblem(input, proposed) : undefined;
  if (rules.validate_format && !isValidEmail(email)) {
    // An address that is invalid only through its typo is flagged as the typo, with its fix.
    if (typo && isValidEmail(proposed!)) return { steps: [], problems: [typo] };
    return {
      steps: [],
      problems: [{ code: 'invalid_email', message: `${show(input)} is not a valid email address; it was kept as it is. Correct it or clear the field.` }],
    };
  }
  const at = email.lastIndexOf('@');
  const problems = addressProblems(email, email.slice(0, at).toLowerCase(), email.slice(at + 1).toLowerCase(), rules);
  if (typo) problems.unshift(typo);
  return { value: email, steps, problems };
}
