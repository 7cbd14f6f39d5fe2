/**
 * The shapes of value each standardization rule accepts, one example each: the README's rule table
 * is rendered from this list (a spec keeps the two in step and runs every example through the
 * rules), and the corpus spec has values of every shape.
 */

/** One shape: its id (`rule.shape`), the field of the example, what it is, the example and its result. */
export interface Shape {
  id: string;
  field: string;
  shape: string;
  example: string | number;
  /** The standardized value; null when the value is kept as it was (with `problems`). */
  result: string | null;
  problems?: string[];
  note?: string;
}

const s = (id: string, field: string, shape: string, example: string | number, result: string | null, problems?: string[], note?: string): Shape => ({
  id,
  field,
  shape,
  example,
  result,
  problems,
  note,
});

export const SHAPES: Shape[] = [
  s('text.mojibake', 'name', 'UTF-8 read as cp1252 (any text field)', 'FranÃ§ois Bouchard', 'François Bouchard'),
  s('text.whitespace', 'title', 'stray, repeated or no-break spaces, zero-width characters', '  VP   Ventes ', 'VP Ventes'),
  s('person_name.upper', 'name', 'ALL CAPS', 'MARC GAGNON', 'Marc Gagnon'),
  s('person_name.lower', 'name', 'all lower case, hyphenated and accented', 'marie-ève côté', 'Marie-Ève Côté'),
  s('person_name.mc', 'name', 'Mc and Mac', 'IAN MACLEOD', 'Ian MacLeod', undefined, 'Machado, Mack and the like stay as they are'),
  s('person_name.apostrophe', 'name', "O', L' and d'", "pierre d'amours", "Pierre d'Amours"),
  s('person_name.particle', 'name', 'particles (de, du, des, van, von, der, la after de)', 'jean de la fontaine', 'Jean de la Fontaine'),
  s('person_name.mixed', 'name', 'mixed case: how its owner writes it', 'DeShawn McKinsey', 'DeShawn McKinsey'),
  s('email.plain', 'email', 'an address', 'jean.tremblay@acme.ca', 'jean.tremblay@acme.ca'),
  s('email.case', 'email', 'capitals, spaces around', ' Jean.Tremblay@Acme.CA ', 'jean.tremblay@acme.ca'),
  s('email.mailto', 'email', 'a mailto: link', 'mailto:jane@acme.com', 'jane@acme.com'),
  s('email.display', 'email', 'a display name', 'Jane Roy <jane.roy@acme.com>', 'jane.roy@acme.com'),
  s('email.www', 'email', 'a www. domain', 'first@www.acme.com', 'first@acme.com'),
  s(
    'email.provider_typo',
    'email',
    'a misspelt mail provider',
    'jane@gmial.com',
    'jane@gmial.com',
    ['email_domain_typo'],
    'the message proposes jane@gmail.com; `fix_domain_typos: true` writes it',
  ),
  s('email.dots', 'email', 'stray dots in the domain', 'jane@acme..com', null, ['email_domain_typo'], 'proposes jane@acme.com, as above'),
  s('email.placeholder', 'email', 'a placeholder or test domain', 'lead@example.com', 'lead@example.com', ['placeholder_email_domain']),
  s('email.role', 'email', 'a role mailbox', 'info@acme.com', 'info@acme.com', ['role_mailbox']),
  s('email.invalid', 'email', 'not an address', 'jean smith@acme.com', null, ['invalid_email']),
  s('website_url.host', 'company_website', 'a bare host', 'acme.com', 'https://acme.com'),
  s('website_url.www', 'company_website', 'a www. host', 'www.acme.qc.ca', 'https://www.acme.qc.ca'),
  s('website_url.scheme', 'company_website', 'http://, capitals, a root slash', 'HTTP://ACME.COM/', 'https://acme.com'),
  s('website_url.slash', 'company_website', 'a path ending in a slash, with or without a query', 'https://acme.com/about/?id=3', 'https://acme.com/about?id=3'),
  s(
    'website_url.tracking',
    'company_website',
    'tracking parameters (utm_*, gclid, fbclid…)',
    'https://acme.com/fr?lang=fr&utm_source=x',
    'https://acme.com/fr?lang=fr',
  ),
  s('website_url.fragment', 'company_website', 'a fragment', 'https://acme.com/#team', 'https://acme.com'),
  s('website_url.idn', 'company_website', 'an accented domain', 'https://café.ca', 'https://xn--caf-dma.ca'),
  s('website_url.blocked', 'company_website', 'a social, search or placeholder site', 'facebook.com/acme', 'https://facebook.com/acme', [
    'not_company_website',
  ]),
  s('website_url.invalid', 'company_website', 'not a web address', 'not a website', null, ['invalid_website']),
  s(
    'linkedin_url.host',
    'linkedin_url',
    'a country host, capitals, a slash',
    'https://ca.linkedin.com/in/Jean-Tremblay/',
    'https://www.linkedin.com/in/jean-tremblay',
  ),
  s('linkedin_url.scheme', 'linkedin_url', 'no scheme', 'linkedin.com/in/jean-tremblay', 'https://www.linkedin.com/in/jean-tremblay'),
  s(
    'linkedin_url.query',
    'linkedin_url',
    'a query or fragment',
    'https://www.linkedin.com/in/jean-tremblay?trk=public_profile',
    'https://www.linkedin.com/in/jean-tremblay',
  ),
  s('linkedin_url.language', 'linkedin_url', 'a language segment', 'https://www.linkedin.com/in/jean-tremblay/fr', 'https://www.linkedin.com/in/jean-tremblay'),
  s(
    'linkedin_url.sub_page',
    'linkedin_url',
    'a profile sub-page (details, recent-activity, overlay)',
    'https://www.linkedin.com/in/jean-tremblay/details/experience/',
    'https://www.linkedin.com/in/jean-tremblay',
  ),
  s(
    'linkedin_url.encoded',
    'linkedin_url',
    'a percent-encoded slug',
    'https://www.linkedin.com/in/fran%C3%A7ois-c%C3%B4t%C3%A9',
    'https://www.linkedin.com/in/françois-côté',
  ),
  s('linkedin_url.pub', 'linkedin_url', 'a legacy /pub/ URL', 'https://www.linkedin.com/pub/lin-lu/5/b43/9a8', 'https://www.linkedin.com/in/lin-lu-9a8b435'),
  s('linkedin_url.other', 'linkedin_url', 'another LinkedIn page or site', 'https://www.linkedin.com/company/acme', null, ['not_linkedin_profile']),
  s('company_name.upper', 'company', 'ALL CAPS', 'BOMBARDIER INC.', 'Bombardier Inc'),
  s('company_name.lower', 'company', 'all lower case', 'banque nationale du canada', 'Banque Nationale du Canada'),
  s('company_name.suffix', 'company', 'a legal suffix of a listed family', 'Acme Incorporated', 'Acme Inc'),
  s('company_name.acronym', 'company', 'short ALL-CAPS words (acronyms)', 'CGI GROUP INC', 'CGI Group Inc'),
  s('company_name.brand', 'company', 'mixed case: a brand', 'iRobot', 'iRobot'),
  s('company_name.junk', 'company', 'search-snippet text, URLs, placeholders', 'Flinks www.zoominfo.com', 'Flinks www.zoominfo.com', ['scraped_company']),
  s('phone.nanp', 'phone', 'a North American number, any punctuation', '(514) 555-0142', '+15145550142'),
  s('phone.trunk', 'phone', 'a leading 1', '1-450-555-0100', '+14505550100'),
  s('phone.number', 'phone', 'a JSON number', 5145550142, '+15145550142'),
  s('phone.international', 'phone', 'a country code', '+33 1 42 68 53 00', '+33142685300'),
  s('phone.extension', 'phone', 'an extension', '514-555-1234 x12', '+15145551234 ext. 12'),
  s('phone.invalid', 'phone', 'too short, or not a number', '555-1234', null, ['invalid_phone']),
  s('engagement_status.variant', 'engagement_status', 'another case or separator', 'auto_send', 'Auto-Send'),
  s('engagement_status.alias', 'engagement_status', 'an alias', 'Manual Review', 'Needs Review'),
  s('engagement_status.empty', 'engagement_status', 'empty', '', 'Auto-Send'),
  s('engagement_status.unknown', 'engagement_status', 'anything else', 'Failed - No Website', null, ['invalid_engagement_status']),
  s('dates.iso', 'date_messaged', 'ISO, one-digit month or day', '2025-3-4', '2025-03-04'),
  s('dates.iso_time', 'date_messaged', 'an ISO date-time (its written date)', '2025-03-04T23:30:00-05:00', '2025-03-04'),
  s('dates.slashed', 'date_messaged', 'MM/DD/YYYY (DD/MM with day_month_order: day_first)', '03/04/2025', '2025-03-04'),
  s('dates.english', 'date_messaged', 'English month names', 'March 4, 2025', '2025-03-04'),
  s('dates.english_short', 'date_messaged', 'abbreviated, with a weekday or a short year', "Mar 4 '25", '2025-03-04'),
  s('dates.french', 'date_messaged', 'French month names', 'le 1er mars 2025', '2025-03-01'),
  s('dates.epoch_seconds', 'date_messaged', 'a Unix time in seconds (2000–2100), number or digits', 1741046400, '2025-03-04'),
  s('dates.epoch_milliseconds', 'date_messaged', 'a Unix time in milliseconds (2000–2100)', 1741046400000, '2025-03-04'),
  s('dates.no_year', 'date_messaged', 'a date without its year, relative words', 'March 4', null, ['invalid_date']),
  s('dates.datetime_zone', 'created_at', 'date-time: ISO with a zone', '2025-03-04T09:30:00-05:00', '2025-03-04T14:30:00.000Z'),
  s('dates.datetime_naive', 'created_at', 'date-time: no zone (read as UTC)', '2025-03-04 09:30:00', '2025-03-04T09:30:00.000Z'),
  s('dates.datetime_ampm', 'created_at', 'date-time: MM/DD/YYYY h:mm AM/PM', '03/04/2025 3:05 PM', '2025-03-04T15:05:00.000Z'),
  s('dates.datetime_english', 'created_at', 'date-time: English, with a zone name', 'March 4, 2025 3:30 PM EST', '2025-03-04T20:30:00.000Z'),
  s('dates.datetime_french', 'created_at', 'date-time: French', '4 mars 2025 à 14h30', '2025-03-04T14:30:00.000Z'),
  s('dates.datetime_epoch', 'created_at', 'date-time: a Unix time in seconds or milliseconds', 1741082400123, '2025-03-04T10:00:00.123Z'),
  s('dates.other_number', 'created_at', 'any other number (a day count, an Excel serial)', 45720, null, ['invalid_date']),
];

const code = (v: unknown) => `\`${JSON.stringify(v).replace(/\|/g, '\\|')}\``;

/** The README's rule table, rendered from SHAPES. */
export function renderRuleTable(): string {
  const rows = SHAPES.map((x) => {
    const result = x.result === null ? 'kept' : code(x.result);
    const flags = x.problems?.length ? `, flagged ${x.problems.map((p) => `\`${p}\``).join(', ')}` : '';
    const note = x.note ? ` (${x.note})` : '';
    return `| \`${x.id.split('.')[0]}\` | \`${x.field}\` | ${x.shape} | ${code(x.example)} | ${result}${flags}${note} |`;
  });
  return ['', '| rule | field | accepts | example | becomes |', '|---|---|---|---|---|', ...rows, ''].join('\n');
}
