/**
 * Typos in the domain of an email address that have only one reading: stray dots (`acme.com.`,
 * `acme..com`, `@.acme.com`) and one-keystroke misspellings of the largest mail providers
 * (`gmial.com`, `hotmial.com`, `gmail.con`). A domain one keystroke away from two providers
 * (`yahoo.co`: yahoo.ca or yahoo.com?) is ambiguous and left alone, and so is any domain on the
 * provider list itself, real domains that look like typos included (ymail.com, mail.com).
 */

/** The providers whose misspellings are recognized (the email rule's `provider_domains` default). */
export const PROVIDER_DOMAINS = [
  'gmail.com', 'googlemail.com', 'yahoo.com', 'yahoo.ca', 'yahoo.fr', 'hotmail.com', 'hotmail.ca', 'hotmail.fr',
  'outlook.com', 'outlook.fr', 'live.com', 'live.ca', 'msn.com', 'icloud.com', 'me.com', 'mac.com', 'aol.com',
  'protonmail.com', 'proton.me', 'videotron.ca', 'sympatico.ca', 'bell.net', 'ymail.com', 'mail.com', 'gmx.com',
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
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true;
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
  }
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

/** A provider list split once into name and ending (`gmail` + `com`), with the exact domains as a set. */
interface ProviderLookup {
  exact: Set<string>;
  split: Array<{ domain: string; name: string; ending: string }>;
}

const lookups = new WeakMap<string[], ProviderLookup>();

function providerLookup(providers: string[]): ProviderLookup {
  let lookup = lookups.get(providers);
  if (!lookup) {
    const split = providers.map((domain) => {
      const dot = domain.indexOf('.');
      return { domain: domain.toLowerCase(), name: domain.slice(0, dot).toLowerCase(), ending: domain.slice(dot + 1).toLowerCase() };
    });
    lookups.set(providers, (lookup = { exact: new Set(split.map((p) => p.domain)), split }));
  }
  return lookup;
}

/** The one provider `domain` misspells, or undefined (not a misspelling, or of two providers). */
export function misspelledProvider(domain: string, providers: string[]): string | undefined {
  const lookup = providerLookup(providers);
  if (lookup.exact.has(domain) || LOOK_ALIKES.has(domain)) return undefined;
  const dot = domain.indexOf('.');
  if (dot < 1) return undefined;
  const name = domain.slice(0, dot);
  const ending = domain.slice(dot + 1);
  let found: string | undefined;
  for (const p of lookup.split) {
    const typo = (p.ending === ending && p.name.length >= SHORTEST_MISSPELLED_NAME && oneEditApart(name, p.name))
      // `yahoo.co` is one keystroke from yahoo.com and from yahoo.ca: both count, so it stays.
      || (p.name === name && COM_TYPOS.has(ending) && (p.ending === 'com' || oneEditApart(ending, p.ending)));
    if (!typo) continue;
    if (found !== undefined && found !== p.domain) return undefined;
    found = p.domain;
  }
  return found;
}

/**
 * The domain with its typos fixed, or undefined when it has none this rule reads: stray dots
 * removed first (`gmial.com.` → `gmial.com`), then a provider misspelling (→ `gmail.com`).
 */
export function domainTypoFix(domain: string, providers: string[]): string | undefined {
  const dotted = domain.replace(/\.{2,}/g, '.').replace(/^\.+|\.+$/g, '');
  const fixed = misspelledProvider(dotted, providers) ?? dotted;
  return fixed !== domain && fixed.includes('.') ? fixed : undefined;
}
