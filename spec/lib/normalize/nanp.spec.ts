import { expect } from 'chai';
import fc from 'fast-check';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { isInvalidNanpText, isValidNanpNumber, nanpE164 } from '../../../lib/normalize/nanp.js';
import { toE164 } from '../../../lib/normalize/phone.js';

/** What the library makes of a text: its E.164 form when valid (and without extension). */
function library(text: string, defaultCountry: string): string | undefined {
  const parsed = parsePhoneNumberFromString(text, { defaultCountry: defaultCountry as CountryCode, extract: false });
  return parsed?.isValid() && !parsed.ext ? parsed.number : undefined;
}

const digits = (n: number, width: number) => String(n).padStart(width, '0');

// Area codes anywhere in 000–999 (0xx and 1xx are not area codes; N11, 555, 8xx toll-free, 900
// and the Caribbean codes with their own leading digits are in range), exchanges 000–999 (0xx and
// 1xx are not exchanges), lines 0000–9999.
const nationalDigits = fc
  .tuple(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 9999 }))
  .map(([area, exchange, line]) => [digits(area, 3), digits(exchange, 3), digits(line, 4)] as const);
const written = fc
  .tuple(
    nationalDigits,
    fc.constantFrom('', '+1', '+1 ', '+1-', '+1.', '1', '1 ', '1-', '1.', '+', '11', '+2'),
    fc.boolean(),
    fc.constantFrom('', ' ', '-', '.', '  ', '/'),
    fc.constantFrom('', ' ', '-', '.', '  '),
  )
  .map(([[area, exchange, line], prefix, parens, sep1, sep2]) => `${prefix}${parens ? `(${area})` : area}${sep1}${exchange}${sep2}${line}`);

describe('nanpE164 (the fast path for North American numbers)', () => {
  it('gives what libphonenumber-js gives for every usual way of writing a number (property, CA and US)', () => {
    fc.assert(
      fc.property(written, fc.constantFrom('CA', 'US'), (text, country) => {
        const fast = nanpE164(text, country);
        // Undefined hands the text to the library, so it must never hide a valid number the
        // library would read differently: where the fast path answers, it is the library's answer.
        if (fast !== undefined) expect(fast, text).to.equal(library(text, country));
        else if (/^(?:\+1[ .-]?|1[ .-]?)?(?:\([2-9]\d\d\)|[2-9]\d\d)[ .-]?\d{3}[ .-]?\d{4}$/.test(text)) {
          expect(library(text, country), `${text} is in a usual shape: the fast path calls it invalid`).to.equal(undefined);
        }
      }),
      { seed: 7, numRuns: 6000 },
    );
  });

  it('calls a number invalid without the library only where the library calls it invalid (property, CA and US)', () => {
    let invalid = 0;
    fc.assert(
      fc.property(written, fc.constantFrom('CA', 'US'), (text, country) => {
        if (!isInvalidNanpText(text, country)) return;
        invalid++;
        expect(library(text, country), text).to.equal(undefined);
        expect(
          toE164(text, country).problems.map((p) => p.code),
          text,
        ).to.deep.equal(['invalid_phone']);
      }),
      { seed: 23, numRuns: 6000 },
    );
    expect(invalid, 'the generated numbers include invalid ones').to.be.greaterThan(100);
    expect(isInvalidNanpText('514-555-1234', 'CA'), 'a valid number').to.equal(false);
    expect(isInvalidNanpText('514-155-1234', 'FR'), "other defaults are the library's business").to.equal(false);
    expect(isInvalidNanpText('001 514 155 1234', 'CA'), 'a 00 prefix goes the usual way').to.equal(false);
  });

  it("answers for +1 numbers whatever the default country, and leaves other countries' numbers to the library", () => {
    fc.assert(
      fc.property(written, fc.constantFrom('FR', 'GB', 'JM', 'AG', 'MX'), (text, country) => {
        const fast = nanpE164(text, country);
        if (!text.startsWith('+1')) expect(fast, text).to.equal(undefined);
        else if (fast !== undefined) expect(fast, text).to.equal(library(text, country));
      }),
      { seed: 11, numRuns: 2000 },
    );
  });

  it('reads an extension after the number as the library does (property, CA and US)', () => {
    const withExtension = fc
      .tuple(
        written,
        fc.constantFrom(' x', 'x', ' x ', ' X', ' ext', ' ext.', ' ext. ', ' Ext.', 'ext', ' #', '#', ',,', ' ,,'),
        fc.integer({ min: 0, max: 999_999 }),
      )
      .map(([text, marker, ext]) => `${text}${marker}${ext}`);
    fc.assert(
      fc.property(withExtension, fc.constantFrom('CA', 'US'), (text, country) => {
        const fast = nanpE164(text, country);
        if (fast === undefined) return;
        const parsed = parsePhoneNumberFromString(text, { defaultCountry: country as CountryCode, extract: false });
        expect(fast, text).to.equal(parsed?.isValid() && parsed.ext ? `${parsed.number} ext. ${parsed.ext}` : undefined);
      }),
      { seed: 17, numRuns: 6000 },
    );
  });

  it('reads the international prefix 00 before a +1 number as +, where the library finds no number as written', () => {
    for (const text of ['001 514 555 1234', '001-514-555-1234', '00 1 514 555 1234', '001 (514) 555-1234', '0015145551234']) {
      expect(library(text, 'CA'), text).to.equal(undefined);
      expect(nanpE164(text, 'CA'), text).to.equal('+15145551234');
      expect(nanpE164(text, 'US'), text).to.equal('+15145551234');
    }
    expect(nanpE164('001 514 155 1234', 'CA'), 'still checked like any other number').to.equal(undefined);
    expect(nanpE164('001 514 555 1234', 'FR'), "other defaults are the library's business").to.equal(undefined);
  });

  it('reads the international prefix 011 before a 1 as +, as the library does (property, CA and US)', () => {
    const dialled = fc
      .tuple(fc.constantFrom('011 1 ', '0111', '011 1', '0111 ', '011 1-', '011  1 ', '011-1 '), nationalDigits, fc.constantFrom(' ', '-', ''))
      .map(([prefix, [area, exchange, line], sep]) => `${prefix}${area}${sep}${exchange}${sep}${line}`);
    let answered = 0;
    fc.assert(
      fc.property(dialled, fc.constantFrom('CA', 'US'), (text, country) => {
        const fast = nanpE164(text, country);
        if (fast === undefined) return;
        answered++;
        expect(fast, text).to.equal(library(text, country));
      }),
      { seed: 29, numRuns: 3000 },
    );
    expect(answered, 'valid numbers are answered').to.be.greaterThan(100);
    expect(nanpE164('011 1 212 669 2637', 'CA')).to.equal('+12126692637');
    expect(nanpE164('011 33 1 42 68 53 00', 'CA'), "other countries' numbers are the library's business").to.equal(undefined);
  });

  it('agrees with the library on every area code (two exchanges each, one of them invalid)', () => {
    const disagreements: string[] = [];
    for (let area = 200; area <= 999; area++) {
      for (const exchange of ['555', '123']) {
        const national = `${area}${exchange}0199`;
        if (isValidNanpNumber(national) !== (library(`+1${national}`, 'CA') !== undefined)) disagreements.push(national);
      }
    }
    expect(disagreements).to.deep.equal([]);
  });

  it('knows real numbers from impossible ones', () => {
    expect(nanpE164('(514) 555-1234', 'CA')).to.equal('+15145551234');
    expect(nanpE164('1-212-555-0199', 'US')).to.equal('+12125550199');
    expect(nanpE164('+1 268 464 1234', 'FR'), 'Antigua, by its leading digits').to.equal('+12684641234');
    expect(nanpE164('514-155-1234', 'CA'), 'an exchange cannot start with 1').to.equal(undefined);
    expect(nanpE164('911-555-1234', 'CA'), 'N11 is not an area code').to.equal(undefined);
    expect(nanpE164('514-555-1234', 'FR'), "a French national number is the library's business").to.equal(undefined);
  });
});
