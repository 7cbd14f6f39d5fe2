import { seededRandom } from '../lib/core/random.js';
import type { Lead } from '../lib/core/record.js';

type Rng = () => number;
/** What the mess needs of a generated person (generate-leads.ts's Entity has it). */
interface Entity {
  brand: string;
  descriptor: string;
  domain: string;
  /** Ten digits. */
  phone: string;
}

/**
 * The messy profile of the lead generator: the mess real exports add on top of the plain profile's
 * duplicates. Every choice here draws from its own seeded stream (the entity's, or the record's
 * position's), never from the plain profile's, so a plain record and its messy twin are the same
 * lead: the messy one is the plain one made worse, and the plain profile stays as it was.
 *
 * Kinds of mess (each tagged in `MESS_KINDS`, so a spec can check that every one occurs):
 * mojibake (UTF-8 read as Latin-1 or cp1252), invisible characters (zero-width space, soft hyphen,
 * no-break space, byte-order mark), phones in every format (extensions, `00` prefixes, dots,
 * parentheses, national formats of other countries, numbers as JSON numbers, invalid but real
 * numbers), URLs with tracking parameters and odd cases, company suffix variants, title noise,
 * malformed values (bad emails, dates in other formats, empty and whitespace-only strings) and a
 * few big employers with thousands of leads.
 */

export const MESS_KINDS = [
  'mojibake',
  'invisible',
  'phone_extension',
  'phone_00_prefix',
  'phone_dots',
  'phone_parentheses',
  'phone_foreign_national',
  'phone_number_type',
  'phone_invalid_real',
  'url_tracking',
  'url_odd_case',
  'company_suffix',
  'title_noise',
  'bad_email',
  'date_format',
  'empty_string',
  'whitespace_only',
  'big_employer',
] as const;
export type MessKind = (typeof MESS_KINDS)[number];

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;

/** Share of entities that work at one of the big employers. */
const BIG_EMPLOYER_SHARE = 0.03;
/** How many big employers there are: at a million leads each has several thousand. */
const BIG_EMPLOYERS = 5;

/**
 * The company index of a messy entity: a few employers take `BIG_EMPLOYER_SHARE` of the people
 * between them; the others keep the plain profile's company.
 */
export function messyCompany(entityRng: Rng, plainCompany: number): { company: number; big: boolean } {
  if (entityRng() >= BIG_EMPLOYER_SHARE) return { company: plainCompany, big: false };
  return { company: Math.floor(entityRng() * BIG_EMPLOYERS), big: true };
}

// What a UTF-8 byte 0x80–0x9F shows as when the text is read as cp1252 (undefined ones stay C1 controls).
// biome-ignore format: a table
const CP1252_HIGH = ['€', '\u0081', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u008d', 'Ž', '\u008f', '\u0090', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u009d', 'ž', 'Ÿ'];

/** The text's UTF-8 bytes read as Latin-1 (`É` → `Ã\u0089`) or as cp1252 (`É` → `Ã‰`). */
export function misread(text: string, as: 'latin1' | 'cp1252'): string {
  const latin1 = Buffer.from(text, 'utf8').toString('latin1');
  if (as === 'latin1') return latin1;
  let out = '';
  for (const c of latin1) {
    const code = c.charCodeAt(0);
    out += code >= 0x80 && code <= 0x9f ? CP1252_HIGH[code - 0x80] : c;
  }
  return out;
}

const INVISIBLES = ['\u200b', '\u00ad', '\u00a0', '\ufeff', '\u200c', '\u2060'];

/** One invisible character inside the text (a byte-order mark at its start, the others anywhere). */
function withInvisible(rng: Rng, text: string): string {
  const c = pick(rng, INVISIBLES);
  if (c === '\ufeff' || text.length < 2) return c + text;
  const at = 1 + Math.floor(rng() * (text.length - 1));
  return text.slice(0, at) + c + text.slice(at);
}

// Company suffixes as exports spell them; the plain profile's families are a subset.
// biome-ignore format: a word list
const SUFFIX_VARIANTS = [
  'Inc.', 'Inc', ', Inc.', 'Incorporated', 'INC', 'inc.', 'GmbH', 'Gmbh', 'GMBH', 'Ltd.', 'Ltd', 'LTD', 'Limited', 'LLC', 'L.L.C.', ', LLC', 'llc',
  'S.A.', 'SA', 'S.A', 'S.A.S.', 'SARL', 'Corp.', 'Corporation', 'Co.', 'Pty Ltd', 'B.V.', 'AG', 'Ltée', 'Inc. (Canada)',
];

/** The company as a messy export holds it: another suffix, stray spaces, odd case, an article. */
function messyCompanyName(rng: Rng, e: Entity, plain: string): string {
  const core = e.descriptor ? `${e.brand} ${e.descriptor}` : e.brand;
  const suffix = pick(rng, SUFFIX_VARIANTS);
  let name = suffix.startsWith(',') ? core + suffix : `${core}${rng() < 0.2 ? '  ' : ' '}${suffix}`;
  const r = rng();
  if (r < 0.1) name = name.toUpperCase();
  else if (r < 0.15) name = `The ${name}`;
  else if (r < 0.2) name = ` ${name}.`;
  return rng() < 0.5 ? name : plain;
}

// The same titles spelled the ways people type them.
const TITLE_NOISE: Record<string, readonly string[]> = {
  'VP Sales': ['Vice President, Sales', 'V.P. Sales', 'VP of Sales', 'vp sales', 'Vice-President Sales', 'VP, Sales'],
  'Sales Manager': ['Sr. Sales Manager', 'Senior Sales Manager', 'Sales Mgr', 'Sales  Manager'],
  'Software Engineer': ['Sr. Software Engineer', 'Senior Software Engineer', 'Software Engineer II', 'SW Engineer', 'software engineer'],
  CEO: ['C.E.O.', 'Chief Executive Officer', 'CEO & Founder', 'Président-directeur général', 'ceo'],
  CTO: ['Chief Technology Officer', 'C.T.O.', 'CTO / Co-Founder'],
  'Head of Marketing': ['Head Of Marketing', 'Marketing Lead', 'Dir. Marketing', 'Directrice marketing'],
  'Director of Operations': ['Dir. of Operations', 'Operations Director', 'Directeur des opérations'],
  'Product Manager': ['Sr. Product Manager', 'PM', 'Product Mgr.', 'Chef de produit'],
};

function messyTitle(rng: Rng, title: string): string {
  const variants = TITLE_NOISE[title];
  let t = variants && rng() < 0.7 ? pick(rng, variants) : title;
  const r = rng();
  if (r < 0.15) t = `  ${t} `;
  else if (r < 0.25) t = t.replace(' ', '   ');
  else if (r < 0.3) t = t.toUpperCase();
  return t;
}

// Numbers from other countries, in their national format and with the country code. Some are
// real but invalid (an unassigned area code), as exports hold them.
// biome-ignore format: a table
const FOREIGN = [
  '01 42 68 53 00', '+33 1 42 68 53 00', '0033 1 42 68 53 00', '020 7946 0958', '+44 20 7946 0958', '0044 20 7946 0958', '030 1234567',
  '+49 30 1234567', '+49 (0)30 1234567', '06 12 34 56 78', '+61 2 9374 4000', '+52 55 1234 5678', '+81 3-1234-5678',
];
const INVALID_REAL = ['+1 524 035 3212', '555-0199', '+1 (111) 222-3344', '514-055-1234', '1-800-FLOWERS', '+1 514 555 12345'];

/** The entity's phone (ten digits) in one of the formats exports hold, with the kind of mess used. */
function messyPhone(rng: Rng, d: string): { value: string | number; kind: MessKind } {
  const [a, b, c] = [d.slice(0, 3), d.slice(3, 6), d.slice(6)];
  const r = rng();
  if (r < 0.15)
    return {
      value: `${pick(rng, [`(${a}) ${b}-${c}`, `${a}-${b}-${c}`, `+1 ${a} ${b} ${c}`])}${pick(rng, [' x123', ' ext. 45', ' ext 7', ' poste 204', ' #12', ',,22'])}`,
      kind: 'phone_extension',
    };
  if (r < 0.27)
    return { value: pick(rng, [`001 ${a} ${b} ${c}`, `001-${a}-${b}-${c}`, `00 1 ${a} ${b} ${c}`, `011 1 ${a} ${b} ${c}`]), kind: 'phone_00_prefix' };
  if (r < 0.39) return { value: pick(rng, [`${a}.${b}.${c}`, `+1.${a}.${b}.${c}`, `1.${a}.${b}.${c}`]), kind: 'phone_dots' };
  if (r < 0.51)
    return {
      value: pick(rng, [`(${a})${b}-${c}`, `+1 (${a}) ${b} ${c}`, `1 (${a}) ${b}-${c}`, `(${a}) ${b} ${c}`, `(${a})-${b}-${c}`]),
      kind: 'phone_parentheses',
    };
  if (r < 0.63) return { value: pick(rng, FOREIGN), kind: 'phone_foreign_national' };
  if (r < 0.71) return { value: Number(rng() < 0.5 ? d : `1${d}`), kind: 'phone_number_type' };
  if (r < 0.8) return { value: pick(rng, INVALID_REAL), kind: 'phone_invalid_real' };
  return { value: pick(rng, [`+1 ${a} ${b} ${c}`, `${a} ${b} ${c}`, `${a}${b}${c}`, `+1${a}${b}${c}`, ` ${a}-${b}-${c} `]), kind: 'phone_dots' };
}

const TRACKING = [
  '?utm_source=linkedin&utm_medium=social&utm_campaign=q3',
  '/?utm_source=google&utm_medium=cpc',
  '?fbclid=IwAR2xYz0aBcD3eFgH',
  '/?gclid=Cj0KCQjw&utm_term=crm',
  '?utm_content=buffer&ref=producthunt',
  '/#contact',
];

function messyWebsite(rng: Rng, domain: string): { value: string; kind: MessKind } {
  if (rng() < 0.6) return { value: `https://www.${domain}${pick(rng, TRACKING)}`, kind: 'url_tracking' };
  const odd = pick(rng, [
    `HTTPS://WWW.${domain.toUpperCase()}/`,
    `Http://${domain}`,
    `www.${domain}.`,
    `https://${domain}:443/`,
    `//${domain}`,
    ` https://${domain}/Home `,
  ]);
  return { value: odd, kind: 'url_odd_case' };
}

function messyLinkedin(rng: Rng, url: string): { value: string; kind: MessKind } {
  const profile = /^.*?\/in\/[^/?#]+/.exec(url)?.[0] ?? url;
  const tracking = [
    '?utm_source=share&utm_campaign=share_via&utm_content=profile&utm_medium=ios_app',
    '/?fbclid=abc123',
    '?trk=people-guest_people_search-card',
  ];
  if (rng() < 0.6) return { value: profile + pick(rng, tracking), kind: 'url_tracking' };
  return {
    value: pick(rng, [
      url.toUpperCase(),
      url.replace('https://', 'HTTPS://'),
      url.replace(/^https?:\/\/[^/]+/, 'https://m.linkedin.com'),
      url.replace(/^https?:\/\//, ''),
    ]),
    kind: 'url_odd_case',
  };
}

function badEmail(rng: Rng, email: string): string {
  const [local, domain] = email.split('@') as [string, string];
  return pick(rng, [
    `${local}@`,
    `${local}@@${domain}`,
    `${local.replace('.', ' ')}@${domain}`,
    `${local}@${domain.replace(/\.[a-z]+$/, '')}`,
    `mailto:${email}`,
    `<${email}>`,
    `${local}(at)${domain}`,
    `${email},`,
    `${local}@${domain}.`,
  ]);
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** An ISO timestamp written another way: a date only, day/month or month/day, words, epoch ms. */
function otherDateFormat(rng: Rng, iso: string): string | number {
  const [y, m, d] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)];
  return pick<string | number>(rng, [
    `${y}-${m}-${d}`,
    `${m}/${d}/${y}`,
    `${d}/${m}/${y}`,
    `${Number(m)}/${Number(d)}/${y}`,
    `${MONTHS[Number(m) - 1]} ${Number(d)}, ${y}`,
    `${d}.${m}.${y}`,
    `${iso.slice(0, 10)} ${iso.slice(11, 19)}`,
    Date.parse(iso),
  ]);
}

const TEXT_FIELDS = ['name', 'company', 'title'] as const;

/**
 * Makes a plain record messy, in place, and returns the kinds of mess it got. `position` seeds the
 * record's own stream; `big` says the entity works at a big employer.
 */
export function makeMessy(record: Lead, e: Entity, seed: number, position: number, big: boolean): MessKind[] {
  const rng = seededRandom((seed ^ 0x1b873593 ^ Math.imul(position + 1, 0x9e3779b1)) >>> 0);
  const kinds: MessKind[] = big ? ['big_employer'] : [];
  const set = (field: string, value: unknown, kind: MessKind) => {
    record[field] = value;
    kinds.push(kind);
  };
  if (typeof record.company === 'string' && rng() < 0.4) set('company', messyCompanyName(rng, e, record.company), 'company_suffix');
  if (typeof record.title === 'string' && rng() < 0.4) set('title', messyTitle(rng, record.title), 'title_noise');
  for (const field of TEXT_FIELDS) {
    const value = record[field];
    if (typeof value !== 'string') continue;
    if (rng() < 0.06 && /[^\x00-\x7f]/.test(value)) set(field, misread(value, rng() < 0.5 ? 'latin1' : 'cp1252'), 'mojibake');
    if (rng() < 0.05) set(field, withInvisible(rng, record[field] as string), 'invisible');
  }
  if (typeof record.email === 'string') {
    if (rng() < 0.04) set('email', withInvisible(rng, record.email), 'invisible');
    else if (rng() < 0.05) set('email', badEmail(rng, record.email), 'bad_email');
  }
  if (record.phone !== null && rng() < 0.7) {
    const { value, kind } = messyPhone(rng, e.phone);
    set('phone', value, kind);
  }
  if (typeof record.company_website === 'string' && rng() < 0.35) {
    const { value, kind } = messyWebsite(rng, e.domain);
    set('company_website', value, kind);
  }
  if (typeof record.linkedin_url === 'string' && rng() < 0.3) {
    const { value, kind } = messyLinkedin(rng, record.linkedin_url);
    set('linkedin_url', value, kind);
  }
  for (const field of ['created_at', 'updated_at'] as const) if (rng() < 0.1) set(field, otherDateFormat(rng, record[field] as string), 'date_format');
  // Empty values as exports write them: an empty string, spaces, a tab.
  for (const field of ['email', 'company', 'title', 'phone', 'company_website'] as const) {
    if (record[field] !== null || rng() >= 0.3) continue;
    if (rng() < 0.5) set(field, '', 'empty_string');
    else set(field, pick(rng, [' ', '   ', '\t', ' \u00a0 ']), 'whitespace_only');
  }
  return kinds;
}
