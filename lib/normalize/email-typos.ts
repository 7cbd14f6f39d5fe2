/**
 * Typos in the domain of an email address that have only one reading: stray dots (`acme.com.`,
 * `acme..com`, `@.acme.com`) and one-keystroke misspellings of the largest mail providers
 * (`gmial.com`, `hotmial.com`, `gmail.con`). A domain one keystroke away from two providers
 * (`yahoo.co`: yahoo.ca or yahoo.com?) is ambiguous and left alone, and so is any domain on the
 * provider list itself, real domains that look like typos included (ymail.com, mail.com).
 */

/** The providers whose misspellings are recognized (the email rule's `provider_domains` default). */
export const PROVIDER_DOMAINS = [
  'gmail.com',
  'googlemail.com',
  'yahoo.com',
  'yahoo.ca',
  'yahoo.fr',
  'hotmail.com',
  'hotmail.ca',
  'hotmail.fr',
  'outlook.com',
  'outlook.fr',
  'live.com',
  'live.ca',
  'msn.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'aol.com',
  'protonmail.com',
  'proton.me',
  'videotron.ca',
  'sympatico.ca',
  'bell.net',
  'ymail.com',
  'mail.com',
  'gmx.com',
];

// Real domains one keystroke from a provider's (cloud.com: icloud.com, email.com: gmail.com):
// never a typo, whatever the provider list.
const LOOK_ALIKES = new Set(['cloud.com', 'email.com', 'mail.com', 'ymail.com', 'hotmail.de', 'hotmail.it', 'hotmail.es', 'yahoo.de', 'yahoo.es', 'yahoo.it']);

// Provider names this short are one keystroke from too many real domains (live: life, love; me: ms).
const SHORTEST_MISSPELLED_NAME = 5;
// Misspellings of the `.com` ending seen in real data, with the provider's name itself intact.
const COM_TYPOS = new Set(['con', 'cmo', 'ocm', 'cm', 'om', 'co', 'comm', 'vom', 'xom', 'coom']);

/** True when `a` becomes `b` by one insertion, deletion, substitution or swap of two neighbours. */
export function oneEditApart(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 1) return false;
  // The first and the last difference: one edit leaves them at most two characters apart.
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  let ja = a.length - 1;
  let jb = b.length - 1;
  while (ja >= i && jb >= i && a.charCodeAt(ja) === b.charCodeAt(jb)) {
    ja--;
    jb--;
  }
  if (a.length !== b.length) return Math.max(ja, jb) === i && Math.min(ja, jb) === i - 1;
  if (ja === i) return true;
  return ja === i + 1 && a.charCodeAt(i) === b.charCodeAt(i + 1) && a.charCodeAt(i + 1) === b.charCodeAt(i);
}

/** A provider list split into name and ending (`gmail` + `com`). */
function splitProviders(providers: string[]): Array<{ domain: string; name: string; ending: string }> {
  return providers.map((domain) => {
    const lower = domain.toLowerCase();
    const dot = lower.indexOf('.');
    return { domain: lower, name: lower.slice(0, dot), ending: lower.slice(dot + 1) };
  });
}

/**
 * The one provider `domain` misspells, or undefined (not a misspelling, or of two providers),
 * provider by provider: what `typoTable` answers in one lookup (a spec checks they agree).
 */
export function misspelledProviderByScan(domain: string, providers: string[]): string | undefined {
  const split = splitProviders(providers);
  if (split.some((p) => p.domain === domain) || LOOK_ALIKES.has(domain)) return undefined;
  const dot = domain.indexOf('.');
  if (dot < 1) return undefined;
  const name = domain.slice(0, dot);
  const ending = domain.slice(dot + 1);
  let found: string | undefined;
  for (const p of split) {
    const typo =
      (p.ending === ending && p.name.length >= SHORTEST_MISSPELLED_NAME && oneEditApart(name, p.name)) ||
      // `yahoo.co` is one keystroke from yahoo.com and from yahoo.ca: both count, so it stays.
      (p.name === name && COM_TYPOS.has(ending) && (p.ending === 'com' || oneEditApart(ending, p.ending)));
    if (!typo) continue;
    if (found !== undefined && found !== p.domain) return undefined;
    found = p.domain;
  }
  return found;
}

const DOMAIN_CHARACTERS = 'abcdefghijklmnopqrstuvwxyz0123456789-';

/** Every string one insertion, deletion, substitution or swap of neighbours from `word` (domain characters). */
function oneEditVariants(word: string): Set<string> {
  const variants = new Set<string>();
  for (let i = 0; i <= word.length; i++) {
    for (const c of DOMAIN_CHARACTERS) {
      variants.add(word.slice(0, i) + c + word.slice(i));
      if (i < word.length) variants.add(word.slice(0, i) + c + word.slice(i + 1));
    }
    if (i < word.length) variants.add(word.slice(0, i) + word.slice(i + 1));
    if (i < word.length - 1) variants.add(word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2));
  }
  variants.delete(word);
  return variants;
}

/**
 * Every misspelt domain of a provider list, with the provider it misspells (null: it misspells
 * two), built once per list: a lookup per address instead of a scan of the providers. It holds
 * some thousands of domains whatever the data.
 */
function typoTable(providers: string[]): Map<string, string | null> {
  const table = new Map<string, string | null>();
  const add = (typo: string, domain: string) => table.set(typo, table.has(typo) && table.get(typo) !== domain ? null : domain);
  const split = splitProviders(providers);
  for (const p of split) {
    if (p.name.length >= SHORTEST_MISSPELLED_NAME) for (const name of oneEditVariants(p.name)) add(`${name}.${p.ending}`, p.domain);
    for (const ending of COM_TYPOS) if (p.ending === 'com' || oneEditApart(ending, p.ending)) add(`${p.name}.${ending}`, p.domain);
  }
  for (const domain of [...split.map((p) => p.domain), ...LOOK_ALIKES]) table.delete(domain);
  return table;
}

/**
 * A provider list's typo table, with a first look that costs no hashing: a bit per (length, first
 * and second character) of the table's domains. Most addresses' domains are new strings, whose
 * hashing for a map lookup cost more than the rest of the email rule; the bits rule most out.
 */
interface TypoLookup {
  table: Map<string, string | null>;
  shapes: Uint32Array;
}

const shapeOf = (domain: string) => ((domain.length & 63) << 12) | ((domain.charCodeAt(0) & 63) << 6) | (domain.charCodeAt(1) & 63);

function typoLookup(providers: string[]): TypoLookup {
  const table = typoTable(providers);
  const shapes = new Uint32Array(1 << 13);
  for (const domain of table.keys()) shapes[shapeOf(domain) >>> 5] |= 1 << (shapeOf(domain) & 31);
  return { table, shapes };
}

// Built once per provider list (a rule set lives as long as its run); the last one used is at hand.
const lookups = new WeakMap<string[], TypoLookup>();
let lastProviders: string[] | undefined;
let lastLookup: TypoLookup | undefined;

/** The one provider `domain` (in lower case) misspells, or undefined (not a misspelling, or of two providers). */
export function misspelledProvider(domain: string, providers: string[]): string | undefined {
  if (providers !== lastProviders) {
    let lookup = lookups.get(providers);
    if (!lookup) lookups.set(providers, (lookup = typoLookup(providers)));
    [lastProviders, lastLookup] = [providers, lookup];
  }
  const shape = shapeOf(domain);
  if ((lastLookup!.shapes[shape >>> 5] & (1 << (shape & 31))) === 0) return undefined;
  return lastLookup!.table.get(domain) ?? undefined;
}

/**
 * The domain with its typos fixed, or undefined when it has none this rule reads: stray dots
 * removed first (`gmial.com.` → `gmial.com`), then a provider misspelling (→ `gmail.com`).
 */
export function domainTypoFix(domain: string, providers: string[]): string | undefined {
  const stray = domain.charCodeAt(0) === 0x2e || domain.charCodeAt(domain.length - 1) === 0x2e || domain.includes('..');
  const dotted = stray ? domain.replace(/\.{2,}/g, '.').replace(/^\.+|\.+$/g, '') : domain;
  const fixed = misspelledProvider(dotted, providers) ?? dotted;
  return fixed !== domain && fixed.includes('.') ? fixed : undefined;
}
