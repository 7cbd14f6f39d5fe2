import { expect } from 'chai';
import fc from 'fast-check';
import { canonicalCompanyName, COMPANY_DEFAULTS, companyLegalSuffixes } from '../../../lib/normalize/index.js';
import { COMPANY_JUNK, MAYBE_JUNK, splitLastWord, suffixFamily } from '../../../lib/normalize/company.js';
import { checkIdempotent, checkVectors, type Vector } from './vectors.js';

const vectors: Vector[] = [
  ['Acme Inc', 'Acme Inc'],
  ['Acme Inc.', 'Acme Inc'],
  ['ACME, Inc.', 'Acme Inc'],
  ['Acme Incorporated', 'Acme Inc'],
  ['acme inc', 'Acme Inc'],
  ['  Acme    Inc.  ', 'Acme Inc'],
  ['Acme Corporation', 'Acme Corp'],
  ['Acme Corp.', 'Acme Corp'],
  ['Acme Limited', 'Acme Ltd'],
  ['Acme, L.L.C.', 'Acme LLC'],
  ['Acme Corp., Inc.', 'Acme Corp Inc'],
  ['Acme Inc. Inc', 'Acme Inc'],
  ['Limited', 'Limited'],
  ['Inc.', 'Inc.'],
  ['CGI', 'CGI'],
  ['SFM Inc.', 'SFM Inc'],
  ['CGI GROUP INC', 'CGI Group Inc'],
  ['Axxess International Inc', 'Axxess International Inc'],
  ['iRobot', 'iRobot'],
  ['McKinsey & Company', 'McKinsey & Company'],
  ['BOMBARDIER INC.', 'Bombardier Inc'],
  ["L'ORÉAL CANADA", "L'Oréal Canada"],
  ['banque nationale du canada', 'Banque Nationale du Canada'],
  ['Ã‰nergir', 'Énergir'],
  ['Johnson &amp; Johnson', 'Johnson & Johnson'],
  ['Desjardins\u200B', 'Desjardins'],
  ['Acme GmbH', 'Acme GmbH'],
  [
    'Sirius XM and ... Some results may have been delisted consistent with local laws. Learn more Next',
    'Sirius XM and ... Some results may have been delisted consistent with local laws. Learn more Next',
    ['scraped_company'],
  ],
  ['Acme. Here are the details of Acme', 'Acme. Here are the details of Acme', ['scraped_company']],
  ['Flinks www.zoominfo.com', 'Flinks www.zoominfo.com', ['scraped_company']],
  ['Giro · Specialties:', 'Giro · Specialties:', ['scraped_company']],
  ['About 1,230 results', 'About 1,230 results', ['scraped_company']],
  ['Acme <b>Inc</b>', 'Acme <b>Inc</b>', ['scraped_company']],
  ['Unknown Company', 'Unknown Company', ['scraped_company']],
  ['Acme 3 days ago', 'Acme 3 days ago', ['scraped_company']],
  [`${'Boréal '.repeat(800)}INC.`, `${'Boréal '.repeat(800)}Inc`],
];

describe('canonicalCompanyName', () => {
  checkVectors((v: string) => canonicalCompanyName(v), vectors);

  it("flags a placeholder built from the person's name, accents and case aside", () => {
    const result = canonicalCompanyName('Jean Tremblay & Associates', COMPANY_DEFAULTS, 'Jean Trémblay');
    expect(result.value).to.equal('Jean Tremblay & Associates');
    expect(result.problems.map((p) => p.code)).to.deep.equal(['placeholder_company']);
    expect(canonicalCompanyName('Marie Roy and Partners', COMPANY_DEFAULTS, 'marie roy').problems.map((p) => p.code)).to.deep.equal(['placeholder_company']);
  });

  it('keeps a real "& Associates" firm that is not the person\'s name', () => {
    expect(canonicalCompanyName('Raymond Chabot & Associates', COMPANY_DEFAULTS, 'Jean Tremblay').problems).to.deep.equal([]);
  });

  it('removes handled suffixes instead when add_proper_suffix is off, never erasing the name', () => {
    const rules = { ...COMPANY_DEFAULTS, add_proper_suffix: false };
    expect(canonicalCompanyName('Acme, Inc.', rules).value).to.equal('Acme');
    expect(canonicalCompanyName('Limited', rules).value).to.equal('Limited');
  });

  it('handles only the suffix families listed in remove_suffixes', () => {
    const rules = { ...COMPANY_DEFAULTS, remove_suffixes: ['Inc.'] };
    expect(canonicalCompanyName('Acme Corporation', rules).value).to.equal('Acme Corporation');
    expect(canonicalCompanyName('Acme Incorporated', rules).value).to.equal('Acme Inc');
  });

  it('writes a legal form it does not rewrite in its own case when it cases the name', () => {
    const cased = (name: string) => canonicalCompanyName(name).value;
    expect(['kara gmbh', 'kara s.a.s.', 'KARA S.A.', 'acme b.v.', 'acme n.v.', 'ACME AG'].map(cased)).to.deep.equal([
      'Kara GmbH',
      'Kara S.A.S.',
      'Kara S.A.',
      'Acme B.V.',
      'Acme N.V.',
      'Acme AG',
    ]);
    // Only as the last word of a longer name: a word that is a legal form elsewhere is a word.
    expect(['sas', 'the sas institute', 'ag'].map(cased)).to.deep.equal(['Sas', 'The Sas Institute', 'Ag']);
  });

  it('leaves the case alone when normalize_case is off', () => {
    expect(canonicalCompanyName('ACME SOLUTIONS', { ...COMPANY_DEFAULTS, normalize_case: false }).value).to.equal('ACME SOLUTIONS');
  });

  it('lists each legal suffix family with its canonical form first', () => {
    expect(companyLegalSuffixes.map((f) => f[0])).to.include.members(['Inc', 'LLC', 'Corp', 'Ltd']);
  });

  it('is a fixed point on its own output', () => {
    checkIdempotent(
      (v) => canonicalCompanyName(v),
      vectors.map(([input]) => input),
    );
  });

  it('gives its own output back unchanged (property)', () => {
    const word = fc.constantFrom('acme', 'ACME', 'Acme', 'CGI', 'sfm', 'Groupe', 'du', 'iRobot', "l'oréal", 'Ã©nergir', 'jean-coutu', '&');
    const suffix = fc.constantFrom('', ' Inc.', ', Inc', ' INCORPORATED', ' Corp', ' Ltd.', ' Limited', ' LLC', ' Inc. Inc');
    const name = fc
      .tuple(fc.array(word, { minLength: 1, maxLength: 4 }), suffix, fc.constantFrom('', '  ', '\u200B'))
      .map(([words, s, pad]) => pad + words.join(' ') + s + pad);
    fc.assert(
      fc.property(fc.oneof(name, fc.string()), (input) => {
        const once = canonicalCompanyName(input);
        const twice = canonicalCompanyName(once.value!);
        expect(twice.value).to.equal(once.value);
        expect(twice.steps).to.deep.equal([]);
      }),
      { seed: 3, numRuns: 1000 },
    );
  });

  it('finds the last word as the suffix pattern does, in any name with single spaces (property)', () => {
    const pattern = /^(.*?)[\s,]+((?:pty\.?\s+)?[\p{L}.]+)$/iu;
    const word = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9.&'éÀ-]{1,6}$/),
      fc.constantFrom('Inc', 'Inc.', 'L.L.C.', 'Ltd', 'Pty', 'pty.', 'PTY', 'Ltée', 'S.à', 'r.l.', 'Co', '.', '..', 'Ümlaut', '42'),
    );
    const separator = fc.constantFrom(' ', ',', ', ', ' ,', ',,', ' , ');
    const name = fc
      .tuple(fc.constantFrom('', ' ', ','), fc.array(fc.tuple(word, separator), { maxLength: 4 }), word, fc.constantFrom('', ' ', ','))
      .map(([lead, pairs, last, trail]) => lead + pairs.map(([w, sep]) => w + sep).join('') + last + trail);
    fc.assert(
      fc.property(name, (text) => {
        const m = pattern.exec(text);
        expect(splitLastWord(text), text).to.deep.equal(m ? [m[1], m[2]] : undefined);
      }),
      { seed: 29, numRuns: 5000 },
    );
  });

  it('never skips junk: every name a junk pattern matches passes the cheaper test run before them (property)', () => {
    const fragment = fc.constantFrom(
      'Some results may have been delisted',
      'LEARN MORE NEXT',
      'Here are the details of',
      'about 1,234 results',
      'About , results',
      'did you mean:',
      'People also ask',
      '3 days ago',
      '1 YEAR AGO',
      '12 reviews',
      '1,024 Reviews',
      '· Specialties:',
      'specialties:',
      'https://acme.com',
      'www.acme.',
      'acme.CO',
      'x-y.io',
      '<b>',
      '</A>',
      'unknown company',
      'Unknown',
      'n/a',
      'NA',
      'none',
      'NULL',
      'undefined',
      '---',
      '-',
      'tbd',
      'Company',
      'Acme',
      'Inc.',
      ' ',
      ',',
      '.',
      ':',
    );
    const name = fc.array(fc.oneof(fragment, fc.string({ maxLength: 6 })), { minLength: 1, maxLength: 4 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(name, fc.string()), (text) => {
        if (COMPANY_JUNK.some(([pattern]) => pattern.test(text))) expect(MAYBE_JUNK.test(text), text).to.equal(true);
      }),
      { seed: 31, numRuns: 5000 },
    );
  });

  it('finds the family of any spelling of a legal suffix, and of nothing else (property)', () => {
    const key = (s: string) => s.toLowerCase().replace(/[.,\s]/g, '');
    const reference = (word: string) => companyLegalSuffixes.find((family) => family.some((spelling) => key(spelling) === key(word)));
    const spelling = fc
      .tuple(fc.constantFrom(...companyLegalSuffixes.flat()), fc.constantFrom('', '.', ','), fc.boolean(), fc.boolean())
      .map(([s, tail, upper, dotted]) => (upper ? s.toUpperCase() : s.toLowerCase()) + (dotted ? tail : ''));
    const word = fc.oneof(spelling, fc.stringMatching(/^[A-Za-z.,Éé ]{1,8}$/), fc.string({ maxLength: 8 }));
    fc.assert(
      fc.property(word, (text) => {
        expect(suffixFamily(text), text).to.equal(reference(text));
      }),
      { seed: 37, numRuns: 5000 },
    );
  });
});
