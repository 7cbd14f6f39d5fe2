import { expect } from 'chai';
import fc from 'fast-check';
import { canonicalLinkedinUrl, linkedinSlug } from '../../../lib/normalize/index.js';
import { checkIdempotent, checkVectors, type Vector } from './vectors.js';

const CANON = 'https://www.linkedin.com/in/jean-tremblay';

const vectors: Vector[] = [
  [CANON, CANON],
  ['https://ca.linkedin.com/in/jean-tremblay', CANON],
  ['https://linkedin.com/in/jean-tremblay', CANON],
  ['https://www.linkedin.com/in/jean-tremblay/', CANON],
  ['http://ca.linkedin.com/in/jean-tremblay/', CANON],
  ['linkedin.com/in/jean-tremblay', CANON],
  ['www.linkedin.com/in/jean-tremblay', CANON],
  ['https://fr.linkedin.com/in/Jean-Tremblay', CANON],
  ['https://www.linkedin.com/in/jean-tremblay?trk=public_profile', CANON],
  ['https://www.linkedin.com/in/jean-tremblay/#experience', CANON],
  ['https://www.linkedin.com/in/jean-tremblay/fr', CANON],
  ['https://www.linkedin.com/in/jean-tremblay/en-us/', CANON],
  ['  https://ca.linkedin.com/in/jean-tremblay/  ', CANON],
  ['https://uk.linkedin.com/in/JEAN-TREMBLAY/?originalSubdomain=ca', CANON],
  ['https://www.linkedin.com/in/fran%C3%A7ois-c%C3%B4t%C3%A9', 'https://www.linkedin.com/in/françois-côté'],
  ['https://www.linkedin.com/in/Fran%C3%A7ois', 'https://www.linkedin.com/in/françois'],
  ['https://www.linkedin.com/pub/lin-lu/5/b43/9a8', 'https://www.linkedin.com/in/lin-lu-9a8b435'],
  ['http://ca.linkedin.com/pub/jean-roy/1/2/34/', 'https://www.linkedin.com/in/jean-roy-0340021'],
  ['https://www.linkedin.com/in/first-last-1749', 'https://www.linkedin.com/in/first-last-1749'],
  ['https://www.linkedin.com/company/acme', null, ['not_linkedin_profile']],
  ['https://www.linkedin.com/sales/lead/ACwAAA123,NAME_SEARCH,abc', null, ['not_linkedin_profile']],
  ['https://www.linkedin.com/in/', null, ['not_linkedin_profile']],
  ['https://www.linkedin.com/in/jean/details/experience/', 'https://www.linkedin.com/in/jean'],
  ['https://www.linkedin.com/in/jean/photo/', null, ['not_linkedin_profile']],
  ['https://www.linkedin.com/feed/', null, ['not_linkedin_profile']],
  ['https://twitter.com/jean', null, ['not_linkedin_url']],
  ['https://notlinkedin.com/in/jean', null, ['not_linkedin_url']],
  ['jean tremblay', null, ['not_linkedin_url']],
  [`https://www.linkedin.com/in/${'x'.repeat(2000)}`, `https://www.linkedin.com/in/${'x'.repeat(2000)}`],
];

describe('canonicalLinkedinUrl', () => {
  checkVectors(canonicalLinkedinUrl, vectors);

  it('gives every variant of one profile the same slug', () => {
    const slugs = new Set(vectors.filter(([, out]) => out === CANON).map(([input]) => linkedinSlug(input)));
    expect([...slugs]).to.deep.equal(['jean-tremblay']);
  });

  it('gives no slug for pages that are not profiles', () => {
    expect(linkedinSlug('https://www.linkedin.com/company/acme')).to.equal(undefined);
    expect(linkedinSlug('https://example.com/in/jean')).to.equal(undefined);
  });

  it('is a fixed point on its own output', () => {
    checkIdempotent(
      canonicalLinkedinUrl,
      vectors.map(([input]) => input),
    );
  });

  it('gives its own output back unchanged (property)', () => {
    const host = fc.constantFrom('linkedin.com', 'www.linkedin.com', 'ca.linkedin.com', 'fr.linkedin.com');
    const slug = fc.stringMatching(/^[A-Za-z0-9éèç%-]{1,30}$/);
    const url = fc
      .tuple(fc.constantFrom('', 'http://', 'https://'), host, slug, fc.constantFrom('', '/', '/fr', '?trk=1', '/#x'))
      .map(([scheme, h, s, tail]) => `${scheme}${h}/in/${s}${tail}`);
    fc.assert(
      fc.property(fc.oneof(url, fc.string()), (input) => {
        const once = canonicalLinkedinUrl(input);
        if (once.value === undefined) return;
        expect(canonicalLinkedinUrl(once.value).value).to.equal(once.value);
      }),
      { seed: 11, numRuns: 500 },
    );
  });
});
