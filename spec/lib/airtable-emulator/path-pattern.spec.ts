import { expect } from 'chai';
import { compilePathPattern, MAX_PATH_PATTERN_LENGTH } from '../../../lib/airtable-emulator/path-pattern.js';

describe('airtable emulator: fault path patterns', () => {
  const matches = (pattern: string, path: string) => compilePathPattern(pattern)(path);

  it('matches a plain pattern as a path prefix', () => {
    expect(matches('/v0/appX', '/v0/appX/Leads')).to.equal(true);
    expect(matches('/v0/appX', '/v0/app')).to.equal(false);
  });

  it('lets * stand for any run of characters, slashes included, and a final $ anchor the end', () => {
    expect(matches('/v0/*/Leads', '/v0/appX/Leads/rec1')).to.equal(true);
    expect(matches('/v0/*/Leads$', '/v0/appX/Leads/rec1')).to.equal(false);
    expect(matches('/v0/*/Leads$', '/v0/appX/Leads')).to.equal(true);
    expect(matches('/v0/a*b$', '/v0/axbyb')).to.equal(true);
    expect(matches('/v0/appX$', '/v0/appX')).to.equal(true);
    expect(matches('/v0/appX$', '/v0/appX/')).to.equal(false);
  });

  it('never lets the parts around a * overlap', () => {
    expect(matches('/v0/ab*ba$', '/v0/aba')).to.equal(false);
    expect(matches('/v0/ab*ba$', '/v0/abba')).to.equal(true);
    expect(matches('/v0/*x*x$', '/v0/x')).to.equal(false);
  });

  it('answers at once on hostile patterns and long paths', () => {
    const pattern = `/${'*a'.repeat(500)}*b$`;
    const t0 = Date.now();
    expect(matches(pattern, `/${'a'.repeat(16_000)}`)).to.equal(false);
    expect(Date.now() - t0).to.be.below(200);
  });

  it('refuses regular expressions and over-long patterns, saying how to write one', () => {
    expect(() => compilePathPattern('^/(a+)+$')).to.throw(
      'Fault path "^/(a+)+$" starts with "^" like a regular expression; regular expressions are not accepted (one can stall the server). Give a path prefix',
    );
    expect(() => compilePathPattern('/'.repeat(MAX_PATH_PATTERN_LENGTH + 1))).to.throw(`the limit is ${MAX_PATH_PATTERN_LENGTH}`);
  });
});
