import { expect } from 'chai';
import { FIELD_STANDARDIZATION_DEFAULTS, resolveRules, RULE_NAMES } from '../../../lib/normalize/index.js';

describe('resolveRules', () => {
  it('gives the defaults for an empty mapping, with no problems', () => {
    expect(resolveRules({})).to.deep.equal({ rules: FIELD_STANDARDIZATION_DEFAULTS, problems: [] });
  });

  it('keeps defaults for settings a section does not give', () => {
    const { rules, problems } = resolveRules({ email: { normalize_case: 'preserve' } });
    expect(problems).to.deep.equal([]);
    expect(rules.email.normalize_case).to.equal('preserve');
    expect(rules.email.validate_format).to.equal(true);
  });

  it("reads the seed's schema as written in config/maintenance.yaml", () => {
    const { problems } = resolveRules({
      engagement_status: { default_value: 'Auto-Send', valid_values: ['Auto-Send', 'Sent', 'Skipped', 'Needs Review', 'Error'] },
      company_name: { normalize_case: true, remove_suffixes: ['Inc.', 'LLC', 'Corp.', 'Ltd.'], add_proper_suffix: true },
      website_url: { ensure_protocol: true, preferred_protocol: 'https', remove_trailing_slash: true },
      email: { normalize_case: 'lower', validate_format: true },
    });
    expect(problems).to.deep.equal([]);
  });

  it('reports an unknown rule with a did-you-mean', () => {
    expect(resolveRules({ emial: {} }).problems).to.deep.equal([
      { path: 'emial', message: `unknown rule (did you mean "email"?); the rules are ${RULE_NAMES.join(', ')} (and rule_order)` },
    ]);
  });

  it('reports an unknown setting with a did-you-mean', () => {
    const [problem] = resolveRules({ website_url: { remove_trailing_slashes: true } }).problems;
    expect(problem.path).to.equal('website_url.remove_trailing_slashes');
    expect(problem.message).to.match(/^unknown setting \(did you mean "remove_trailing_slash"\?\); website_url takes /);
  });

  it('reports a default engagement status that is not among the valid values', () => {
    expect(resolveRules({ engagement_status: { default_value: 'auto_send' } }).problems).to.deep.equal([
      {
        path: 'engagement_status.default_value',
        message:
          'the default "auto_send" is not among the valid values (Auto-Send, Sent, Skipped, Needs Review, Error) (did you mean "Auto-Send"?); the valid values must be exactly the Airtable select options',
      },
    ]);
  });

  it('reports valid values that no longer include the default at valid_values', () => {
    expect(resolveRules({ engagement_status: { valid_values: ['Sent'] } }).problems.map((p) => p.path)).to.deep.equal([
      'engagement_status.valid_values',
      'engagement_status.aliases.Skip',
      'engagement_status.aliases.Manual Review',
      'engagement_status.aliases.Review',
      'engagement_status.aliases.Failed',
    ]);
  });

  it('reports a bad country code', () => {
    expect(resolveRules({ phone: { default_country: 'Canada' } }).problems).to.deep.equal([
      { path: 'phone.default_country', message: '"Canada" is not a country code known to libphonenumber; use two capital letters such as CA, US, FR' },
    ]);
  });

  it('reports wrong types, bad enumerations and unknown suffixes', () => {
    const { problems } = resolveRules({
      email: { validate_format: 'yes', normalize_case: 'lowr' },
      company_name: { remove_suffixes: ['Inc.', 'Sons'] },
      dates: { date_fields: 'date_messaged' },
    });
    expect(problems).to.deep.equal([
      { path: 'email.validate_format', message: 'must be a boolean, not "yes"' },
      { path: 'email.normalize_case', message: 'must be one of lower, preserve, not "lowr" (did you mean "lower"?)' },
      { path: 'dates.date_fields', message: 'must be a list of strings, not "date_messaged"' },
      {
        path: 'company_name.remove_suffixes.1',
        message: '"Sons" is not a legal suffix this tool knows; known: Inc, LLC, Corp, Ltd, Ltée, Co, LLP, LP, PLC, GmbH, AG, SA, SARL, SAS, BV, NV, Pty Ltd',
      },
    ]);
  });

  it('runs rules in the configured order, then the rest in the default order', () => {
    const { rules, problems } = resolveRules({ rule_order: ['field_defaults', 'company_name'] });
    expect(problems).to.deep.equal([]);
    expect(rules.rule_order.slice(0, 3)).to.deep.equal(['field_defaults', 'company_name', 'text']);
    expect(rules.rule_order).to.have.length(RULE_NAMES.length);
  });

  it('reports unknown and repeated names in rule_order', () => {
    expect(resolveRules({ rule_order: ['compnay_name', 'email', 'email'] }).problems).to.deep.equal([
      { path: 'rule_order.0', message: `unknown rule "compnay_name" (did you mean "company_name"?); the rules are ${RULE_NAMES.join(', ')}` },
      { path: 'rule_order.2', message: 'rule "email" is listed twice' },
    ]);
  });

  it('does not change the shared defaults when a configuration is resolved', () => {
    resolveRules({ email: { role_mailboxes: ['x'] } }).rules.email.placeholder_domains.push('mutated.com');
    expect(FIELD_STANDARDIZATION_DEFAULTS.email.placeholder_domains).to.not.include('mutated.com');
    expect(FIELD_STANDARDIZATION_DEFAULTS.email.role_mailboxes).to.not.deep.equal(['x']);
  });
});
