import { toE164 } from '../normalize/phone.js';

/*
 * A phone number's match key: E.164 when the number is valid, its last digits (a weaker key) when not.
 */

// North American numbers (+1) in any common spelling: read without libphonenumber, which is
// most of fingerprint's time otherwise. Area code and exchange never start with 0 or 1.
const NANP = /^(?:\+?1[\s.-]?)?\(?([2-9]\d{2})\)?[\s.-]?([2-9]\d{2})[\s.-]?(\d{4})$/;
const NANP_COUNTRIES = new Set(['CA', 'US']);

/**
 * A phone number as a key: E.164 without extension for a valid number; for a number the phone
 * library calls invalid (an unassigned area code or exchange, a mistyped country code), its last
 * digits marked with `DIGITS_PREFIX` (see `digitsKey`); none for placeholders and scraps.
 */
export function phoneKey(value: string | number, defaultCountry: string): string | undefined {
  const text = String(value).trim();
  if (!text) return undefined;
  if (NANP_COUNTRIES.has(defaultCountry) || text.startsWith('+1')) {
    const nanp = NANP.exec(text);
    if (nanp) {
      const digits = nanp[1]! + nanp[2]! + nanp[3]!;
      // A run of one digit (222-222-2222) is a placeholder, not a number.
      return /^(\d)\1+$/.test(digits) ? undefined : `+1${digits}`;
    }
  }
  return toE164(text, defaultCountry).value?.replace(/ ext\. .*$/, '') ?? digitsKey(text);
}

/**
 * The prefix of a phone key made of bare digits. Such a key is lower confidence than an E.164 one:
 * the digits still tell one person's number from another's (so it blocks and counts in the fuzzy
 * score like a phone), but nobody checked that they make a number, so it never links records
 * exactly on its own, even when `phone` is a matching field (`isWeakKey`). It keeps the key name
 * `phone` so that the blocks and the fuzzy comparison, which read the phone key, use it unchanged;
 * an E.164 key always starts with `+`, so the two never meet by chance.
 */
const DIGITS_PREFIX = 'digits:';

/** True for a key that may describe a lead but must not join two records exactly by itself. */
export function isWeakKey(value: string): boolean {
  return value.startsWith(DIGITS_PREFIX);
}

// Fewer digits than this are a local number without its area code, or a scrap: too common to key.
const MIN_DIGITS = 9;
// More than E.164's 15 are two numbers in one cell, whose last digits would be only one of them.
const MAX_DIGITS = 15;
// Digits kept: a national number's, without the country code or trunk prefix written before it.
const KEPT_DIGITS = 10;
const EXTENSION = /\s*(?:ext\.?|extension|poste|x|#)\s*\d{1,6}\s*$/i;
const ASCENDING = '01234567890123456789';
const DESCENDING = '98765432109876543210';
/** A run of one digit (000-000-0000) or a counting run (123-456-7890) is a placeholder, not a number. */
function isPlaceholderDigits(digits: string): boolean {
  return /^(\d)\1+$/.test(digits) || ASCENDING.includes(digits) || DESCENDING.includes(digits);
}

/** The lower-confidence key of a number the phone library calls invalid: its last 10 digits (9 when it has 9). */
function digitsKey(text: string): string | undefined {
  const digits = text.replace(EXTENSION, '').replace(/\D+/g, '');
  if (digits.length < MIN_DIGITS || digits.length > MAX_DIGITS) return undefined;
  const kept = digits.slice(-KEPT_DIGITS);
  return isPlaceholderDigits(kept) ? undefined : DIGITS_PREFIX + kept;
}
