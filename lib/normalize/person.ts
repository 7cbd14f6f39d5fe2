import { isRepairedText, repairText } from './name.js';
import type { Canonical } from './result.js';

/** The person-name rule's settings (`field_standardization.person_name`). */
export interface PersonNameRules {
  enabled: boolean;
  /** Put names written in ALL CAPS or all lower case in proper case; mixed case is left alone. */
  normalize_case: boolean;
}

export const PERSON_NAME_DEFAULTS: PersonNameRules = { enabled: true, normalize_case: true };

// Name particles, written in lower case inside a name (Charles de Gaulle, Ludwig van Beethoven);
// a name that starts with one keeps it capitalized, as a sentence would (De Gaulle alone).
const PARTICLES = new Set(['de', 'du', 'des', 'del', 'della', 'di', 'da', 'dos', 'das', 'van', 'von', 'der', 'den', 'ter', 'ten', 'zu']);
// Articles that are particles only after another particle (Jean de la Fontaine, Van der Berg);
// elsewhere they are surnames (Marie Le Blanc).
const ARTICLES = new Set(['la', 'le', 'les']);
// Generational roman numerals, kept in capitals (John Smith III); Jr and Sr are capitalized words.
const NUMERALS = new Set(['ii', 'iii', 'iv', 'vi', 'vii', 'viii']);
// Words starting with "mac" that are not Mac + a capitalized name (Machado, Mackie, Macy).
const NOT_MAC = new Set([
  'mace',
  'macey',
  'machado',
  'machin',
  'machon',
  'macias',
  'mack',
  'mackay',
  'mackey',
  'mackie',
  'macklin',
  'mackle',
  'macon',
  'macomber',
  'macy',
  'maciel',
  'macek',
  'macha',
  'machu',
  'macario',
  'macri',
  'macro',
]);

/** The word with its first character in capitals, unless that makes two characters of one (ß: SS). */
function upperFirst(word: string): string {
  const first = String.fromCodePoint(word.codePointAt(0) ?? 0);
  const upper = first.toUpperCase();
  return word && [...upper].length === 1 ? upper + word.slice(first.length) : word;
}

/** One hyphen-free part of a name in lower case, capitalized as names are (McDonald, MacLeod, O'Brien, L'Heureux). */
function capitalizePart(part: string, first: boolean): string {
  const apostrophe = /^([\p{L}])['’]([\p{L}].*)$/u.exec(part);
  if (apostrophe) {
    const [, article, rest] = apostrophe;
    const elided = `${article === 'd' && !first ? 'd' : article.toUpperCase()}${part[1]}`;
    return elided + capitalizePart(rest, false);
  }
  if (part.length > 2 && part.startsWith('mc')) return `Mc${upperFirst(part.slice(2))}`;
  if (part.length > 5 && part.startsWith('mac') && !NOT_MAC.has(part)) return `Mac${upperFirst(part.slice(3))}`;
  return upperFirst(part);
}

/** One space-separated word of a name in lower case, in the name's case; `previous` is the word before it. */
function nameWord(word: string, index: number, previous: string | undefined): string {
  const bare = word.replace(/[.,]+$/, '');
  if (index > 0 && (PARTICLES.has(bare) || (ARTICLES.has(bare) && previous !== undefined && PARTICLES.has(previous)))) return word;
  if (index > 0 && NUMERALS.has(bare)) return word.toUpperCase();
  return word
    .split('-')
    .map((part, i) => capitalizePart(part, index === 0 && i === 0))
    .join('-');
}

const MIXED_ASCII_LOWER = /[a-z]/;
const MIXED_ASCII_UPPER = /[A-Z]/;

/** Whether a name is written in one case only: `upper`, `lower`, or undefined (mixed, or no letter). */
function singleCase(name: string): 'upper' | 'lower' | undefined {
  // A lower-case and an upper-case ASCII letter: mixed case, settled without copying the name.
  if (MIXED_ASCII_LOWER.test(name) && MIXED_ASCII_UPPER.test(name)) return undefined;
  const upper = name === name.toUpperCase();
  const lower = name === name.toLowerCase();
  if (upper === lower) return undefined;
  return upper ? 'upper' : 'lower';
}

/**
 * A person's name in proper case when it was written in ALL CAPS or all lower case
 * (`MARC GAGNON`, `jean-françois roy` → `Marc Gagnon`, `Jean-François Roy`): each word and each
 * part of a hyphenated name capitalized, accents kept, Mc/Mac, O', L' and d' handled, particles
 * (de, du, van, von…) in lower case inside the name, roman numerals in capitals. A name in mixed
 * case is how its owner writes it (McKinsey, DeShawn, van Houten) and is left alone.
 */
export function canonicalPersonName(input: string, rules: PersonNameRules = PERSON_NAME_DEFAULTS): Canonical {
  if (!rules.normalize_case || singleCase(input) === undefined) return { value: input, steps: [], problems: [] };
  const words = input.toLowerCase().split(' ');
  const value = words.map((word, i) => nameWord(word, i, i > 0 ? words[i - 1].replace(/[.,]+$/, '') : undefined)).join(' ');
  // Garbled text in lower case (ã© for é) can read as mojibake once capitalized (Ã©): text repair
  // would then change it on the next run, so such a name is left for a person to fix.
  if (!isRepairedText(value) && repairText(value).value !== value) return { value: input, steps: [], problems: [] };
  return { value, steps: value === input ? [] : ['case'], problems: [] };
}

/** True when `canonicalPersonName` would leave the name as it is: it has both cases (most names). */
export function isCasedPersonName(input: string): boolean {
  return singleCase(input) === undefined;
}
