import { isCleanAscii, repairText } from './name.js';
import type { Canonical, Problem } from './result.js';
import { show } from './result.js';

/** The company rule's settings (`field_standardization.company_name`). */
export interface CompanyRules {
  enabled: boolean;
  /** Change the case of names written in all capitals or all lower case; mixed case is left alone. */
  normalize_case: boolean;
  /** Legal-suffix families to handle, named by any of their spellings (`Inc.` = Inc/Inc./Incorporated). */
  remove_suffixes: string[];
  /** Write a handled suffix in its canonical form (`Inc`); false removes it instead. */
  add_proper_suffix: boolean;
  /** All-capital words up to this length are acronyms and keep their case (`CGI`, `SFM`). */
  acronym_max_length: number;
  /** Flag snippet text, URLs inside names and placeholders such as "<Name> & Associates". */
  flag_junk: boolean;
}

export const COMPANY_DEFAULTS: CompanyRules = {
  enabled: true,
  normalize_case: true,
  remove_suffixes: ['Inc.', 'LLC', 'Corp.', 'Ltd.'],
  add_proper_suffix: true,
  acronym_max_length: 3,
  flag_junk: true,
};

/**
 * Legal suffixes: canonical form first, then the other spellings (compared without case, dots
 * and commas). Canonical forms carry no period: one token per suffix, the same in every system,
 * and `Acme Inc` / `ACME, Inc.` / `Acme Incorporated` become one string.
 */
export const companyLegalSuffixes: ReadonlyArray<readonly string[]> = [
  ['Inc', 'Incorporated'],
  ['LLC', 'L.L.C.'],
  ['Corp', 'Corporation'],
  ['Ltd', 'Limited'],
  ['Ltée', 'Limitée', 'Ltee'],
  ['Co', 'Company'],
  ['LLP'],
  ['LP'],
  ['PLC'],
  ['GmbH'],
  ['AG'],
  ['SA', 'S.A.'],
  ['SARL', 'S.à r.l.'],
  ['SAS'],
  ['BV', 'B.V.'],
  ['NV', 'N.V.'],
  ['Pty Ltd', 'Pty. Ltd.', 'Pty Limited'],
];

const key = (s: string) => s.toLowerCase().replace(/[.,\s]/g, '');
const FAMILY = new Map<string, readonly string[]>();
for (const family of companyLegalSuffixes) for (const spelling of family) FAMILY.set(key(spelling), family);

// The first letters of the keys, as bits: a word starting with any other ASCII letter is no
// suffix, which settles most words of a name without lower-casing them.
const KEY_INITIALS = [...FAMILY.keys()].reduce((bits, k) => bits | (1 << (k.charCodeAt(0) - 97)), 0);

/** The suffix family a spelling belongs to (`inc.` → [`Inc`, `Incorporated`]), if any. */
export function suffixFamily(spelling: string): readonly string[] | undefined {
  const first = spelling.charCodeAt(0);
  if (((first >= 65 && first <= 90) || (first >= 97 && first <= 122)) && !(KEY_INITIALS & (1 << ((first | 0x20) - 97)))) return undefined;
  // Keys are letters only: a lower-cased spelling without dots, commas or spaces is its own key.
  const lower = spelling.toLowerCase();
  return FAMILY.get(lower) ?? (/[.,\s]/.test(lower) ? FAMILY.get(key(lower)) : undefined);
}

/** Patterns of scraped text that is not a company name, each with what it is. */
export const COMPANY_JUNK: ReadonlyArray<readonly [RegExp, string]> = [
  [/some results may have been delisted|learn more next/i, 'search-results notice'],
  [/here are the details of/i, 'search snippet'],
  [/\b(?:about [\d,]+ results|did you mean:|people also ask)/i, 'search-results text'],
  [/\b\d+ (?:seconds?|minutes?|hours?|days?|weeks?|months?|years?) ago\b/i, 'snippet date'],
  [/\b\d[\d,]* reviews?\b/i, 'review count'],
  [/·\s*\w+:|specialties:/i, 'profile snippet'],
  [/https?:\/\/|www\.[a-z0-9-]+\.|\b[a-z0-9-]+\.(?:com|ca|net|org|io|co)\b/i, 'a URL inside the name'],
  [/<\/?[a-z][^>]*>/i, 'HTML tags'],
  [/^(?:unknown(?: company)?|n\/?a|none|null|undefined|-+|tbd|company)$/i, 'a placeholder'],
];

// One pass over the name for the common case (no junk at all).
const ANY_JUNK = new RegExp(COMPANY_JUNK.map(([pattern]) => `(?:${pattern.source})`).join('|'), 'i');
// What every junk pattern needs somewhere in the name: a digit, `:`, `<`, `·`, a dot before a
// word character, one of the phrases, or a placeholder word at the start. Most names have none
// of these, and this test is cheaper than ANY_JUNK (a spec checks it never misses junk).
export const MAYBE_JUNK =
  /[\d:<·]|\.[a-z0-9-]|some results|learn more next|here are the details of|about [\d,]|people also ask|^(?:unknown|n\/?a|none|null|undefined|-|tbd|company)/i;

const ENTITIES: Record<string, string> = { '&amp;': '&', '&#39;': "'", '&apos;': "'", '&quot;': '"', '&nbsp;': ' ', '&#038;': '&' };

const fold = (s: string) =>
  s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();

/** Problems of a company value that is not a company name (scraped text, placeholders). */
export function companyJunk(name: string, personName?: string): Problem[] {
  const hit = MAYBE_JUNK.test(name) && ANY_JUNK.test(name) ? COMPANY_JUNK.find(([pattern]) => pattern.test(name)) : undefined;
  if (hit) return [{ code: 'scraped_company', message: `Company ${show(name)} contains ${hit[1]}, not a company name; find the real company.` }];
  const placeholder = personName ? /^(.+?)\s*(?:&|and)\s*(?:associates|partners)$/i.exec(name) : null;
  if (placeholder && personName && fold(placeholder[1]) === fold(personName)) {
    return [{ code: 'placeholder_company', message: `Company ${show(name)} is made from the person's name, a placeholder; find the real company.` }];
  }
  return [];
}

const SMALL = new Set(['of', 'and', 'the', 'for', 'de', 'du', 'des', 'la', 'le', 'les', 'et', 'en', 'a', 'an', 'in', 'on', 'at', 'to', 'by', 'y']);

// An ASCII word of letters only: its letters are the word, and its title case is its first letter
// in capitals and the rest in lower case (what the general path below gives it, without regexes).
const ASCII_LETTERS = /^[A-Za-z]+$/;

function titleWord(word: string, first: boolean, rules: CompanyRules, wasUpper: boolean): string {
  if (ASCII_LETTERS.test(word)) {
    if (wasUpper && word.length <= rules.acronym_max_length && !SMALL.has(word.toLowerCase())) return word;
    const lower = word.toLowerCase();
    if (!first && SMALL.has(lower)) return lower;
    return lower[0].toUpperCase() + lower.slice(1);
  }
  const letters = word.replace(/[^\p{L}]/gu, '');
  if (wasUpper && letters.length > 0 && letters.length <= rules.acronym_max_length && !SMALL.has(letters.toLowerCase())) return word;
  const lower = word.toLowerCase();
  if (!first && SMALL.has(lower)) return lower;
  // Capitalize after a start, hyphen or an elided article (l'oréal, d'arcy); not after "'s".
  return lower.replace(/^(\p{L})'(\p{L})|(^|[-/(])(\p{L})/gu, (_m, b, c, sep, a) => (b ? `${b.toUpperCase()}'${c.toUpperCase()}` : sep + a.toUpperCase()));
}

const ASCII = /^[\x00-\x7F]*$/;

/**
 * A legal suffix written as the suffix table writes it: the spelling that matches it but for
 * case, else its letters cased as in the spelling with the same letters (`s.a.s.` → `S.A.S.`).
 */
function legalFormCase(word: string): string | undefined {
  const letters = key(word);
  if (!(KEY_INITIALS & (1 << (letters.charCodeAt(0) - 97)))) return undefined;
  const family = FAMILY.get(letters);
  if (!family) return undefined;
  const lower = word.toLowerCase();
  const exact = family.find((spelling) => spelling.toLowerCase() === lower);
  if (exact) return exact;
  const model = family.find((spelling) => key(spelling) === letters);
  if (!model) return undefined;
  const cases = [...model.replace(/[.,\s]/g, '')];
  let i = 0;
  return word.replace(/\p{L}/gu, (c) => (cases[i++] === cases[i - 1]!.toUpperCase() ? c.toUpperCase() : c.toLowerCase()));
}

/** Case for a name in all capitals or all lower case; mixed-case names (brands: iRobot, McKinsey) are kept. */
function normalizeCase(base: string, rules: CompanyRules): string {
  // A lower-case and an upper-case ASCII letter: mixed case whatever else the name holds.
  if (/[a-z]/.test(base) && /[A-Z]/.test(base)) return base;
  // For ASCII text, "unchanged by toUpperCase" is "no lower-case letter" (and the converse).
  const ascii = ASCII.test(base);
  const upper = ascii ? !/[a-z]/.test(base) : base === base.toUpperCase();
  const lower = ascii ? !/[A-Z]/.test(base) : base === base.toLowerCase();
  if (upper === lower || (!upper && !lower)) return base;
  const words = base.split(' ').map((w, i) => titleWord(w, i === 0, rules, upper));
  // A legal form this rule set does not rewrite still has its own case (`GmbH`, `S.A.S.`, not `Gmbh`, `S.a.s.`).
  if (words.length > 1) {
    const form = legalFormCase(words[words.length - 1]!);
    if (form) words[words.length - 1] = form;
  }
  const cased = words.join(' ');
  // Garbled text in lower case (ã‰ for É) can read as mojibake once capitalized (Ã‰): text repair
  // would change it on the next run, so such a name keeps its case for a person to fix.
  return ascii || repairText(cased).value === cased ? cased : base;
}

// The families a `remove_suffixes` list names, once per list (a rule set lives as long as its run).
const handledByList = new WeakMap<string[], Set<readonly string[]>>();
function handledFamilies(list: string[]): Set<readonly string[]> {
  let handled = handledByList.get(list);
  if (!handled) handledByList.set(list, (handled = new Set(list.map(suffixFamily).filter((f): f is readonly string[] => f !== undefined))));
  return handled;
}

const LAST_WORD = /^(.*?)[\s,]+((?:pty\.?\s+)?[\p{L}.]+)$/iu;
const ASCII_WORD = /^[A-Za-z.]+$/;
const NOT_ASCII = /[^\x00-\x7F]/;
const LETTER_WORD = /^[\p{L}.]+$/u;

/**
 * What `LAST_WORD` matches in a name whose only whitespace is single spaces: the text before the
 * separators (`[1]`) and the last word, `Pty` included when it precedes it (`[2]`). Without `pty`
 * in the name the last word is the text after the last space or comma, found without the
 * pattern's backtracking; a spec checks both give the same.
 */
export function splitLastWord(name: string): [before: string, word: string] | undefined {
  if (/pty/i.test(name)) {
    const m = LAST_WORD.exec(name);
    return m ? [m[1], m[2]] : undefined;
  }
  const last = Math.max(name.lastIndexOf(' '), name.lastIndexOf(','));
  if (last < 0) return undefined;
  const word = name.slice(last + 1);
  // ASCII words are read without the Unicode pattern (its letters there are A-Z and a-z).
  if (!ASCII_WORD.test(word) && !(NOT_ASCII.test(word) && LETTER_WORD.test(word))) return undefined;
  let start = last;
  while (start > 0 && (name[start - 1] === ' ' || name[start - 1] === ',')) start--;
  return [name.slice(0, start), word];
}

/** Splits trailing legal suffixes off (stacked ones too), never leaving the name empty. */
function splitSuffixes(name: string, handled: Set<readonly string[]>): { base: string; suffixes: Array<readonly string[]>; raw: string[] } {
  let base = name;
  const suffixes: Array<readonly string[]> = [];
  const raw: string[] = [];
  for (;;) {
    const m = splitLastWord(base);
    const family = m && suffixFamily(m[1]);
    if (!m || !family || !handled.has(family) || !/[\p{L}\p{N}]/u.test(m[0])) break;
    base = m[0].replace(/[\s,]+$/, '');
    suffixes.unshift(family);
    raw.unshift(m[1]);
  }
  return { base, suffixes, raw };
}

/**
 * The canonical form of a company name: text repaired, HTML entities decoded, whitespace
 * collapsed, handled legal suffixes in one canonical form (or removed), case normalized for
 * ALL-CAPS or all-lower names with short acronyms kept. A name is never erased: `Limited` alone
 * stays. Junk (snippets, URLs, placeholders from the person's name) is flagged and only its
 * whitespace is touched.
 */
export function canonicalCompanyName(input: string, rules: CompanyRules = COMPANY_DEFAULTS, personName?: string): Canonical {
  // Clean single-spaced ASCII has nothing for text repair, and without `&` no entity or whitespace to fix.
  const clean = isCleanAscii(input);
  const steps: string[] = [];
  let name = input;
  if (!clean) {
    const repaired = repairText(input);
    steps.push(...repaired.steps);
    name = repaired.value!;
  }
  if (!clean || name.includes('&')) {
    const decoded = name
      .replace(/&(?:amp|#39|apos|quot|nbsp|#038);/gi, (e) => ENTITIES[e.toLowerCase()] ?? e)
      .replace(/\s+/g, ' ')
      .trim();
    if (decoded !== name) steps.push('html_entities');
    name = decoded;
  }
  const problems = rules.flag_junk ? companyJunk(name, personName) : [];
  if (problems.length) return { value: name, steps, problems };
  const { base, suffixes, raw } = splitSuffixes(name, handledFamilies(rules.remove_suffixes));
  let cased = base;
  if (rules.normalize_case) {
    cased = normalizeCase(base, rules);
    if (cased !== base) steps.push('case');
  }
  let value = cased;
  if (suffixes.length) {
    // Each family once where stacked spellings repeat it (`Inc. Incorporated` → `Inc`).
    let canonical = suffixes[0][0];
    for (let i = 1; i < suffixes.length; i++) if (suffixes[i][0] !== suffixes[i - 1][0]) canonical += ` ${suffixes[i][0]}`;
    if (rules.add_proper_suffix) value = `${cased} ${canonical}`;
    const written = raw.join(' ');
    if (canonical !== written || !rules.add_proper_suffix || !isSpacedPair(name, base, written))
      steps.push(rules.add_proper_suffix ? 'suffix' : 'remove_suffix');
  }
  return { value, steps: value === input ? [] : steps, problems };
}

/** `name === \`${base} ${suffix}\`` without building the string. */
function isSpacedPair(name: string, base: string, suffix: string): boolean {
  return name.length === base.length + 1 + suffix.length && name.charCodeAt(base.length) === 32 && name.startsWith(base) && name.endsWith(suffix);
}
