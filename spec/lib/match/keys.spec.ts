import { expect } from 'chai';
import { generateLeads } from '../../../bench/generate-leads.js';
import { companyJunk, suffixFamily } from '../../../lib/normalize/company.js';
import {
  BLOCK_PREFIX,
  companyKey,
  fieldKey,
  fingerprint,
  fold,
  foldThroughSteps,
  isFreeMail,
  domainKey,
  keyName,
  KEY_DEFAULTS,
  nameKey,
  type KeySettings,
} from '../../../lib/match/keys.js';
import { namesAgree } from '../../../lib/match/names.js';
import type { Lead } from '../../../lib/core/record.js';

/** Fingerprinting as first written: every field keyed in turn, blocking fields looked up or keyed again. */
function referenceFingerprint(record: Lead, settings: KeySettings): Record<string, string> {
  const keys: Record<string, string> = {};
  const add = (name: string, value: string | undefined): void => {
    if (value !== undefined) keys[name] = value;
  };
  const person = typeof record.name === 'string' ? record.name : undefined;
  for (const field of ['email', 'linkedin_url', 'phone', 'company_website', 'company', 'name', ...settings.matching_fields]) {
    add(keyName(field), fieldKey(field, record[field], settings.default_country, person));
  }
  if (keys.domain === undefined && keys.email !== undefined && !isFreeMail(keys.email))
    add('domain', domainKey(keys.email.slice(keys.email.lastIndexOf('@') + 1)));
  const meta = record._meta;
  const link = meta?.source === 'airtable' ? meta.id : record[settings.link_field];
  if ((typeof link === 'string' && link.trim()) || typeof link === 'number') keys.link = String(link).trim();
  for (const field of settings.blocking_fields) {
    const key = keys[keyName(field)] ?? fieldKey(field, record[field], settings.default_country, person);
    add(BLOCK_PREFIX + keyName(field), key);
  }
  return keys;
}

const NOISE = new Set([
  'the',
  'group',
  'holding',
  'holdings',
  'international',
  'global',
  'solutions',
  'services',
  'systems',
  'technologies',
  'technology',
  'and',
  'et',
  'of',
]);
const PLACEHOLDER = /^(?:unknown|n ?a|none|null|undefined|tbd|test|no name|company|unknown company)$/;

/** The company key as first written: the person's placeholder checked on every value, tokens through a set. */
/** "<the person's name, typos and all> & Associates" (or Partners, or `and`): no company. */
function madeFromPersonName(value: string, person: string): boolean {
  const made = /^(.+?)\s*(?:&|\band\b)\s*(?:associates|partners)$/i.exec(value.trim());
  const [a, b] = [made ? nameKey(made[1]!) : undefined, nameKey(person)];
  return a !== undefined && b !== undefined && a.split(' ').length === b.split(' ').length && namesAgree(a, b);
}

function referenceCompanyKey(value: string, person?: string): string | undefined {
  if (person && madeFromPersonName(value, person)) return undefined;
  const text = value.trim();
  if (!text || companyJunk(text).length) return undefined;
  const tokens = foldThroughSteps(text.replace(/&/g, ' and ')).split(' ').filter(Boolean);
  // The longest legal suffix at the end, in up to four folded words, again and again; one word stays.
  for (let removed = true; removed && tokens.length > 1; ) {
    removed = false;
    for (const words of [4, 3, 2, 1]) {
      if (words < tokens.length && suffixFamily(tokens.slice(-words).join(''))) {
        tokens.splice(-words);
        removed = true;
        break;
      }
    }
  }
  const meaningful = tokens.filter((t) => !NOISE.has(t));
  const key = [...new Set(meaningful.length ? meaningful : tokens)].sort().join(' ');
  return key && !PLACEHOLDER.test(key) ? key : undefined;
}

describe('match/keys', () => {
  it('folds ASCII, accented and garbled text the same way on its fast paths as step by step', () => {
    const samples = [
      'Acme',
      'ACME, Inc.',
      '  Tremblay,  Jean ',
      "O'Brien & Sons",
      'St-Pierre',
      'Ltd.',
      'a\tb\nc',
      '---',
      '',
      ' ',
      'Hélène Côté',
      'HÃ©lÃ¨ne CÃ´tÃ©',
      'Zoë',
      'Müller GmbH',
      'ﬁnance',
      'Ｆｕｌｌ',
      'S.à r.l.',
      'naïve café',
      '日本',
      'Ã‰ric',
    ];
    for (const { record } of generateLeads(3000, { seed: 11 })) {
      for (const field of ['name', 'company', 'title']) if (typeof record[field] === 'string') samples.push(record[field] as string);
    }
    for (const text of samples) expect(fold(text), JSON.stringify(text)).to.equal(foldThroughSteps(text));
  });

  it('gives no company key to a "<Name> & Associates" placeholder of the lead\'s own name, and a key otherwise', () => {
    expect(companyKey('Jean Tremblay & Associates', 'Jean Tremblay')).to.equal(undefined);
    expect(companyKey('JEAN TREMBLAY AND PARTNERS', 'Jean Tremblay')).to.equal(undefined);
    expect(companyKey('Jean Tremblay & Associates', 'Marie Gagnon')).to.equal('associates jean tremblay');
    expect(companyKey('Jean Tremblay & Associates')).to.equal('associates jean tremblay');
    expect(companyKey('Unknown Company', 'Jean Tremblay')).to.equal(undefined);
    // The person's name with a typo or mojibake in either copy is still the person's name.
    expect(companyKey('Sébastien Côté & Partners', 'Sébastien Côét')).to.equal(undefined);
    expect(companyKey('Frédéric White & Partners', 'FrÃ©dÃ©ric Wite')).to.equal(undefined);
    expect(companyKey('Jean Tremblya & Associates', 'Jean Tremblay')).to.equal(undefined);
    expect(companyKey('Jean Tremblay & Associates', 'Jean Gagnon')).to.equal('associates jean tremblay');
    expect(companyKey('Tremblay & Associates', 'Jean Tremblay'), 'a firm named after a surname').to.equal('associates tremblay');
    for (const [value, person] of [
      [' ACME, Inc. ', 'Jean Roy'],
      ['Pty Ltd Holdings Pty. Ltd.', undefined],
      ['The Group', undefined],
      ['Roy & Roy & Associates', 'Roy Roy'],
      ['www.acme.com', 'x'],
      ['  Jean Roy and partners', 'Jean Roy'],
    ] as const) {
      expect(companyKey(value, person), value).to.equal(referenceCompanyKey(value, person));
    }
    for (const { record } of [...generateLeads(3000, { seed: 12 }), ...generateLeads(3000, { seed: 12, profile: 'messy' })]) {
      if (typeof record.company !== 'string') continue;
      const person = typeof record.name === 'string' ? record.name : undefined;
      expect(companyKey(record.company, person), record.company).to.equal(referenceCompanyKey(record.company, person));
    }
  });

  it('removes a legal suffix written with dots between its letters, whatever its number of letters', () => {
    for (const spelling of ['LLC', 'L.L.C.', ', L.L.C.', 'S.A.', 'S.A.S.', 'SAS', 'S.à r.l.', 'SARL', 'P.L.C.', 'B.V.', 'Pty. Ltd.', 'Inc. Ltd']) {
      expect(companyKey(`Codenqua Robotics ${spelling}`), spelling).to.equal('codenqua robotics');
    }
    expect(companyKey('A B C'), 'single letters that are no suffix stay').to.equal('a b c');
  });

  it('gives the same keys, in the same order, as keying every field in turn', () => {
    const settings: KeySettings[] = [
      KEY_DEFAULTS,
      {
        ...KEY_DEFAULTS,
        matching_fields: ['email', 'linkedin_url', 'phone', 'website', 'company_website', 'crm_id'],
        blocking_fields: ['company', 'website', 'name', 'title'],
      },
      { ...KEY_DEFAULTS, matching_fields: [], blocking_fields: ['company_website', 'phone', 'email'], default_country: 'FR' },
    ];
    let n = 0;
    for (const { record } of generateLeads(2000, { seed: 13 })) {
      n++;
      if (n % 3 === 0) record.website = n % 2 ? `https://www.site${n % 50}.com/` : null;
      if (n % 5 === 0) record.crm_id = `crm-${n % 700}`;
      if (n % 7 === 0) record._meta = { source: 'airtable', id: `rec${n}` };
      for (const s of settings) {
        const keys = fingerprint(record, s);
        const reference = referenceFingerprint(record, s);
        expect(Object.entries(keys)).to.deep.equal(Object.entries(reference));
      }
    }
  });
});
