import { expect } from 'chai';
import fc from 'fast-check';
import { parse } from 'tldts';
import { canonicalWebsite, registrableDomain, WEBSITE_DEFAULTS } from '../../../lib/normalize/index.js';
import { websiteThroughUrlParser, withoutTracking, type WebsiteRules } from '../../../lib/normalize/website.js';
import { checkIdempotent, checkVectors, type Vector } from './vectors.js';

const vectors: Vector[] = [
  ['https://acme.com', 'https://acme.com'],
  ['www.acme.com', 'https://www.acme.com'],
  ['acme.com', 'https://acme.com'],
  ['//acme.com', 'https://acme.com'],
  ['https://acme.com/', 'https://acme.com'],
  ['HTTPS://WWW.ACME.COM/', 'https://www.acme.com'],
  ['http://acme.com', 'https://acme.com'],
  ['  https://acme.com  ', 'https://acme.com'],
  ['https://acme.com/about/', 'https://acme.com/about'],
  ['https://acme.com/About', 'https://acme.com/About'],
  ['https://acme.com/#contact', 'https://acme.com'],
  ['https://acme.com/?utm_source=google&utm_medium=cpc', 'https://acme.com'],
  ['https://acme.com/fr?lang=fr&gclid=abc', 'https://acme.com/fr?lang=fr'],
  ['https://acme.com/?fbclid=x#top', 'https://acme.com'],
  ['https://boutique.acme.co.uk/', 'https://boutique.acme.co.uk'],
  ['https://café.ca', 'https://xn--caf-dma.ca'],
  ['https://acme.com:8443/', 'https://acme.com:8443'],
  ['https://www.linkedin.com/company/acme', 'https://www.linkedin.com/company/acme', ['not_company_website']],
  ['facebook.com/acme', 'https://facebook.com/acme', ['not_company_website']],
  ['https://www.google.ca/search?q=acme', 'https://www.google.ca/search?q=acme', ['not_company_website']],
  ['https://example.com', 'https://example.com', ['not_company_website']],
  ['ftp://acme.com', null, ['invalid_website']],
  ['info@acme.com', null, ['invalid_website']],
  ['acme', null, ['invalid_website']],
  ['not a website', null, ['invalid_website']],
  ['https://acme.notarealtld', null, ['invalid_website']],
  [`https://acme.com/${'a'.repeat(3000)}`, `https://acme.com/${'a'.repeat(3000)}`],
  ['https://acme.com/about/?id=3', 'https://acme.com/about?id=3'],
  ['https://acme.com/about/?utm_source=x', 'https://acme.com/about'],
  ['https://acme.com/about/?id=3&utm_source=x', 'https://acme.com/about?id=3'],
  ['https://acme.com/?id=3', 'https://acme.com?id=3'],
  ['https://acme.com/about?', 'https://acme.com/about'],
  ['https://acme.com/about/#team', 'https://acme.com/about'],
];

describe('canonicalWebsite', () => {
  checkVectors((v: string) => canonicalWebsite(v), vectors);

  it('removes www. when remove_www is on', () => {
    expect(canonicalWebsite('https://www.acme.com/', { ...WEBSITE_DEFAULTS, remove_www: true }).value).to.equal('https://acme.com');
  });

  it('keeps http when enforce_protocol is off, and adds http when that is preferred', () => {
    expect(canonicalWebsite('http://acme.com', { ...WEBSITE_DEFAULTS, enforce_protocol: false }).value).to.equal('http://acme.com');
    expect(canonicalWebsite('acme.com', { ...WEBSITE_DEFAULTS, preferred_protocol: 'http' }).value).to.equal('http://acme.com');
  });

  it('keeps a trailing slash on a path when remove_trailing_slash is off', () => {
    expect(canonicalWebsite('https://acme.com/about/', { ...WEBSITE_DEFAULTS, remove_trailing_slash: false }).value).to.equal('https://acme.com/about/');
    expect(canonicalWebsite('https://acme.com/', { ...WEBSITE_DEFAULTS, remove_trailing_slash: false }).value).to.equal('https://acme.com/');
    expect(canonicalWebsite('acme.com', { ...WEBSITE_DEFAULTS, remove_trailing_slash: false }).value).to.equal('https://acme.com');
    expect(canonicalWebsite('https://acme.com/about/?id=3', { ...WEBSITE_DEFAULTS, remove_trailing_slash: false }).value).to.equal(
      'https://acme.com/about/?id=3',
    );
  });

  it('gives the same path whether or not the URL had tracking parameters', () => {
    for (const path of ['/about/', '/about', '/', '']) {
      const plain = canonicalWebsite(`https://acme.com${path}`).value;
      expect(canonicalWebsite(`https://acme.com${path}?utm_source=x`).value, path).to.equal(plain);
      expect(canonicalWebsite(`https://acme.com${path}?id=3`).value, path).to.equal(`${plain}?id=3`);
    }
  });

  it('gives the registrable domain through the public suffix list', () => {
    expect(registrableDomain('https://www.shop.acme.co.uk/x')).to.equal('acme.co.uk');
    expect(registrableDomain('ca.linkedin.com')).to.equal('linkedin.com');
  });

  it('is a fixed point on its own output', () => {
    checkIdempotent(
      (v) => canonicalWebsite(v),
      vectors.map(([input]) => input),
    );
  });

  it('gives its own output back unchanged (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.webUrl({ withFragments: true, withQueryParameters: true }), fc.domain(), fc.string()), (input) => {
        const once = canonicalWebsite(input);
        if (once.value === undefined) return;
        expect(canonicalWebsite(once.value).value).to.equal(once.value);
      }),
      { seed: 7, numRuns: 500 },
    );
  });

  it('gives what the URL parser gives for bare hosts, under every combination of settings (property)', () => {
    const label = fc.stringMatching(/^[a-z0-9-]{1,12}$/);
    const host = fc
      .tuple(
        fc.constantFrom('', 'www.', 'shop.', 'www.shop.', 'xn--caf-dma.', 'ca.', 'www.www.'),
        fc.array(label, { minLength: 1, maxLength: 2 }),
        fc.constantFrom('com', 'ca', 'io', 'co', 'co.uk', 'com.au', 'notarealtld', 'a', 'blogspot.com', 'c0m'),
      )
      .map(([prefix, labels, suffix]) => `${prefix}${labels.join('.')}.${suffix}`);
    const known = fc.constantFrom(
      'linkedin.com',
      'www.linkedin.com',
      'ca.linkedin.com',
      'google.ca',
      'www.google.com',
      'google.co.uk',
      'example.com',
      'notexample.com',
      'gmail.com',
      'amazon.de',
      'x.com',
    );
    const input = fc
      .tuple(fc.constantFrom('', 'http://', 'https://', 'HTTPS://', '//'), fc.oneof(host, known), fc.constantFrom('', '/', '//', '/about'))
      .map(([scheme, h, tail]) => `${scheme}${h}${tail}`);
    const rules = fc
      .record({
        ensure_protocol: fc.boolean(),
        preferred_protocol: fc.constantFrom('https' as const, 'http' as const),
        enforce_protocol: fc.boolean(),
        remove_trailing_slash: fc.boolean(),
        remove_www: fc.boolean(),
      })
      .map((r): WebsiteRules => ({ ...WEBSITE_DEFAULTS, ...r }));
    fc.assert(
      fc.property(input, rules, (text, r) => {
        expect(canonicalWebsite(text, r), text).to.deep.equal(websiteThroughUrlParser(text, r));
      }),
      { seed: 5, numRuns: 4000 },
    );
  });

  it('flags the first listed blocked domain the host is on, as a walk through the list would (property)', () => {
    // The list walked in order: `name.*` against the registrable name, others against the host and its parents.
    const firstBlocked = (host: string, list: string[]) =>
      list.find((p) => {
        const pattern = p.toLowerCase();
        if (pattern.endsWith('.*')) return parse(host).domainWithoutSuffix === pattern.slice(0, -2);
        return host === pattern || host.endsWith(`.${pattern}`);
      });
    const entries = ['linkedin.com', 'ca.linkedin.com', 'Google.*', 'google.ca', 'co.uk', 'acme.co.uk', 'Example.com', 'amazon.*', 'x.com', 'com'];
    const list = fc.shuffledSubarray(entries);
    const host = fc
      .tuple(
        fc.constantFrom('', 'www.', 'ca.', 'shop.www.'),
        fc.constantFrom('linkedin', 'google', 'acme', 'example', 'amazon', 'x', 'notx'),
        fc.constantFrom('com', 'ca', 'co.uk', 'de'),
      )
      .map(([sub, name, tld]) => `${sub}${name}.${tld}`);
    fc.assert(
      fc.property(host, list, fc.boolean(), (h, blocked_domains, bare) => {
        const result = canonicalWebsite(bare ? h : `https://${h}/x`, { ...WEBSITE_DEFAULTS, blocked_domains });
        const expected = firstBlocked(h, blocked_domains);
        const problem = result.problems.find((p) => p.code === 'not_company_website');
        expect(problem?.message.match(/ is on (.*), a social/)?.[1], h).to.equal(expected);
      }),
      { seed: 41, numRuns: 3000 },
    );
  });

  it('drops tracking parameters as URLSearchParams would, whatever the query holds (property)', () => {
    const name = fc.constantFrom('utm_source', 'UTM_Medium', 'gclid', 'fbclid', 'ref', 'id', 'lang', 'a.b', 'x*y', 'n-1', 'utm', 'q%20s', 'caf\u00e9', '');
    const value = fc.constantFrom('', 'google', 'a.b-c_d*e', 'a+b', 'a%20b', 'x y', 'caf\u00e9', '%zz', '=', 'Cj0KCQjw');
    const pair = fc.oneof(
      fc.tuple(name, value).map(([n, v]) => `${n}=${v}`),
      name,
    );
    const query = fc.array(pair, { minLength: 0, maxLength: 5 }).map((pairs) => pairs.join('&'));
    const url = fc
      .tuple(fc.constantFrom('https://acme.com', 'https://acme.com/about/', 'http://shop.acme.co.uk/x'), query, fc.constantFrom('', '#top'))
      .map(([base, q, hash]) => `${base}?${q}${hash}`);
    const patterns = WEBSITE_DEFAULTS.tracking_parameters;
    fc.assert(
      fc.property(url, (text) => {
        const expected = new URL(text);
        const names = [...new Set(expected.searchParams.keys())].filter((n) =>
          patterns.some((p) => (p.endsWith('*') ? n.toLowerCase().startsWith(p.slice(0, -1)) : n.toLowerCase() === p)),
        );
        for (const n of names) expected.searchParams.delete(n);
        const actual = new URL(text);
        expect(withoutTracking(actual, patterns), text).to.equal(names.length > 0);
        expect(actual.href, text).to.equal(expected.href);
      }),
      { seed: 8, numRuns: 3000 },
    );
  });
});
