import { canonicalEmail, EMAIL_DEFAULTS } from '../normalize/email.js';
import { linkedinSlug } from '../normalize/linkedin.js';
import { memo } from '../normalize/memo.js';
import { repairMojibake } from '../normalize/name.js';
import { companyJunk, suffixFamily } from '../normalize/company.js';
import { registrableDomain } from '../normalize/website.js';
import type { Lead } from '../core/record.js';
import { linkOf } from '../sync/links.js';
import { namesAgree } from './names.js';
import { phoneKey } from './phone-key.js';

/**
 * Match keys: canonical forms of a lead's values made for comparing, never written back. Two
 * values that mean the same lead give the same key; an empty or placeholder value gives none (the
 * original system turned a missing email into the text "none", so every lead without an email
 * matched every other).
 */

/** What fingerprinting needs to know. */
export interface KeySettings {
  /** Fields whose equal keys make two leads one (email, linkedin_url, phone or an identifier column). */
  matching_fields: readonly string[];
  /** Fields whose keys put leads in the same block for fuzzy comparison. */
  blocking_fields: readonly string[];
  /** The local column holding the linked Airtable record's id. */
  link_field: string;
  default_country: string;
}

export const KEY_DEFAULTS: KeySettings = {
  matching_fields: ['email', 'linkedin_url'],
  blocking_fields: ['company', 'company_website', 'phone'],
  link_field: 'airtable_id',
  default_country: 'CA',
};

/**
 * Fields that describe a lead but do not identify one: many people share a company or a website,
 * and two people share a name. Listed in `matching_fields` they are compared fuzzily, never
 * matched exactly (the original's `email = ? OR company = ?` merged everyone at a company).
 */
const DESCRIPTIVE_FIELDS = new Set(['company', 'company_website', 'website', 'name', 'first_name', 'last_name', 'title']);

/** The `_meta.keys` name of a field's key: `linkedin_url` → `linkedin`, `company_website` → `domain`. */
export function keyName(field: string): string {
  if (field === 'linkedin_url') return 'linkedin';
  if (field === 'company_website' || field === 'website') return 'domain';
  return field;
}

/** The key names that link records exactly, for these matching fields (always `link`). */
export function strongKeyNames(matchingFields: readonly string[]): string[] {
  return ['link', ...matchingFields.filter((f) => !DESCRIPTIVE_FIELDS.has(f)).map(keyName)];
}

/** Providers that deliver `a.b+x@` to `ab@` (dots and tags) or `a+x@` to `a@` (tags only). */
const IGNORES_DOTS = new Set(['gmail.com', 'googlemail.com']);
const IGNORES_TAGS = new Set([
  'gmail.com',
  'googlemail.com',
  'outlook.com',
  'hotmail.com',
  'live.com',
  'icloud.com',
  'me.com',
  'protonmail.com',
  'proton.me',
  'fastmail.com',
  'yahoo.com',
]);
/** Personal mail providers: an address there says nothing about the employer. */
export const FREE_MAIL = new Set([
  ...IGNORES_TAGS,
  'yahoo.ca',
  'hotmail.ca',
  'live.ca',
  'aol.com',
  'msn.com',
  'gmx.com',
  'gmx.net',
  'mail.com',
  'videotron.ca',
  'sympatico.ca',
  'bell.net',
  'rogers.com',
  'shaw.ca',
  'yandex.com',
  'zoho.com',
  'qq.com',
  '163.com',
]);

const PLACEHOLDER_DOMAINS = new Set(EMAIL_DEFAULTS.placeholder_domains);
const ROLE_MAILBOXES = new Set(EMAIL_DEFAULTS.role_mailboxes);
const HEX_DOMAIN = /^[0-9a-f]{8}\.com$/;
// The common shape, checked without the full validator: plain local part, plain host names.
const PLAIN_EMAIL = /^[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,24}$/;

function isPlaceholderDomain(domain: string): boolean {
  for (let rest = domain; rest.includes('.'); rest = rest.slice(rest.indexOf('.') + 1)) if (PLACEHOLDER_DOMAINS.has(rest)) return true;
  return false;
}

/** The email as a match key, or undefined for invalid, placeholder, generated and role addresses. */
export function emailKey(value: string): string | undefined {
  let email = value
    .trim()
    .toLowerCase()
    .replace(/@www\.(?=[^.@]+\.[^@]+$)/, '@');
  if (!PLAIN_EMAIL.test(email)) {
    // Unusual shapes (mailto:, <…>, quoted or international parts) go through the full canonicalizer.
    const canonical = canonicalEmail(value);
    if (canonical.value === undefined) return undefined;
    email = canonical.value.toLowerCase();
  }
  const at = email.lastIndexOf('@');
  let local = email.slice(0, at);
  let domain = email.slice(at + 1);
  if (ROLE_MAILBOXES.has(local) || HEX_DOMAIN.test(domain) || isPlaceholderDomain(domain)) return undefined;
  if (domain === 'googlemail.com') domain = 'gmail.com';
  if (IGNORES_TAGS.has(domain)) local = local.replace(/\+.*$/, '');
  if (IGNORES_DOTS.has(domain)) local = local.replace(/\./g, '');
  return local ? `${local}@${domain}` : undefined;
}

/** True for an address at a personal mail provider (two of those do not contradict each other). */
export function isFreeMail(key: string): boolean {
  return FREE_MAIL.has(key.slice(key.lastIndexOf('@') + 1));
}

/** Folds text for comparison: mojibake repaired, accents and case removed, punctuation to spaces. */
export function fold(value: string): string {
  // Plain lower-case ASCII words need none of the work below, and most values are like that.
  if (PLAIN_WORDS.test(value)) return value.toLowerCase();
  // ASCII holds no mojibake and nothing NFKD changes: only case and punctuation remain.
  if (!NOT_ASCII.test(value)) return value.toLowerCase().replace(NOT_ALPHANUMERIC, ' ').trim();
  return foldThroughSteps(value);
}
const PLAIN_WORDS = /^[A-Za-z0-9]+(?: [A-Za-z0-9]+)*$/;
const NOT_ASCII = /[^\x00-\x7f]/;
const NOT_ALPHANUMERIC = /[^a-z0-9]+/g;

/**
 * Characters that show as nothing (zero-width space and joiners, word joiner, byte-order mark, soft
 * hyphen, direction marks): copied from web pages and CRMs inside words, they would split
 * `Aar\u200bon` in two. A no-break space is punctuation like any other and becomes a space.
 */
const INVISIBLE = /[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/** `fold` step by step, for any text (the fast paths above are proven against it by a spec). */
export function foldThroughSteps(value: string): string {
  return repairMojibake(value)
    .replace(INVISIBLE, '')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

const PLACEHOLDER_TEXT = /^(?:unknown|n ?a|none|null|undefined|tbd|test|no name|company|unknown company)$/;
const HONORIFICS = new Set(['mr', 'mrs', 'ms', 'miss', 'dr', 'prof', 'jr', 'sr', 'ii', 'iii', 'iv', 'phd', 'md', 'mba']);

/** A person's name as a key: folded, honorifics removed, tokens sorted (`Tremblay, Jean` = `Jean Tremblay`). */
export function nameKey(value: string): string | undefined {
  const tokens = fold(value).split(' ');
  let kept = 0;
  for (const token of tokens) if (token && (token.length > HONORIFIC_LENGTH || !HONORIFICS.has(token))) tokens[kept++] = token;
  tokens.length = kept;
  // Most names are two words: ordered by one comparison instead of a sort.
  const key = kept === 2 ? (tokens[1]! < tokens[0]! ? `${tokens[1]} ${tokens[0]}` : `${tokens[0]} ${tokens[1]}`) : tokens.sort().join(' ');
  return key && !PLACEHOLDER_TEXT.test(key) ? key : undefined;
}
const HONORIFIC_LENGTH = Math.max(...[...HONORIFICS].map((h) => h.length));

/** Generic words that do not tell one company from another (the original dedupe dropped them too). */
const COMPANY_NOISE = new Set([
  'the',
  'group',
  'holding',
  'holdings',
  'international',
  'global',
  'solutions',
  'services',
  'systems',
  'technologies',
  'technology',
  'and',
  'et',
  'of',
]);

/**
 * A company as a key: junk and placeholders give none; legal suffixes and noise words removed,
 * then an OpenRefine-style fingerprint (folded, unique tokens, sorted). `ACME, Inc.` = `Acme Inc`.
 */
export function companyKey(value: string, personName?: string): string | undefined {
  const key = companyMemo(value);
  // "<First Last> & Associates" is a placeholder made from the person's name, not a company. A
  // value with a key has no other junk, so only names ending that way need the person's check.
  if (key === undefined || !personName || !NAME_PLACEHOLDER_END.test(value)) return key;
  return madeFromName(value, personName) ? undefined : key;
}

const NAME_PLACEHOLDER = /^(.+?)\s*(?:&|\band\b)\s*(?:associates|partners)$/i;

/**
 * Whether a company is "<the person's whole name> & Associates": the name as the person's name
 * key sees it, so that a typo in either copy (`Sébastien Côét`, company `Sébastien Côté & Partners`)
 * or mojibake does not turn the placeholder into a company that differs from the real one.
 */
function madeFromName(value: string, personName: string): boolean {
  const made = NAME_PLACEHOLDER.exec(value.trim());
  const [company, person] = [made ? nameKey(made[1]!) : undefined, nameKey(personName)];
  if (company === undefined || person === undefined) return false;
  // The whole name: `Smith & Associates` of John Smith is a firm named after a Smith, maybe his.
  return company === person || (company.split(' ').length === person.split(' ').length && namesAgree(company, person));
}
/** The most words a legal suffix folds to (`S.à r.l.`: `s a r l`). */
const SUFFIX_WORDS = 4;
const NAME_PLACEHOLDER_END = /(?:associates|partners)$/i;
const companyMemo = memo((value: string): string | undefined => {
  const text = value.trim();
  if (!text || companyJunk(text).length) return undefined;
  const folded = fold(text.includes('&') ? text.replace(/&/g, ' and ') : text);
  // Folded text is single-spaced words (or nothing).
  const tokens = folded ? folded.split(' ') : [];
  // Suffixes of several words (`Pty Ltd`; `S.A.`, `L.L.C.`, `S.à r.l.` folded to `s a`, `l l c`,
  // `s a r l`) are removed before single ones, the longest first.
  while (tokens.length > 1) {
    let words = Math.min(SUFFIX_WORDS, tokens.length - 1);
    while (words > 0 && !suffixFamily(tokens.slice(-words).join(''))) words--;
    if (words === 0) break;
    tokens.length -= words;
  }
  const meaningful = tokens.filter((t) => !COMPANY_NOISE.has(t));
  // Sorted, each token once (the same as a set's members sorted).
  const sorted = (meaningful.length ? meaningful : tokens).sort();
  let key = sorted[0] ?? '';
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) key += ` ${sorted[i]}`;
  return key && !PLACEHOLDER_TEXT.test(key) ? key : undefined;
});

/** Sites that are nobody's company website (profiles, search, mail providers). */
const NOT_A_COMPANY_SITE = new Set([
  'linkedin.com',
  'facebook.com',
  'twitter.com',
  'x.com',
  'instagram.com',
  'youtube.com',
  'google.com',
  'bing.com',
  'wikipedia.org',
  'zoominfo.com',
  'crunchbase.com',
  'example.com',
  'example.org',
  'example.net',
  ...FREE_MAIL,
]);

/** The registrable domain of a website (`https://www.shop.acme.co.uk/x` → `acme.co.uk`), none for social or placeholder sites. */
export const domainKey = memo((value: string): string | undefined => {
  const text = value.trim().toLowerCase();
  if (!text || /\s/.test(text)) return undefined;
  const domain = registrableDomain(text);
  return domain && !NOT_A_COMPANY_SITE.has(domain) ? domain : undefined;
});

/** The LinkedIn profile slug as a key (`ca.linkedin.com/in/Jean-T/` → `jean-t`). */
export function linkedinKey(value: string): string | undefined {
  return linkedinSlug(value.trim());
}

/** Any other field: folded text, none for placeholders. */
function textKey(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  const text = typeof value === 'string' ? fold(value) : String(value);
  return text && !PLACEHOLDER_TEXT.test(text) ? text : undefined;
}

/** Titles and other free text repeat from lead to lead. */
const textKeyOf = memo(textKey);

/** The key of one field's value, by what the field holds. */
export function fieldKey(field: string, value: unknown, defaultCountry: string, personName?: string): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value);
  if (!text.trim()) return undefined;
  switch (keyName(field)) {
    case 'email':
      return emailKey(text);
    case 'linkedin':
      return linkedinKey(text);
    case 'phone':
      return phoneKey(text, defaultCountry);
    case 'domain':
      return domainKey(text);
    case 'company':
      return companyKey(text, personName);
    case 'name':
    case 'first_name':
    case 'last_name':
      return nameKey(text);
    default:
      return textKeyOf(text);
  }
}

/** The fields `fingerprint` keys whatever the settings. */
const KEYED_FIELDS = ['email', 'linkedin_url', 'phone', 'company_website', 'company', 'name'];

/**
 * The key names every fingerprinted record has when its field has a key: where `_meta.keys` lacks
 * one of these, the field has none (nothing to work out again).
 */
export const ALWAYS_KEYED: ReadonlySet<string> = new Set(KEYED_FIELDS.map(keyName));

/** Block keys are prefixed, so a company block never meets a phone block with the same text. */
export const BLOCK_PREFIX = 'block:';

/**
 * Every match key of a record: the descriptive keys (email, linkedin, phone, domain, company,
 * name), the matching fields' keys, `link` (the Airtable id: a local record's link field, an
 * Airtable record's own id) and `block:<field>` for each blocking field with a value.
 */
export function fingerprint(record: Lead, settings: KeySettings): Record<string, string> {
  const plan = planOf(settings);
  const keys: Record<string, string> = {};
  const person = typeof record.name === 'string' ? record.name : undefined;
  const country = settings.default_country;
  for (let i = 0; i < plan.fields.length; i++) {
    const value = record[plan.fields[i]!];
    if (value === null || value === undefined) continue;
    const key = fieldKey(plan.fields[i]!, value, country, person);
    if (key !== undefined) keys[plan.names[i]!] = key;
  }
  // A work address's domain is the company's: the website's stand-in when the lead has none.
  if (keys.domain === undefined && keys.email !== undefined && !isFreeMail(keys.email)) {
    const domain = domainKey(keys.email.slice(keys.email.lastIndexOf('@') + 1));
    if (domain !== undefined) keys.domain = domain;
  }
  const meta = record._meta;
  const link = meta?.source === 'airtable' ? (meta.id === undefined ? undefined : String(meta.id).trim()) : linkOf(record, settings.link_field);
  if (link) keys.link = link;
  for (const [field, name, keyed, blockName] of plan.blocks) {
    // A field keyed above has its key in `keys` already, or none at all.
    const key = keys[name] ?? (keyed ? undefined : fieldKey(field, record[field], country, person));
    if (key !== undefined) keys[blockName] = key;
  }
  return keys;
}

interface KeyPlan {
  /** The fields to key, in order; a field is left out where keying it again could change nothing. */
  fields: string[];
  /** The key name of each of `fields`. */
  names: string[];
  /** Per blocking field: the field, its key name, whether `fields` keys it, and its block key's name (names made once: a key name built per record costs a lookup of the new string each time). */
  blocks: Array<[field: string, name: string, keyed: boolean, blockName: string]>;
}
const plans = new WeakMap<KeySettings, KeyPlan>();

/** What `fingerprint` does for these settings, worked out once per settings object. */
function planOf(settings: KeySettings): KeyPlan {
  let plan = plans.get(settings);
  if (plan) return plan;
  const fields: string[] = [];
  // The last field keyed under each key name: the same field again would write the same key.
  const lastByName = new Map<string, string>();
  for (const field of [...KEYED_FIELDS, ...settings.matching_fields]) {
    if (lastByName.get(keyName(field)) === field) continue;
    lastByName.set(keyName(field), field);
    fields.push(field);
  }
  const blocks = settings.blocking_fields.map((field): [string, string, boolean, string] => [
    field,
    keyName(field),
    fields.includes(field),
    BLOCK_PREFIX + keyName(field),
  ]);
  plans.set(settings, (plan = { fields, names: fields.map(keyName), blocks }));
  return plan;
}
