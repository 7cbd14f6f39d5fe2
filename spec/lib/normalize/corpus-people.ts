/**
 * Corpus values for the fields about the person: names, emails, LinkedIn URLs. Generated from
 * names as they are written (each with its proper form), in the shapes exports hold them, plus
 * hand-picked values; each with the canonical form expected.
 */

/** One corpus value: field, input, the value expected (null: kept as it was), problems, shape. */
export interface CorpusEntry {
  field: string;
  input: string | number;
  value: string | null;
  problems: string[];
  /** The README rule table's shape (`rule.shape`) this value is an instance of. */
  shape: string;
}

export const entry = (field: string, shape: string, input: string | number, value: string | null, problems: string[] = []): CorpusEntry => ({
  field,
  input,
  value,
  problems,
  shape,
});

// First names and surnames as their owners write them: Québec names first, and every case the
// person-name rule has to know (hyphens, accents, Mc/Mac, O', d', particles).
const FIRST = [
  'Marc',
  'Jean-François',
  'Marie-Ève',
  'Élodie',
  'François',
  'Geneviève',
  'Stéphane',
  'Hélène',
  'Noël',
  'Zoë',
  'André',
  'Chloé',
  'Benoît',
  'Josée',
  'Mathieu',
  'Sophie',
  'Patrick',
  'Ian',
  'Sean',
  'Karine',
  'Luc',
  'Anne-Marie',
  'Jérôme',
  'Maxime',
];
const LAST = [
  'Gagnon',
  'Côté',
  'Tremblay',
  'Bouchard',
  'Roy',
  'Lévesque',
  'Bélanger',
  'Gauthier',
  'McDonald',
  'MacLeod',
  "O'Brien",
  "d'Amours",
  'de la Fontaine',
  'du Bois',
  'van der Berg',
  'Pelletier-Caron',
  'Saint-Pierre',
  'Lafrenière',
  'Ouellet',
  'Fortin',
  'Machado',
  'Lemieux',
  "L'Heureux",
  'von Trapp',
];

/** The slug LinkedIn gives a name: lower case, accents kept, words joined by hyphens. */
const slugOf = (first: string, last: string) => `${first}-${last}`.toLowerCase().replace(/['’ ]/g, '-').replace(/-+/g, '-');
/** The ASCII local part of an address made from a name. */
const asciiOf = (text: string) =>
  text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z]/g, '');

/** Pairs of first name and surname, `count` of them, spread over both lists. */
function people(count: number): Array<[string, string]> {
  return Array.from({ length: count }, (_, i) => [FIRST[i % FIRST.length], LAST[(i * 7 + Math.floor(i / LAST.length)) % LAST.length]]);
}

/** The mojibake of a text: its UTF-8 bytes read as cp1252. */
const garble = (text: string) => new TextDecoder('windows-1252').decode(new TextEncoder().encode(text));

export function nameCorpus(): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  for (const [first, last] of people(96)) {
    const proper = `${first} ${last}`;
    // A name starting with a particle or d' capitalizes it when it is the first word only.
    out.push(entry('name', 'person_name.upper', proper.toUpperCase(), proper));
    out.push(entry('name', 'person_name.lower', proper.toLowerCase(), proper));
    out.push(entry('name', 'person_name.mixed', proper, proper));
    if (/[^\x00-\x7f]/.test(proper)) out.push(entry('name', 'text.mojibake', garble(proper), proper));
  }
  const picked: Array<[string, string, string]> = [
    ['person_name.mc', 'SEAN MCDONALD', 'Sean McDonald'],
    ['person_name.mc', 'ian macleod', 'Ian MacLeod'],
    ['person_name.mc', 'MAXIME MACKAY', 'Maxime Mackay'],
    ['person_name.mc', 'rosa machado', 'Rosa Machado'],
    ['person_name.mc', 'ANGUS MACDONALD', 'Angus MacDonald'],
    ['person_name.mc', 'mark mack', 'Mark Mack'],
    ['person_name.apostrophe', "o'brien", "O'Brien"],
    ['person_name.apostrophe', 'PATRICK O’NEIL', 'Patrick O’Neil'],
    ['person_name.apostrophe', "pierre d'amours", "Pierre d'Amours"],
    ['person_name.apostrophe', "D'AMOURS", "D'Amours"],
    ['person_name.apostrophe', "luc l'heureux", "Luc L'Heureux"],
    ['person_name.apostrophe', "valéry giscard d'estaing", "Valéry Giscard d'Estaing"],
    ['person_name.particle', 'charles de gaulle', 'Charles de Gaulle'],
    ['person_name.particle', 'LUDWIG VAN BEETHOVEN', 'Ludwig van Beethoven'],
    ['person_name.particle', 'otto von bismarck', 'Otto von Bismarck'],
    ['person_name.particle', 'marie des rosiers', 'Marie des Rosiers'],
    ['person_name.particle', 'DE GAULLE', 'De Gaulle'],
    ['person_name.particle', 'marie le blanc', 'Marie Le Blanc'],
    ['person_name.particle', 'leonardo da vinci', 'Leonardo da Vinci'],
    ['person_name.upper', 'JOHN SMITH III', 'John Smith III'],
    ['person_name.upper', 'GAGNON, MARC', 'Gagnon, Marc'],
    ['person_name.upper', 'J. R. TREMBLAY', 'J. R. Tremblay'],
    ['person_name.lower', 'jean smith jr.', 'Jean Smith Jr.'],
    ['person_name.lower', 'marie-ève côté', 'Marie-Ève Côté'],
    ['person_name.lower', 'émilie', 'Émilie'],
    ['person_name.mixed', 'DeShawn McKinsey', 'DeShawn McKinsey'],
    ['person_name.mixed', 'jean ROY', 'jean ROY'],
    ['person_name.mixed', 'van Houten', 'van Houten'],
    ['person_name.mixed', '李小龍', '李小龍'],
    ['text.whitespace', '  Marc   Gagnon ', 'Marc Gagnon'],
    ['text.whitespace', 'Marc\u200B Gagnon', 'Marc Gagnon'],
    ['text.whitespace', 'Marc\u00A0Gagnon', 'Marc Gagnon'],
    ['text.mojibake', 'Ã‰milie CÃ´tÃ©', 'Émilie Côté'],
    ['text.whitespace', ' MARC  GAGNON ', 'Marc Gagnon'],
  ];
  return [...out, ...picked.map(([shape, input, value]) => entry('name', shape, input, value))];
}

const COMPANY_DOMAINS = [
  'acme.ca',
  'energir.com',
  'desjardins.com',
  'bdc.ca',
  'flinks.io',
  'boreal.qc.ca',
  'lavaltech.com',
  'cgi.com',
  'nova-solutions.ca',
  'shop.acme.co.uk',
];
const PROVIDERS: Array<[typo: string, domain: string]> = [
  ['gmial.com', 'gmail.com'],
  ['gamil.com', 'gmail.com'],
  ['gmail.con', 'gmail.com'],
  ['hotmial.com', 'hotmail.com'],
  ['hotmal.ca', 'hotmail.ca'],
  ['outlok.com', 'outlook.com'],
  ['yahooo.com', 'yahoo.com'],
  ['videotrom.ca', 'videotron.ca'],
  ['iclod.com', 'icloud.com'],
  ['sympatcio.ca', 'sympatico.ca'],
];

export function emailCorpus(): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  people(72).forEach(([first, last], i) => {
    const f = asciiOf(first);
    const l = asciiOf(last);
    const local = [`${f}.${l}`, `${f[0]}${l}`, `${f}_${l}`, `${f}+leads`][i % 4];
    const domain = COMPANY_DOMAINS[i % COMPANY_DOMAINS.length];
    const address = `${local}@${domain}`;
    out.push(entry('email', 'email.plain', address, address));
    out.push(entry('email', 'email.case', i % 2 ? address.toUpperCase() : ` ${local[0].toUpperCase()}${local.slice(1)}@${domain} `, address));
    out.push(
      entry(
        'email',
        ['email.mailto', 'email.display', 'email.www'][i % 3],
        [`mailto:${address}`, `${first} ${last} <${address}>`, `${local}@www.${domain}`][i % 3],
        address,
      ),
    );
    const [typo, provider] = PROVIDERS[i % PROVIDERS.length];
    out.push(entry('email', 'email.provider_typo', `${local}@${typo}`, `${local}@${typo}`, ['email_domain_typo']));
    if (i % 2 === 0) out.push(entry('email', 'email.plain', `${local}@${provider}`, `${local}@${provider}`));
    if (i % 3 === 0)
      out.push(
        entry('email', 'email.dots', [`${address}.`, `${local}@${domain.replace('.', '..')}`, `${local}@.${domain}`][(i % 9) / 3], null, ['email_domain_typo']),
      );
  });
  const picked: Array<[string, string, string | null, string[]?]> = [
    ['email.placeholder', 'autotest42@example.com', 'autotest42@example.com', ['placeholder_email_domain']],
    ['email.placeholder', 'john@techcorp.com', 'john@techcorp.com', ['placeholder_email_domain']],
    ['email.placeholder', 'a.b@mail.example.com', 'a.b@mail.example.com', ['placeholder_email_domain']],
    ['email.role', 'info@acme.ca', 'info@acme.ca', ['role_mailbox']],
    ['email.role', 'Sales@Energir.com', 'sales@energir.com', ['role_mailbox']],
    ['email.role', 'no-reply@bdc.ca', 'no-reply@bdc.ca', ['role_mailbox']],
    ['email.invalid', 'jean smith@acme.com', null, ['invalid_email']],
    ['email.invalid', 'jean.tremblay@', null, ['invalid_email']],
    ['email.invalid', 'none', null, ['invalid_email']],
    ['email.invalid', 'jean@@acme.com', null, ['invalid_email']],
    ['email.invalid', 'jean@acme', null, ['invalid_email']],
    ['email.plain', 'élodie@acme.ca', 'élodie@acme.ca'],
    ['email.plain', 'jane@yahoo.co', 'jane@yahoo.co'],
    ['email.plain', 'jane@ymail.com', 'jane@ymail.com'],
    ['email.plain', 'jane@cloud.com', 'jane@cloud.com'],
    ['email.plain', 'jane@live.ca', 'jane@live.ca'],
    ['email.plain', 'jane@gmail.ca', 'jane@gmail.ca'],
    ['email.www', 'www@acme.com', 'www@acme.com'],
    ['email.provider_typo', 'Jane.Roy@GMIAL.COM', 'jane.roy@gmial.com', ['email_domain_typo']],
    ['email.dots', 'jane@gmial.com.', null, ['email_domain_typo']],
  ];
  return [...out, ...picked.map(([shape, input, value, problems]) => entry('email', shape, input, value, problems))];
}

const LINKEDIN = 'https://www.linkedin.com/in/';
const SUB_PAGES = ['/details/experience/', '/recent-activity/all/', '/overlay/contact-info/', '/details/skills/', '/recent-activity/'];

export function linkedinCorpus(): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  people(60).forEach(([first, last], i) => {
    const slug = `${slugOf(first, last)}${i % 3 === 0 ? `-${(1000 + i * 37).toString(36)}` : ''}`;
    const canon = LINKEDIN + slug;
    const upper = slug.replace(/(^|-)(\p{L})/gu, (_m, sep, c) => sep + c.toUpperCase());
    out.push(
      entry(
        'linkedin_url',
        'linkedin_url.host',
        [`https://ca.linkedin.com/in/${upper}/`, `http://fr.linkedin.com/in/${slug}`, `https://linkedin.com/in/${slug}/`][i % 3],
        canon,
      ),
    );
    out.push(entry('linkedin_url', 'linkedin_url.scheme', [`linkedin.com/in/${slug}`, `www.linkedin.com/in/${slug}/`][i % 2], canon));
    out.push(entry('linkedin_url', 'linkedin_url.query', `${canon}${['?trk=public_profile', '/?originalSubdomain=ca', '#experience'][i % 3]}`, canon));
    out.push(
      entry('linkedin_url', 'linkedin_url.sub_page', `${i % 2 ? canon : `https://ca.linkedin.com/in/${upper}`}${SUB_PAGES[i % SUB_PAGES.length]}`, canon),
    );
    out.push(entry('linkedin_url', 'linkedin_url.language', `${canon}/${['fr', 'en', 'en-us/'][i % 3]}`, canon));
    if (/[^\x00-\x7f]/.test(slug)) out.push(entry('linkedin_url', 'linkedin_url.encoded', `${LINKEDIN}${encodeURIComponent(slug)}`, canon));
  });
  const picked: Array<[string, string, string | null, string[]?]> = [
    ['linkedin_url.pub', 'https://www.linkedin.com/pub/lin-lu/5/b43/9a8', `${LINKEDIN}lin-lu-9a8b435`],
    ['linkedin_url.pub', 'http://ca.linkedin.com/pub/jean-roy/1/2/34/', `${LINKEDIN}jean-roy-0340021`],
    ['linkedin_url.other', 'https://www.linkedin.com/company/acme', null, ['not_linkedin_profile']],
    ['linkedin_url.other', 'https://www.linkedin.com/sales/lead/ACwAAA123,NAME_SEARCH,abc', null, ['not_linkedin_profile']],
    ['linkedin_url.other', 'https://www.linkedin.com/feed/', null, ['not_linkedin_profile']],
    ['linkedin_url.other', 'https://twitter.com/jean', null, ['not_linkedin_url']],
    ['linkedin_url.other', 'jean tremblay', null, ['not_linkedin_url']],
    ['linkedin_url.other', 'https://www.linkedin.com/in/jean/photo/', null, ['not_linkedin_profile']],
    ['linkedin_url.host', 'https://uk.linkedin.com/in/JEAN-TREMBLAY/?originalSubdomain=ca', `${LINKEDIN}jean-tremblay`],
    ['linkedin_url.host', `  ${LINKEDIN}jean-tremblay  `, `${LINKEDIN}jean-tremblay`],
  ];
  return [...out, ...picked.map(([shape, input, value, problems]) => entry('linkedin_url', shape, input, value, problems))];
}
