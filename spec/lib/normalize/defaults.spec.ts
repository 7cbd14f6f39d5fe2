import { expect } from 'chai';
import { FIELD_DEFAULTS_DEFAULTS, planDefaults } from '../../../lib/normalize/index.js';

describe('planDefaults', () => {
  const rules = { apply_field_defaults: true, defaults: { industry: 'Unknown', lead_score: 0 }, flag_when_empty: ['email', 'company', 'industry'] };

  const cases: Array<[string, Record<string, unknown>, Array<[string, unknown]>, string[]]> = [
    [
      'fills a missing field',
      {},
      [
        ['industry', 'Unknown'],
        ['lead_score', 0],
      ],
      ['email', 'company'],
    ],
    ['fills a null field', { industry: null, lead_score: 5, email: 'a@b.co', company: 'Acme' }, [['industry', 'Unknown']], []],
    ['fills an empty string', { industry: '', lead_score: 1, email: 'a@b.co', company: 'Acme' }, [['industry', 'Unknown']], []],
    ['fills a whitespace-only string', { industry: '  \t', lead_score: 1, email: 'a@b.co', company: 'Acme' }, [['industry', 'Unknown']], []],
    ['keeps a zero', { industry: 'Tech', lead_score: 0, email: 'a@b.co', company: 'Acme' }, [], []],
    ['keeps false', { industry: 'Tech', lead_score: false, email: 'a@b.co', company: 'Acme' }, [], []],
    ['flags an empty email', { industry: 'Tech', lead_score: 1, email: '', company: 'Acme' }, [], ['email']],
    ['flags a null company', { industry: 'Tech', lead_score: 1, email: 'a@b.co', company: null }, [], ['company']],
    ['does not flag a field it filled', { lead_score: 1, email: 'a@b.co', company: 'Acme' }, [['industry', 'Unknown']], []],
    ['flags several fields', { industry: 'Tech', lead_score: 1 }, [], ['email', 'company']],
    ['flags a whitespace-only email', { industry: 'Tech', lead_score: 1, email: ' \t', company: 'Acme' }, [], ['email']],
    ['flags a blank company', { industry: 'Tech', lead_score: 1, email: 'a@b.co', company: '   ' }, [], ['company']],
    ['keeps a number in a flagged field', { industry: 'Tech', lead_score: 1, email: 'a@b.co', company: 42 }, [], []],
    ['keeps an empty list as a value', { industry: [], lead_score: 1, email: 'a@b.co', company: 'Acme' }, [], []],
    ['keeps a value with accents', { industry: 'Télécom', lead_score: 1, email: 'é@b.co', company: 'Énergir' }, [], []],
    ['keeps a very long value', { industry: 'x'.repeat(10000), lead_score: 1, email: 'a@b.co', company: 'Acme' }, [], []],
    [
      'fills both defaults of an empty record',
      { email: 'a@b.co', company: 'Acme' },
      [
        ['industry', 'Unknown'],
        ['lead_score', 0],
      ],
      [],
    ],
    ['fills a lead_score of null', { industry: 'Tech', lead_score: null, email: 'a@b.co', company: 'Acme' }, [['lead_score', 0]], []],
    ['ignores fields it has no rule for', { industry: 'Tech', lead_score: 1, email: 'a@b.co', company: 'Acme', title: '' }, [], []],
    ['flags everything flaggable on a bare record', { lead_score: 1, industry: 'Tech', email: null, company: undefined }, [], ['email', 'company']],
  ];
  for (const [title, record, fill, flag] of cases) {
    it(`${title}`, () => {
      expect(planDefaults(record, rules)).to.deep.equal({ fill, flag });
    });
  }

  it('does nothing when apply_field_defaults is off', () => {
    expect(planDefaults({}, { ...rules, apply_field_defaults: false })).to.deep.equal({ fill: [], flag: [] });
  });

  it('invents no values by default and flags email, company and LinkedIn for enrichment', () => {
    expect(planDefaults({ name: 'Jean' }, FIELD_DEFAULTS_DEFAULTS)).to.deep.equal({ fill: [], flag: ['email', 'company', 'linkedin_url'] });
  });
});
