/**
 * A deterministic, streaming generator of realistic messy leads with ground truth, for the
 * benchmarks and sample databases. Constant memory: a duplicate does not look up an earlier
 * record, it re-derives its entity's base attributes from a PRNG seeded by the entity index and
 * then applies its own noise, so copies are spread through the stream without keeping anything.
 *
 * The mess follows the real data (reference §5): the same person 2–4 times with LinkedIn URL
 * variants, email case and whitespace, company suffix variants, a name typo, mojibake, the newest
 * copy often the emptiest, "<Name> & Associates" placeholders, `www.` hosts without a scheme,
 * role mailboxes and assorted phone formats. Hard negatives come from the pools' sizes: the same
 * name at different companies, several people at one company.
 *
 * CLI: `node dist/bench/generate-leads.js N [--seed S] [--profile plain|messy] [--truth]` writes
 * JSONL to stdout; with `--truth`, `_meta.entity` carries the entity id. The messy profile
 * (messy-profile.ts) adds the mess of real exports on top of the same leads.
 */
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../lib/core/random.js';
import type { Lead } from '../lib/core/record.js';
import { makeMessy, messyCompany, type MessKind } from './messy-profile.js';

export interface GenerateOptions {
  seed?: number;
  /** Share of records that are another copy of an earlier entity (default 0.15). */
  duplicateRate?: number;
  /**
   * `plain` (the default) or `messy`: the same leads with the mess real exports add on top (see
   * messy-profile.ts). A messy record is its plain twin made worse.
   */
  profile?: Profile;
}

export const PROFILES = ['plain', 'messy'] as const;
export type Profile = (typeof PROFILES)[number];

export interface GeneratedLead {
  record: Lead;
  entity: string;
  /** The kinds of mess the messy profile put in the record (none in the plain profile). */
  mess?: MessKind[];
}

/** Mixes two integers into a PRNG seed (so entity j's stream does not depend on position). */
export function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x85ebca6b, 0xc2b2ae35) ^ Math.imul(b + 0x27d4eb2f, 0x165667b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;

// biome-ignore format: a word list
export const FIRST = [
  'Jean', 'Marie', 'Éric', 'Hélène', 'François', 'Mélanie', 'Sébastien', 'Chloé', 'Jérôme', 'André', 'Valérie', 'Geneviève', 'Benoît', 'Amélie', 'Stéphane',
  'Frédéric', 'Josée', 'Noémie', 'Zoë', 'Maxime', 'Sophie', 'Julie', 'Nathalie', 'Isabelle', 'Martin', 'Louis', 'Philippe', 'Catherine', 'Alexandre', 'Simon',
  'James', 'Mary', 'John', 'Patricia', 'Robert', 'Jennifer', 'Michael', 'Linda', 'William', 'Elizabeth', 'David', 'Barbara', 'Richard', 'Susan', 'Joseph',
  'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen', 'Daniel', 'Nancy', 'Matthew', 'Lisa', 'Anthony', 'Betty', 'Mark', 'Margaret', 'Steven', 'Sandra', 'Paul',
  'Ashley', 'Andrew', 'Emily', 'Joshua', 'Donna', 'Kevin', 'Michelle', 'Brian', 'Carol', 'George', 'Amanda', 'Edward', 'Melissa', 'Ryan', 'Deborah', 'Jacob',
  'Stephanie', 'Gary', 'Rebecca', 'Wei', 'Priya', 'Arjun', 'Mei', 'Hiroshi', 'Yuki', 'Omar', 'Fatima', 'Ahmed', 'Leila', 'Carlos', 'Sofía', 'Diego', 'Lucía',
  'Mateo', 'Valentina', 'Raj', 'Anika', 'Kofi', 'Amara',
];
// biome-ignore format: a word list
export const LAST = [
  'Tremblay', 'Gagnon', 'Roy', 'Côté', 'Bouchard', 'Gauthier', 'Morin', 'Lavoie', 'Fortin', 'Gagné', 'Ouellet', 'Pelletier', 'Bélanger', 'Lévesque', 'Bergeron',
  'Leblanc', 'Paquette', 'Girard', 'Simard', 'Boucher', 'Caron', 'Beaulieu', 'Cloutier', 'Dubé', 'Poirier', 'Fournier', 'Lapointe', 'Leclerc', 'Lefebvre',
  'Poulin', 'Thibault', 'St-Pierre', 'Nadeau', 'Martin', 'Landry', 'Ménard', 'Hébert', 'Desjardins', 'Proulx', 'Charbonneau', 'Smith', 'Johnson', 'Williams',
  'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez', 'Lopez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson',
  'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott',
  'Nguyen', 'Hill', 'Flores', 'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts', 'Chen', 'Wang', 'Patel',
  'Kim', 'Singh', 'Kumar', 'Zhang', 'Liu', 'Tanaka', 'Sato', 'Haddad', 'Khan', 'Ali', 'Murphy', 'Kelly', "O'Brien", 'Sullivan', 'Walsh', 'McCarthy', 'Byrne',
  'Ryan', 'Doyle', 'Gallagher', 'Schmidt', 'Müller', 'Fischer', 'Weber', 'Becker', 'Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Santos', 'Oliveira',
  'Pereira', 'Costa', 'Almeida', 'Novak', 'Kowalski', 'Nowak', 'Horvat', 'Petrov', 'Ivanova', 'Larsen', 'Hansen', 'Johansson', 'Nielsen', 'Dubois', 'Lambert',
  'Fontaine', 'Mercier', 'Rousseau',
];
// biome-ignore format: a word list
const SYLLABLES = [
  've', 'xo', 'ra', 'lu', 'ka', 'mi', 'zen', 'tor', 'qua', 'ly', 'no', 'vi', 'ta', 'ber', 'sol', 'den', 'fi', 'ar', 'co', 'pix', 'bo', 'tel', 'gra', 'mo',
];
// biome-ignore format: a word list
const DESCRIPTORS = [
  'Solutions', 'Labs', 'Technologies', 'Consulting', 'Media', 'Health', 'Systems', 'Analytics', 'Software', 'Capital', 'Logistics', 'Group', 'Digital',
  'Partners', 'Studio', 'Robotics', 'Energy', 'Foods', 'Marketing', 'Networks',
];
const SUFFIXES = [
  ['Inc', 'Inc.', ', Inc.', 'Incorporated'],
  ['LLC', ', LLC', 'L.L.C.'],
  ['Corp', 'Corp.', 'Corporation'],
  ['Ltd', 'Ltd.', 'Limited'],
  [''],
] as const;
const TLDS = ['.com', '.com', '.com', '.ca', '.io', '.co'];
// biome-ignore format: a word list
const TITLES = [
  'CEO', 'Founder', 'Co-Founder', 'CTO', 'VP Sales', 'Head of Marketing', 'Director of Operations', 'Sales Manager', 'Product Manager', 'Software Engineer',
  'Account Executive', 'COO', 'Marketing Director', 'Business Development Manager', 'President',
];
const STATUSES = ['scraped', 'enriched', 'ready', 'contacted', 'responded'];
// biome-ignore format: a word list
const ENGAGEMENT = [
  'Auto-Send', 'auto_send', 'AUTO SEND', 'auto-send', 'Needs Review', 'needs_review', 'Manual Review', 'Sent', 'sent', 'Skipped', 'Skip', 'Error', '',
];
const FREE_MAIL = ['gmail.com', 'gmail.com', 'yahoo.com', 'hotmail.com', 'outlook.com'];
const ROLE = ['info', 'contact', 'sales', 'hello', 'admin'];
const MOJIBAKE: Record<string, string> = { é: 'Ã©', è: 'Ã¨', É: 'Ã‰', ü: 'Ã¼', ô: 'Ã´', ë: 'Ã«', í: 'Ã­' };
const EPOCH = Date.UTC(2024, 0, 1);
const DAY = 86_400_000;

/** The attributes of one person, re-derivable from the entity index alone. */
export interface Entity {
  first: string;
  last: string;
  brand: string;
  descriptor: string;
  suffixFamily: readonly string[];
  domain: string;
  title: string;
  slug: string;
  email: string;
  phone: string; // ten digits
  createdMs: number;
  hasEmail: boolean;
  hasPhone: boolean;
  /** True when the messy profile put the person at one of its big employers. */
  big?: boolean;
}

/** Names as email/slug parts, computed once per pool entry (the pools are fixed, so memory is too). */
export const PLAIN = new Map<string, string>(
  [...FIRST, ...LAST].map((n) => [
    n,
    n
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z]/g, ''),
  ]),
);

interface Company {
  brand: string;
  descriptor: string;
  suffixFamily: readonly string[];
  domain: string;
}

/** A bounded memo: companies repeat, and re-deriving one is most of an entity's cost. */
const companies = new Map<number, Company>();
let companiesSeed = NaN;
function companyOf(seed: number, company: number): Company {
  if (seed !== companiesSeed || companies.size > 50_000) {
    companies.clear();
    companiesSeed = seed;
  }
  let c = companies.get(company);
  if (c) return c;
  const crng = seededRandom(mix(seed ^ 0x5bd1e995, company));
  const syllables = 2 + Math.floor(crng() * 2);
  let brand = '';
  for (let s = 0; s < syllables; s++) brand += pick(crng, SYLLABLES);
  brand = brand[0]!.toUpperCase() + brand.slice(1);
  const descriptor = crng() < 0.6 ? pick(crng, DESCRIPTORS) : '';
  const suffixFamily = pick(crng, SUFFIXES);
  const domain = brand.toLowerCase() + (descriptor && crng() < 0.3 ? descriptor.toLowerCase() : '') + pick(crng, TLDS);
  c = { brand, descriptor, suffixFamily, domain };
  companies.set(company, c);
  return c;
}

export function entityOf(seed: number, index: number, companyCount: number, profile: Profile = 'plain'): Entity {
  const rng = seededRandom(mix(seed, index));
  const first = pick(rng, FIRST);
  const last = pick(rng, LAST);
  // The company comes from a pool that scales with the dataset, so several people share one.
  let company = Math.floor(rng() * companyCount);
  let big = false;
  // The messy profile's own stream, so the plain attributes stay the plain profile's.
  if (profile === 'messy') ({ company, big } = messyCompany(seededRandom(mix(seed ^ 0x68e31da4, index)), company));
  const { brand, descriptor, suffixFamily, domain } = companyOf(seed, company);
  const f = PLAIN.get(first)!;
  const l = PLAIN.get(last)!;
  // A LinkedIn profile and a personal mailbox belong to one person: their distinguishing part is
  // the entity's own (its index, scrambled to look random), where a random draw gave namesakes
  // the same profile or address, which ground truth then called two people. The draws stay, so
  // every attribute drawn after them is what it was.
  rng();
  const own = (Math.imul(index + 1, 0x9e3779b1) >>> 0).toString(16).padStart(8, '0');
  const slug = rng() < 0.6 ? `${f}-${l}-${own}` : `${f}${l}${own}`;
  const r = rng();
  const local = r < 0.45 ? `${f}.${l}` : r < 0.7 ? `${f[0]}${l}` : r < 0.85 ? `${f}` : `${f}${l[0]}`;
  const er = rng();
  const email = er < 0.12 ? personalMailbox(rng, f, l, index) : er < 0.14 ? `${pick(rng, ROLE)}@${domain}` : `${local}@${domain}`;
  const area = pick(rng, ['514', '438', '450', '416', '647', '604', '212', '415']);
  const phone = area + String(2000000 + Math.floor(rng() * 7999999));
  return {
    first,
    last,
    brand,
    descriptor,
    suffixFamily,
    domain,
    slug,
    email,
    phone,
    title: pick(rng, TITLES),
    createdMs: EPOCH + Math.floor(rng() * 500 * DAY),
    hasEmail: rng() < 0.8,
    hasPhone: rng() < 0.5,
    ...(big ? { big } : {}),
  };
}

/** A personal address of entity `index`: `first.last.<index>@`, so namesakes never share one. */
function personalMailbox(rng: Rng, f: string, l: string, index: number): string {
  rng(); // where the address's number came from; kept so that the draws after it stay as they were
  return `${f}.${l}.${index}@${pick(rng, FREE_MAIL)}`;
}

export function typo(rng: Rng, word: string): string {
  if (word.length < 4) return word;
  const at = 1 + Math.floor(rng() * (word.length - 2));
  const r = rng();
  if (r < 0.4) return word.slice(0, at) + word[at + 1] + word[at] + word.slice(at + 2); // swap
  if (r < 0.7) return word.slice(0, at) + word.slice(at + 1); // drop
  return word.slice(0, at) + pick(rng, ['e', 'a', 'i', 'n', 'r']) + word.slice(at + 1); // substitute
}

const HAS_ACCENT = /[éèÉüôëí]/;
function mojibake(text: string): string {
  if (!HAS_ACCENT.test(text)) return text;
  return text.replace(/[éèÉüôëí]/g, (c) => MOJIBAKE[c]!);
}

export function linkedinVariant(rng: Rng, slug: string, messy: boolean): string {
  if (!messy) return `https://www.linkedin.com/in/${slug}`;
  const host = pick(rng, ['ca.linkedin.com', 'linkedin.com', 'www.linkedin.com', 'fr.linkedin.com']);
  const scheme = rng() < 0.2 ? 'http://' : 'https://';
  const s = rng() < 0.1 ? slug.toUpperCase() : slug;
  const tail = pick(rng, ['', '', '/', '?trk=public_profile', '/?originalSubdomain=ca', '/fr']);
  return `${scheme}${host}/in/${s}${tail}`;
}

export function companyVariant(rng: Rng, e: Entity): string {
  const core = e.descriptor ? `${e.brand} ${e.descriptor}` : e.brand;
  const suffix = pick(rng, e.suffixFamily);
  const name = suffix.startsWith(',') ? core + suffix : suffix ? `${core} ${suffix}` : core;
  const r = rng();
  return r < 0.1 ? name.toUpperCase() : r < 0.15 ? name.toLowerCase() : name;
}

export function phoneVariant(rng: Rng, d: string): string {
  const [a, b, c] = [d.slice(0, 3), d.slice(3, 6), d.slice(6)];
  return pick(rng, [`(${a}) ${b}-${c}`, `${a}-${b}-${c}`, `+1 ${a} ${b} ${c}`, d, `${a}.${b}.${c}`, `1-${a}-${b}-${c}`]);
}

/** `Date#toISOString` is most of the generator's time; dates repeat, so format the day once. */
const dayPrefix = new Map<number, string>();
const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;
export function iso(ms: number): string {
  const day = Math.floor(ms / DAY);
  let prefix = dayPrefix.get(day);
  if (prefix === undefined) {
    prefix = new Date(day * DAY).toISOString().slice(0, 11);
    if (dayPrefix.size < 10_000) dayPrefix.set(day, prefix);
  }
  let rest = ms - day * DAY;
  const milli = rest % 1000;
  rest = (rest - milli) / 1000;
  const sec = rest % 60;
  rest = (rest - sec) / 60;
  return `${prefix}${pad2(Math.floor(rest / 60))}:${pad2(rest % 60)}:${pad2(sec)}.${String(milli).padStart(3, '0')}Z`;
}

function render(e: Entity, rng: Rng, position: number, copy: boolean): Lead {
  // Later copies are sparser: the reference's "newest copy often the emptiest".
  const keep = copy ? 0.65 : 0.92;
  let name = `${e.first} ${e.last}`;
  if (copy && rng() < 0.2) name = rng() < 0.5 ? `${typo(rng, e.first)} ${e.last}` : `${e.first} ${typo(rng, e.last)}`;
  if (rng() < 0.08) name = mojibake(name);
  if (rng() < 0.05) name = name.toUpperCase();
  if (rng() < 0.03) name = ` ${name}  `;
  let company: string | null = companyVariant(rng, e);
  const cr = rng();
  if (cr < 0.05) company = `${e.first} ${e.last} & ${rng() < 0.5 ? 'Associates' : 'Partners'}`;
  else if (cr < 0.07) company = 'Unknown Company';
  else if (rng() > keep) company = null;
  let email: string | null = e.hasEmail && rng() < keep + 0.05 ? e.email : null;
  if (email) {
    const r = rng();
    if (r < 0.1) email = email.toUpperCase();
    else if (r < 0.2) email = email[0]!.toUpperCase() + email.slice(1);
    else if (r < 0.25) email = ` ${email} `;
    if (rng() < 0.03) email = email.replace('@', '@www.');
  }
  const linkedin = rng() < keep + 0.05 ? linkedinVariant(rng, e.slug, copy || rng() < 0.3) : null;
  let website: string | null = null;
  if (rng() < keep) website = pick(rng, [`https://${e.domain}`, `https://www.${e.domain}/`, `www.${e.domain}`, `http://${e.domain}`, e.domain]);
  const created = e.createdMs + (copy ? Math.floor(rng() * 200 * DAY) : 0);
  return {
    id: `lead-${position}`,
    name: rng() < 0.99 ? name : null,
    email,
    company,
    title: rng() < keep ? e.title : null,
    linkedin_url: linkedin,
    company_website: website,
    phone: e.hasPhone && rng() < keep ? phoneVariant(rng, e.phone) : null,
    status: pick(rng, STATUSES),
    engagement_status: pick(rng, ENGAGEMENT) || null,
    created_at: iso(created),
    updated_at: iso(created + Math.floor(rng() * 60 * DAY)),
  };
}

/**
 * Generates `count` leads. Same arguments, same records. Each record's `entity` is its ground
 * truth (`e<N>`): records with the same entity are the same person.
 */
export function* generateLeads(count: number, options: GenerateOptions = {}): Generator<GeneratedLead> {
  const seed = options.seed ?? 1;
  const duplicateRate = options.duplicateRate ?? 0.15;
  const profile = options.profile ?? 'plain';
  if (!PROFILES.includes(profile)) throw new RangeError(`generateLeads: profile must be one of ${PROFILES.join(', ')}, not ${String(profile)}`);
  const companyCount = Math.max(20, Math.floor(count / 8));
  const rng = seededRandom(mix(seed, 0x7fffffff));
  let entities = 0;
  for (let i = 0; i < count; i++) {
    let index: number;
    const copy = entities > 0 && rng() < duplicateRate;
    if (copy) {
      // Mostly a recent entity (copies from sync runs days apart), sometimes any earlier one.
      const window = rng() < 0.7 ? Math.min(entities, 2000) : entities;
      index = entities - 1 - Math.floor(rng() * window);
    } else {
      index = entities++;
    }
    const e = entityOf(seed, index, companyCount, profile);
    const record = render(e, seededRandom(mix(seed ^ 0x9e3779b9, i)), i, copy);
    if (profile === 'plain') yield { record, entity: `e${index}` };
    else yield { record, entity: `e${index}`, mess: makeMessy(record, e, seed, i, e.big === true) };
  }
}

function main(argv: string[]): void {
  const count = Number(argv[0]);
  if (!Number.isInteger(count) || count < 0) {
    process.stderr.write('Usage: generate-leads N [--seed S] [--profile plain|messy] [--truth]\n');
    process.exitCode = 2;
    return;
  }
  const seedAt = argv.indexOf('--seed');
  const seed = seedAt >= 0 ? Number(argv[seedAt + 1]) : 1;
  const truth = argv.includes('--truth');
  const profileAt = argv.indexOf('--profile');
  const profile = (profileAt >= 0 ? argv[profileAt + 1] : 'plain') as Profile;
  if (!PROFILES.includes(profile)) {
    process.stderr.write(`--profile must be one of ${PROFILES.join(', ')}, not ${String(profile)}.\n`);
    process.exitCode = 2;
    return;
  }
  let buffer = '';
  const flush = (): boolean => {
    const ok = process.stdout.write(buffer);
    buffer = '';
    return ok;
  };
  const it = generateLeads(count, { seed, profile });
  const pump = (): void => {
    for (;;) {
      const next = it.next();
      if (next.done) {
        flush();
        return;
      }
      const { record, entity } = next.value;
      if (truth) record._meta = { entity };
      buffer += JSON.stringify(record) + '\n';
      if (buffer.length > 65536 && !flush()) {
        process.stdout.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
