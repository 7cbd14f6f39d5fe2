/**
 * Corpus values for the fields about the company and the lead's state: websites, company names,
 * phones, engagement statuses. Generated from real-looking bases in the shapes exports hold them,
 * plus hand-picked values; each with the canonical form expected.
 */
import { entry, type CorpusEntry } from './corpus-people.js';

const HOSTS = [
  'acme.com',
  'energir.com',
  'desjardins.com',
  'bdc.ca',
  'flinks.io',
  'boreal.qc.ca',
  'lavaltech.ca',
  'cgi.com',
  'nova-solutions.ca',
  'shop.acme.co.uk',
  'groupe-conseil.quebec',
  'hydro.qc.ca',
  'mtl-digital.co',
  'coop-laval.org',
  'studio42.net',
  'boulangerie-st-denis.com',
  'clinique.sante.ca',
  'agence-xyz.fr',
  'brasserie.ca',
  'logistik.ai',
];
const PATHS = ['/about', '/fr/contact', '/en/team', '/services/conseil', '/a-propos', '/careers'];

export function websiteCorpus(): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  HOSTS.forEach((host, i) => {
    const www = host.split('.').length === 2 ? `www.${host}` : host;
    const path = PATHS[i % PATHS.length];
    out.push(entry('company_website', 'website_url.host', host, `https://${host}`));
    out.push(entry('company_website', 'website_url.host', `https://${host}`, `https://${host}`));
    out.push(entry('company_website', 'website_url.www', www, `https://${www}`));
    out.push(entry('company_website', 'website_url.www', `//${www}/`, `https://${www}`));
    out.push(entry('company_website', 'website_url.scheme', `http://${host}`, `https://${host}`));
    out.push(entry('company_website', 'website_url.scheme', `HTTPS://${www.toUpperCase()}/`, `https://${www}`));
    out.push(entry('company_website', 'website_url.scheme', ` http://${host}/ `, `https://${host}`));
    out.push(entry('company_website', 'website_url.slash', `https://${host}${path}/`, `https://${host}${path}`));
    out.push(entry('company_website', 'website_url.slash', `${www}${path}/?id=${i}`, `https://${www}${path}?id=${i}`));
    out.push(entry('company_website', 'website_url.slash', `https://${host}/?ref=${i}`, `https://${host}?ref=${i}`));
    out.push(entry('company_website', 'website_url.tracking', `https://${host}/?utm_source=google&utm_medium=cpc`, `https://${host}`));
    out.push(entry('company_website', 'website_url.tracking', `http://${www}${path}/?utm_campaign=q${i}&gclid=Cj0K${i}`, `https://${www}${path}`));
    out.push(entry('company_website', 'website_url.tracking', `https://${host}${path}?lang=fr&fbclid=IwAR${i}`, `https://${host}${path}?lang=fr`));
    out.push(entry('company_website', 'website_url.fragment', `https://${host}/#contact`, `https://${host}`));
    out.push(entry('company_website', 'website_url.fragment', `${host}${path}/#team`, `https://${host}${path}`));
    out.push(entry('company_website', 'website_url.fragment', `https://${host}${path}?`, `https://${host}${path}`));
  });
  const picked: Array<[string, string, string | null, string[]?]> = [
    ['website_url.idn', 'https://café.ca', 'https://xn--caf-dma.ca'],
    ['website_url.idn', 'www.boulangerie-française.ca/', 'https://www.xn--boulangerie-franaise-j1b.ca'],
    ['website_url.idn', 'https://érable.quebec/', 'https://xn--rable-9ra.quebec'],
    ['website_url.host', 'https://acme.com:8443/', 'https://acme.com:8443'],
    ['website_url.blocked', 'https://www.linkedin.com/company/acme', 'https://www.linkedin.com/company/acme', ['not_company_website']],
    ['website_url.blocked', 'facebook.com/acme', 'https://facebook.com/acme', ['not_company_website']],
    ['website_url.blocked', 'https://www.google.ca/search?q=acme', 'https://www.google.ca/search?q=acme', ['not_company_website']],
    ['website_url.blocked', 'https://example.com', 'https://example.com', ['not_company_website']],
    ['website_url.blocked', 'http://www.yelp.com/biz/acme/', 'https://www.yelp.com/biz/acme', ['not_company_website']],
    ['website_url.blocked', 'https://ca.indeed.com/cmp/Acme', 'https://ca.indeed.com/cmp/Acme', ['not_company_website']],
    ['website_url.invalid', 'ftp://acme.com', null, ['invalid_website']],
    ['website_url.invalid', 'info@acme.com', null, ['invalid_website']],
    ['website_url.invalid', 'acme', null, ['invalid_website']],
    ['website_url.invalid', 'not a website', null, ['invalid_website']],
    ['website_url.invalid', 'https://acme.notarealtld', null, ['invalid_website']],
    ['website_url.invalid', 'N/A', null, ['invalid_website']],
  ];
  return [...out, ...picked.map(([shape, input, value, problems]) => entry('company_website', shape, input, value, problems))];
}

// Company names as written, each word of four letters or more so none reads as an acronym.
const COMPANIES = [
  'Acme Solutions',
  'Energir',
  'Bombardier',
  'Banque Nationale du Canada',
  'Groupe Boréal',
  'Technologies Laval',
  'Nova Conseil',
  'Boulangerie Saint-Denis',
  'Clinique Santé Plus',
  'Logistique Québec',
  'Studio Lumière',
  'Brasserie Dieu du Ciel',
  'Hydro Solutions',
  'Coopérative Agricole',
  'Services Financiers Lévis',
  'Pharmacie Côté',
  'Construction Tremblay',
  'Agence Numérique',
  'Distribution Gagnon',
  'Transport Rimouski',
];
const SUFFIXES: Array<[written: string, canonical: string]> = [
  ['', ''],
  [' Inc.', ' Inc'],
  [' Inc', ' Inc'],
  [', Inc.', ' Inc'],
  [' Incorporated', ' Inc'],
  [' LLC', ' LLC'],
  [', L.L.C.', ' LLC'],
  [' Corp.', ' Corp'],
  [' Corporation', ' Corp'],
  [' Ltd.', ' Ltd'],
  [' Limited', ' Ltd'],
];

export function companyCorpus(): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  COMPANIES.forEach((name, i) => {
    for (let k = 0; k < 6; k++) {
      const [written, canonical] = SUFFIXES[(i + k * 2) % SUFFIXES.length];
      const expected = name + canonical;
      out.push(entry('company', 'company_name.upper', (name + written).toUpperCase(), expected));
      out.push(entry('company', 'company_name.lower', (name + written).toLowerCase(), expected));
      out.push(entry('company', written === canonical ? 'company_name.brand' : 'company_name.suffix', name + written, expected));
    }
  });
  const picked: Array<[string, string, string | null, string[]?]> = [
    ['company_name.acronym', 'CGI GROUP INC', 'CGI Group Inc'],
    ['company_name.acronym', 'SFM Inc.', 'SFM Inc'],
    ['company_name.acronym', 'BDC', 'BDC'],
    ['company_name.brand', 'iRobot', 'iRobot'],
    ['company_name.brand', 'McKinsey & Company', 'McKinsey & Company'],
    ['company_name.upper', "L'ORÉAL CANADA", "L'Oréal Canada"],
    ['text.mojibake', 'Ã‰nergir', 'Énergir'],
    ['text.whitespace', 'Desjardins\u200B', 'Desjardins'],
    ['company_name.suffix', 'Acme Corp., Inc.', 'Acme Corp Inc'],
    ['company_name.junk', 'Flinks www.zoominfo.com', 'Flinks www.zoominfo.com', ['scraped_company']],
    ['company_name.junk', 'About 1,230 results', 'About 1,230 results', ['scraped_company']],
    ['company_name.junk', 'Unknown Company', 'Unknown Company', ['scraped_company']],
    ['company_name.junk', 'Acme <b>Inc</b>', 'Acme <b>Inc</b>', ['scraped_company']],
  ];
  return [...out, ...picked.map(([shape, input, value, problems]) => entry('company', shape, input, value, problems))];
}

const AREA_CODES = ['514', '438', '450', '579', '418', '581', '819', '873', '416', '647', '613', '604', '212', '305'];

export function phoneCorpus(): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  for (let i = 0; i < 56; i++) {
    const area = AREA_CODES[i % AREA_CODES.length];
    const line = String(100 + ((i * 37) % 100)).padStart(4, '0');
    const [a, b] = [`555`, line];
    const e164 = `+1${area}${a}${b}`;
    out.push(entry('phone', 'phone.nanp', [`(${area}) ${a}-${b}`, `${area}-${a}-${b}`, `${area}.${a}.${b}`, `${area} ${a} ${b}`][i % 4], e164));
    out.push(entry('phone', 'phone.nanp', [`${area}${a}${b}`, ` +1 (${area}) ${a}-${b} `, e164][i % 3], e164));
    out.push(entry('phone', 'phone.trunk', [`1-${area}-${a}-${b}`, `1 ${area} ${a} ${b}`, `+1 ${area} ${a} ${b}`][i % 3], e164));
    out.push(entry('phone', 'phone.number', Number(`${area}${a}${b}`), e164));
    out.push(
      entry(
        'phone',
        'phone.extension',
        [`${area}-${a}-${b} x${i + 1}`, `+1 ${area} ${a} ${b} ext. ${i + 10}`, `(${area}) ${a}-${b} ext ${i + 1}`][i % 3],
        `${e164} ext. ${[i + 1, i + 10, i + 1][i % 3]}`,
      ),
    );
    out.push(entry('phone', 'phone.invalid', [`${a}-${b}`, `${area}-${a}`, `${area}-${a}-${b} / ${area}-${a}-0000`][i % 3], null, ['invalid_phone']));
  }
  const picked: Array<[string, string, string | null, string[]?]> = [
    ['phone.international', '+33 1 42 68 53 00', '+33142685300'],
    ['phone.international', '+44 20 7946 0958', '+442079460958'],
    ['phone.international', '+49 30 901820', '+4930901820'],
    ['phone.international', '+32 2 511 22 33', '+3225112233'],
    ['phone.international', '+1 (514) 555-0123', '+15145550123'],
    ['phone.invalid', 'not a phone', null, ['invalid_phone']],
    ['phone.invalid', '+1 000 000 0000', null, ['invalid_phone']],
    ['phone.invalid', '123', null, ['invalid_phone']],
  ];
  return [...out, ...picked.map(([shape, input, value, problems]) => entry('phone', shape, input, value, problems))];
}

const STATUSES = ['Auto-Send', 'Sent', 'Skipped', 'Needs Review', 'Error'];
const ALIASES: Array<[string, string]> = [
  ['Skip', 'Skipped'],
  ['Manual Review', 'Needs Review'],
  ['Review', 'Needs Review'],
  ['Failed', 'Error'],
];
/** The ways a status is written in exports: cases, separators, padding. */
const SPELLINGS = [
  (t: string) => t.toLowerCase(),
  (t: string) => t.toUpperCase(),
  (t: string) => t.toLowerCase().replace(/[- ]/g, '_'),
  (t: string) => t.toLowerCase().replace(/[- ]/g, '-'),
  (t: string) => t.replace(/-/g, ' '),
  (t: string) => ` ${t} `,
  (t: string) => t.replace(/[- ]/g, ''),
  (t: string) => t.toUpperCase().replace(/[- ]/g, '_'),
  (t: string) => `${t}\u00A0`,
  (t: string) => t.replace(/[- ]/g, '  '),
];

export function statusCorpus(): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  for (const status of STATUSES) {
    out.push(entry('engagement_status', 'engagement_status.variant', status, status));
    for (const spell of SPELLINGS) out.push(entry('engagement_status', 'engagement_status.variant', spell(status), status));
  }
  for (const [alias, status] of ALIASES) {
    for (const spell of SPELLINGS) out.push(entry('engagement_status', 'engagement_status.alias', spell(alias), status));
  }
  // Mixed case and separators as people type them, e.g. "Needs_review", "auto Send".
  for (let i = 0; i < 200; i++) {
    const [text, status] = i % 3 === 0 ? ALIASES[i % ALIASES.length] : [STATUSES[i % STATUSES.length], STATUSES[i % STATUSES.length]];
    const typed = [...text]
      .map((c, k) => ((i >> (k % 5)) & 1 ? c.toUpperCase() : c.toLowerCase()))
      .join('')
      .replace(/[- ]/g, ['-', '_', ' ', ''][i % 4]);
    out.push(entry('engagement_status', i % 3 === 0 ? 'engagement_status.alias' : 'engagement_status.variant', typed, status));
  }
  for (const empty of ['', '   ']) out.push(entry('engagement_status', 'engagement_status.empty', empty, 'Auto-Send'));
  for (const other of ['Failed - No Website', 'bogus', 'Sent twice', 'Auto-Sent', 'Pending'])
    out.push(entry('engagement_status', 'engagement_status.unknown', other, null, ['invalid_engagement_status']));
  return out;
}
