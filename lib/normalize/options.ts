import type { OptionProblem, OptionSpec } from '../core/stage.js';
import { countryCodeProblem, PHONE_DEFAULTS } from './phone.js';

/**
 * `default_country`, declared once for every stage that reads phone numbers (`normalize`
 * standardizes them, `fingerprint` and `dedupe` key and compare them), with its check.
 */
export const DEFAULT_COUNTRY_OPTION: OptionSpec = {
  type: 'string',
  config: 'field_standardization.phone.default_country',
  // The original data is Montreal-centric; CA and US share +1, so either reads NANP numbers alike.
  default: PHONE_DEFAULTS.default_country,
  description: 'The country of phone numbers written without a country code (ISO 3166, e.g. CA, US, FR).',
  example: 'US',
};

/** The problem of a stage's `default_country`, if any (for the stage's `check`). */
export function defaultCountryProblems(options: { default_country: string }): OptionProblem[] {
  const problem = countryCodeProblem(options.default_country);
  return problem ? [{ path: 'default_country', message: problem }] : [];
}
