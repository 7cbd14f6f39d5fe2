import { Metadata } from 'libphonenumber-js/core';
import metadata from 'libphonenumber-js/min/metadata';

/**
 * A fast path for the phone numbers most leads have: North American numbers written in one of
 * the usual ways (`(514) 555-1234`, `514.555.1234`, `1-514-555-1234`, `+1 514 555 1234`). It
 * answers what libphonenumber-js's `parsePhoneNumberFromString(text, { defaultCountry }).isValid()`
 * answers, with the same metadata (the `min` set the main entry uses) and the same steps
 * (country by leading digits or by number type, then validity by number type), but with each
 * pattern compiled once: the library builds a `RegExp` from the metadata text on every test,
 * which made a phone number cost more than the rest of a lead. A spec checks agreement with the
 * library over generated numbers, invalid area codes and exchanges included.
 */

// The library's order of number types after FIXED_LINE (helpers/getNumberType.js).
const TYPES = ['FIXED_LINE', 'MOBILE', 'PREMIUM_RATE', 'TOLL_FREE', 'SHARED_COST', 'VOIP', 'PERSONAL_NUMBER', 'PAGER', 'UAN', 'VOICEMAIL'] as const;

/** The parts of the library's `Metadata` runtime API read here (its typings declare fewer). */
interface PlanReader {
  selectNumberingPlan(country: string): void;
  getCountryCodesForCallingCode(code: string): string[] | undefined;
  leadingDigits(): string | undefined;
  nationalNumberPattern(): string;
  hasTypes(): boolean;
  type(name: string): { pattern(): string; possibleLengths(): number[] | undefined } | undefined;
}

interface Plan {
  country: string;
  /** Unanchored, as the library uses it (`number.search(leadingDigits) === 0`). */
  leadingDigits?: RegExp;
  national: RegExp;
  /** Undefined when the plan has no per-type patterns: then the national pattern decides validity. */
  types?: Array<{ pattern: RegExp; lengths?: number[] }>;
}

const entire = (pattern: string) => new RegExp(`^(?:${pattern})$`);

function readPlans(): Plan[] {
  const reader = new Metadata(metadata) as unknown as PlanReader;
  return (reader.getCountryCodesForCallingCode('1') ?? []).map((country) => {
    reader.selectNumberingPlan(country);
    const leading = reader.leadingDigits();
    const plan: Plan = { country, national: entire(reader.nationalNumberPattern()) };
    if (leading) plan.leadingDigits = new RegExp(leading);
    if (reader.hasTypes()) {
      plan.types = [];
      for (const name of TYPES) {
        const type = reader.type(name);
        // A missing or empty pattern never matches (helpers/getNumberType.js, isNumberTypeEqualTo).
        if (type?.pattern()) plan.types.push({ pattern: entire(type.pattern()), lengths: type.possibleLengths() });
      }
    }
    return plan;
  });
}

const PLANS = readPlans();

/** The library's `getNumberType(...) !== undefined`: the national pattern, then any type's pattern. */
function hasType(plan: Plan, national: string): boolean {
  if (!plan.national.test(national)) return false;
  return plan.types!.some((t) => (!t.lengths || t.lengths.includes(national.length)) && t.pattern.test(national));
}

/** Whether a ten-digit national number is valid under calling code 1, as the library decides it. */
export function isValidNanpNumber(national: string): boolean {
  for (const plan of PLANS) {
    if (plan.leadingDigits) {
      // The country is settled by its leading digits; validity is then that country's.
      if (national.search(plan.leadingDigits) === 0) return plan.types ? hasType(plan, national) : plan.national.test(national);
    } else if (plan.types && hasType(plan, national)) {
      return true;
    }
  }
  // No country claims it: the fallback country (the default one, or the calling code's main
  // country) was among those tried and found no type, so the library calls it invalid.
  return false;
}

// `+1` or a national prefix `1`, then area code (parenthesized or not), exchange and line, with
// at most one space, dot or hyphen between groups. Area codes never start with 0 or 1.
const SHAPE = /^(?:\+1[ .-]?|1[ .-]?)?(?:\(([2-9]\d\d)\)|([2-9]\d\d))[ .-]?(\d{3})[ .-]?(\d{4})$/;
// SHAPE with any three digits for the area code: those starting with 0 or 1 are invalid ones.
const ANY_AREA_SHAPE = /^(?:\+1[ .-]?|1[ .-]?)?(?:\((\d\d\d)\)|(\d\d\d))[ .-]?(\d{3})[ .-]?(\d{4})$/;
// Default countries whose national numbers are read as calling code 1 without a `+1`.
const NANP_DEFAULTS = new Set(['CA', 'US']);

// An extension after the number as the library reads it (`x12`, `ext. 12`, `ext 12`, `#12`, `,,12`),
// up to six digits. The library writes it back as ` ext. N`.
const EXTENSION = /^(.*?\d\)?)\s*(?:ext\.?|x|#|,,)\s*(\d{1,6})$/i;
// `001 514 …` or `00 1 514 …`: the international prefix `00` as Europe writes it (phone.ts reads it
// as `+` wherever the library finds no number as written, which for these defaults is always).
// `011 1 514 …`: the one North America dials, which the library reads as `+` for these defaults.
const INTERNATIONAL_1 = /^0(?:0|11) ?(?=1)/;

/**
 * The E.164 form of a valid North American number in a usual shape, with its extension
 * (`+15145551234 ext. 12`) when it has one, or undefined when the text is in another shape, has
 * another country, or is invalid: the caller then asks the library.
 */
export function nanpE164(text: string, defaultCountry: string): string | undefined {
  const national = nanpNational(text, defaultCountry);
  if (national !== undefined) return isValidNanpNumber(national) ? `+1${national}` : undefined;
  const ext = EXTENSION.exec(text);
  if (!ext) return undefined;
  const main = nanpNational(ext[1]!, defaultCountry);
  return main !== undefined && isValidNanpNumber(main) ? `+1${main} ext. ${ext[2]}` : undefined;
}

/**
 * True when the text is a North American number in a usual shape, as written (no `00` prefix, no
 * extension), with CA or US as the default country, and the number is invalid: the library calls
 * it invalid too (a spec checks this), so it need not be asked, which is the dearest part of a
 * phone number that is not valid.
 */
export function isInvalidNanpText(text: string, defaultCountry: string): boolean {
  if (!NANP_DEFAULTS.has(defaultCountry)) return false;
  const m = ANY_AREA_SHAPE.exec(text);
  return m !== null && !isValidNanpNumber((m[1] ?? m[2]) + m[3] + m[4]);
}

/** The ten digits of a text in a usual North American shape, or undefined. */
function nanpNational(text: string, defaultCountry: string): string | undefined {
  const nanpDefault = NANP_DEFAULTS.has(defaultCountry);
  if (nanpDefault && text.charCodeAt(0) === 48) text = text.replace(INTERNATIONAL_1, '+');
  if (!nanpDefault && !text.startsWith('+1')) return undefined;
  const m = SHAPE.exec(text);
  return m ? (m[1] ?? m[2]) + m[3] + m[4] : undefined;
}
