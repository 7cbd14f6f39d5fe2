import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { nanpE164 } from './nanp.js';
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
  const nanp = nanpE164(text, defaultCountry);
  if (nanp !== undefined) return { value: nanp, steps: nanp === input ? [] : ['e164'], problems: [] };
  const country = (isSupportedCountry(defaultCountry) ? defaultCountry : undefined) as CountryCode | undefined;
  const parsed = parsePhoneNumberFromString(text, { defaultCountry: country, extract: false });
  if (!parsed?.isValid()) {
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
  const value = parsed.ext ? `${parsed.number} ext. ${parsed.ext}` : parsed.number;
  return { value, steps: value === input ? [] : ['e164'], problems: [] };
}
