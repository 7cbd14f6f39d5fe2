import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { memo } from './memo.js';
import { isInvalidNanpText, nanpE164 } from './nanp.js';
import type { Canonical } from './result.js';
import { show } from './result.js';

/** The phone rule's settings (`field_standardization.phone`). */
export interface PhoneRules {
  enabled: boolean;
  /** ISO 3166 country for numbers written without `+country` (CA: the data is Montreal-centric). */
  default_country: string;
}

export const PHONE_DEFAULTS: PhoneRules = { enabled: true, default_country: 'CA' };

/** True when libphonenumber-js knows the country (two capital letters, e.g. `CA`, `US`, `FR`). */
export function isCountryCode(code: string): boolean {
  return isSupportedCountry(code);
}

/** Why `code` cannot be a default country, or undefined when it can (one message for every stage that takes one). */
export function countryCodeProblem(code: string): string | undefined {
  return isCountryCode(code) ? undefined : `"${code}" is not a country code known to libphonenumber; use two capital letters such as CA, US, FR`;
}

/**
 * A phone number in E.164 (`+15145551234`), read with libphonenumber-js; numbers without a
 * country code are read as `defaultCountry`'s. An extension is kept after the number
 * (`+15145551234 ext. 12`) so nothing is lost. An unparseable or invalid number gets no `value`
 * (keep the original) and an `invalid_phone` problem.
 */
export function toE164(input: string | number, defaultCountry = PHONE_DEFAULTS.default_country): Canonical {
  const text = String(input).trim();
  const value = nanpE164(text, defaultCountry) ?? (isInvalidNanpText(text, defaultCountry) ? undefined : libraryE164(defaultCountry)(text));
  if (value === undefined) {
    return {
      steps: [],
      problems: [
        {
          code: 'invalid_phone',
          message: `${show(input)} is not a valid phone number for ${defaultCountry} or any country code; it was kept as it is. Write it with its country code (+1 514 555 1234).`,
        },
      ],
    };
  }
  return { value, steps: value === input ? [] : ['e164'], problems: [] };
}

// Exports written in Europe put the international prefix `00` where `+` goes (`0033 1 42 68 53 00`);
// no national number starts with it, so it is read as `+` when the text is not a number as written.
const INTERNATIONAL_00 = /^00(?=\s*[1-9])/;
// French for extension, as Québec exports write it (`514-555-1234 poste 204`).
const POSTE = /\s*\bposte\s*(?=\d{1,6}$)/i;

/** The library's E.164 (with ` ext. N`) of a text, or undefined when it calls it invalid. */
function parsedE164(text: string, country: CountryCode | undefined): string | undefined {
  const parsed = parsePhoneNumberFromString(text, { defaultCountry: country, extract: false });
  if (!parsed?.isValid()) return undefined;
  return parsed.ext ? `${parsed.number} ext. ${parsed.ext}` : parsed.number;
}

/**
 * What the library makes of a number outside the fast path, per default country, memoized:
 * parsing is most of a phone's cost, and the same numbers come back (a person's copies, a
 * company's switchboard). The memo is bounded (memo.ts).
 */
const byCountry = new Map<string, (text: string) => string | undefined>();
function libraryE164(defaultCountry: string): (text: string) => string | undefined {
  let read = byCountry.get(defaultCountry);
  if (read) return read;
  const country = (isSupportedCountry(defaultCountry) ? defaultCountry : undefined) as CountryCode | undefined;
  // `memo` keeps no undefined: an invalid number is remembered as null.
  const remembered = memo((text: string): string | null => {
    const asWritten = parsedE164(text, country);
    if (asWritten !== undefined) return asWritten;
    const rewritten = text.replace(INTERNATIONAL_00, '+').replace(POSTE, ' ext. ');
    return (rewritten !== text ? parsedE164(rewritten, country) : undefined) ?? null;
  });
  read = (text) => remembered(text) ?? undefined;
  byCountry.set(defaultCountry, read);
  return read;
}
