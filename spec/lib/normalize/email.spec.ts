import { expect } from 'chai';
import fc from 'fast-check';
import validator from 'validator';
import { canonicalEmail, EMAIL_DEFAULTS } from '../../../lib/normalize/index.js';
import { emailThroughSteps, validDomain, type EmailRules } from '../../../lib/normalize/email.js';
import { misspelledProvider, misspelledProviderByScan, oneEditApart, PROVIDER_DOMAINS } from '../../../lib/normalize/email-typos.js';
import { checkVectors, type Vector } from './vectors.js';

const LONG_LOCAL = 'a'.repeat(64);

const vectors: Vector[] = [
  ['jean.tremblay@acme.ca', 'jean.tremblay@acme.ca'],
  ['  Jean.Tremblay@Acme.CA  ', 'jean.tremblay@acme.ca'],
  ['JEAN@ACME.COM', 'jean@acme.com'],
  ['first.last@www.desjardins.com', 'first.last@desjardins.com'],
  ['first.last@www.domain.com', 'first.last@domain.com', ['placeholder_email_domain']],
  ['first@www.domain.ca', 'first@domain.ca'],
  ['First@WWW.Acme.com', 'first@acme.com'],
  ['www@acme.com', 'www@acme.com'],
  ['jane@www.com', 'jane@www.com'],
  ['mailto:Jane@Acme.com', 'jane@acme.com'],
  ['Jane Roy <jane.roy@acme.com>', 'jane.roy@acme.com'],
  ['\u200Bjane@acme.com\uFEFF', 'jane@acme.com'],
  ['élodie@acme.ca', 'élodie@acme.ca'],
  ['jean+leads@gmail.com', 'jean+leads@gmail.com'],
  ['autotest42@example.com', 'autotest42@example.com', ['placeholder_email_domain']],
  ['recovery1@test.com', 'recovery1@test.com', ['placeholder_email_domain']],
  ['john@techcorp.com', 'john@techcorp.com', ['placeholder_email_domain']],
  ['a.b@mail.example.com', 'a.b@mail.example.com', ['placeholder_email_domain']],
  ['jdoe@a0b00267.com', 'jdoe@a0b00267.com', ['generated_email_domain']],
  ['info@acme.com', 'info@acme.com', ['role_mailbox']],
  ['Sales@Acme.com', 'sales@acme.com', ['role_mailbox']],
  ['info@example.com', 'info@example.com', ['placeholder_email_domain', 'role_mailbox']],
  ['not an email', null, ['invalid_email']],
  ['jean.tremblay@', null, ['invalid_email']],
  ['@acme.com', null, ['invalid_email']],
  ['jean@@acme.com', null, ['invalid_email']],
  ['jean smith@acme.com', null, ['invalid_email']],
  ['none', null, ['invalid_email']],
  ['jean@acme', null, ['invalid_email']],
  [`${LONG_LOCAL}x@acme.com`, null, ['invalid_email']],
  [`${'x'.repeat(5000)}@acme.com`, null, ['invalid_email']],
  ['jane@gmial.com', 'jane@gmial.com', ['email_domain_typo']],
  ['Jane@GAMIL.com', 'jane@gamil.com', ['email_domain_typo']],
  ['jane@hotmial.com', 'jane@hotmial.com', ['email_domain_typo']],
  ['jane@gmail.con', 'jane@gmail.con', ['email_domain_typo']],
  ['jane@videotrom.ca', 'jane@videotrom.ca', ['email_domain_typo']],
  ['jane@acme.com.', null, ['email_domain_typo']],
  ['jane@acme..com', null, ['email_domain_typo']],
  ['jane@yahoo.co', 'jane@yahoo.co'],
  ['jane@ymail.com', 'jane@ymail.com'],
  ['jane@cloud.com', 'jane@cloud.com'],
  ['jane@live.ca', 'jane@live.ca'],
  ['jane@lives.com', 'jane@lives.com'],
  ['jane@gmail.ca', 'jane@gmail.ca'],
];

const fixing: EmailRules = { ...EMAIL_DEFAULTS, fix_domain_typos: true };

const fixed: Vector[] = [
  ['jane@gmial.com', 'jane@gmail.com'],
  ['Jane@GAMIL.com', 'jane@gmail.com'],
  ['jane@outlok.com', 'jane@outlook.com'],
  ['jane@icloud.cmo', 'jane@icloud.com'],
  ['jane@acme.com.', 'jane@acme.com'],
  ['jane@acme..com', 'jane@acme.com'],
  ['jane@.acme.com', 'jane@acme.com'],
  ['jane@gmial.com.', 'jane@gmail.com'],
  ['jane@examlpe.com', 'jane@examlpe.com'],
  ['jane@yahoo.co', 'jane@yahoo.co'],
  ['jane@.', null, ['invalid_email']],
];

describe('canonicalEmail', () => {
  checkVectors((v: string) => canonicalEmail(v), vectors);

  describe('with fix_domain_typos', () => {
    checkVectors((v: string) => canonicalEmail(v, fixing), fixed);
  });

  it('proposes the fix of a domain typo in the message', () => {
    const [problem] = canonicalEmail('Jane@Gmial.com').problems;
    expect(problem.message).to.equal(
      '"Jane@Gmial.com" looks like a typo of jane@gmail.com; it was kept as it is. Correct it (or set email.fix_domain_typos to true to have such typos fixed).',
    );
  });

  it('keeps the case when normalize_case is preserve', () => {
    expect(canonicalEmail('Jean@Acme.com', { ...EMAIL_DEFAULTS, normalize_case: 'preserve' }).value).to.equal('Jean@Acme.com');
  });

  it('leaves @www. domains alone when fix_www_domain is off', () => {
    expect(canonicalEmail('a@www.acme.com', { ...EMAIL_DEFAULTS, fix_www_domain: false }).value).to.equal('a@www.acme.com');
  });

  it('accepts any syntax when validate_format is off, still trimming and lowercasing', () => {
    expect(canonicalEmail(' Not An Email ', { ...EMAIL_DEFAULTS, validate_format: false }).value).to.equal('not an email');
  });

  it('does not flag role mailboxes when flag_role_mailboxes is off', () => {
    expect(canonicalEmail('info@acme.com', { ...EMAIL_DEFAULTS, flag_role_mailboxes: false }).problems).to.deep.equal([]);
  });

  it('says in the message which address is wrong and what to do', () => {
    const [problem] = canonicalEmail('jean@@acme.com').problems;
    expect(problem.message).to.equal('"jean@@acme.com" is not a valid email address; it was kept as it is. Correct it or clear the field.');
  });

  it('gives its own output back unchanged (property)', () => {
    const messy = fc.tuple(fc.emailAddress(), fc.constantFrom('', ' ', '\u200B'), fc.boolean(), fc.boolean()).map(([email, pad, upper, www]) => {
      const at = email.lastIndexOf('@');
      const withWww = www ? `${email.slice(0, at)}@www.${email.slice(at + 1)}` : email;
      return pad + (upper ? withWww.toUpperCase() : withWww) + pad;
    });
    fc.assert(
      fc.property(fc.oneof(messy, fc.string()), (input) => {
        const once = canonicalEmail(input);
        if (once.value === undefined) return;
        const twice = canonicalEmail(once.value);
        expect(twice.value).to.equal(once.value);
        expect(twice.steps).to.deep.equal([]);
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it('judges a domain as validator does, with or without asking it (property)', () => {
    const label = fc.oneof(
      fc.stringMatching(/^[a-zA-Z0-9-]{1,8}$/),
      fc.stringMatching(/^[a-z0-9_é-]{0,3}$/),
      fc.constant('a'.repeat(63)),
      fc.constant('b'.repeat(64)),
    );
    const domain = fc
      .tuple(fc.array(label, { minLength: 0, maxLength: 3 }), fc.constantFrom('com', 'CA', 'io', 'c', '123', 'xn--p1ai', 'c0m', 'co-', ''))
      .map(([labels, tld]) => [...labels, tld].join('.'));
    const long = fc.integer({ min: 240, max: 260 }).map((n) => `${'a.'.repeat(n >> 1)}com`.slice(-n));
    fc.assert(
      fc.property(fc.oneof(domain, long), (d) => {
        expect(validDomain(d), d).to.equal(validator.isEmail(`a@${d}`));
      }),
      { seed: 17, numRuns: 5000 },
    );
  });

  it('gives what the step-by-step path gives for every address, under every combination of settings (property)', () => {
    const local = fc.oneof(
      fc.stringMatching(/^[a-z0-9_+.-]{1,10}$/),
      fc.constantFrom('info', 'sales', 'Jean.Roy', 'a'.repeat(64), 'a'.repeat(65), 'mailto', ' x'),
    );
    const domain = fc.oneof(
      fc
        .tuple(
          fc.constantFrom('', 'www.', 'WWW.', 'mail.'),
          fc.stringMatching(/^[a-z0-9-]{1,8}$/),
          fc.constantFrom('.com', '.ca', '.example.com', '.c', '.co.uk'),
        )
        .map(([sub, name, tld]) => sub + name + tld),
      fc.constantFrom(
        'www.com',
        'example.com',
        'a0b00267.com',
        'test.com',
        'gmial.com',
        'WWW.hotmial.com',
        'gmail.con',
        'acme..com',
        'acme.com.',
        `${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(63)}.${'g'.repeat(60)}.com`,
      ),
    );
    const address = fc.tuple(local, domain, fc.constantFrom('', ' ', 'mailto:')).map(([l, d, wrap]) => `${wrap}${l}@${d}`);
    const rules = fc
      .record({
        normalize_case: fc.constantFrom('lower' as const, 'preserve' as const),
        validate_format: fc.boolean(),
        fix_www_domain: fc.boolean(),
        flag_role_mailboxes: fc.boolean(),
        fix_domain_typos: fc.boolean(),
      })
      .map((r): EmailRules => ({ ...EMAIL_DEFAULTS, ...r }));
    fc.assert(
      fc.property(address, rules, (text, r) => {
        expect(canonicalEmail(text, r), text).to.deep.equal(emailThroughSteps(text, r));
      }),
      { seed: 31, numRuns: 5000 },
    );
  });

  it('finds the provider a domain misspells with its table as a scan of the providers does (property)', () => {
    const edit = (text: string, at: number, char: string, kind: number) =>
      [
        text.slice(0, at) + char + text.slice(at),
        text.slice(0, at) + char + text.slice(at + 1),
        text.slice(0, at) + text.slice(at + 1),
        text.slice(0, at) + text.slice(at + 1, at + 2) + text.slice(at, at + 1) + text.slice(at + 2),
      ][kind];
    const char = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-.');
    const typo = fc
      .tuple(fc.constantFrom(...PROVIDER_DOMAINS, 'acme.com', 'yahoo.co', 'gmail.ca'), fc.nat(14), char, fc.nat(3), fc.nat(14), char, fc.nat(3), fc.boolean())
      .map(([domain, a, c, k, b, d, l, twice]) => {
        const once = edit(domain, a % (domain.length + 1), c, k);
        return twice ? edit(once, b % (once.length + 1), d, l) : once;
      });
    const lists = fc.constantFrom(PROVIDER_DOMAINS, ['gmail.com', 'yahoo.ca', 'yahoo.com'], ['GMail.com', 'videotron.ca']);
    fc.assert(
      fc.property(typo, lists, (domain, providers) => {
        expect(misspelledProvider(domain, providers), domain).to.equal(misspelledProviderByScan(domain, providers));
      }),
      { seed: 29, numRuns: 20000 },
    );
  });

  it('counts one insertion, deletion, substitution or swap of neighbours as one edit, and nothing else (property)', () => {
    // Optimal string alignment distance, by the textbook table.
    const distance = (a: string, b: string) => {
      const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
      for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
          d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
          if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
      return d[a.length][b.length];
    };
    const word = fc.stringMatching(/^[abg]{0,6}$/);
    fc.assert(
      fc.property(word, word, (a, b) => {
        expect(oneEditApart(a, b), `${a} ${b}`).to.equal(distance(a, b) === 1);
      }),
      { seed: 3, numRuns: 5000 },
    );
  });
});
