import { compileRules } from '../lib/normalize/apply.js';
import { isCountryCode } from '../lib/normalize/phone.js';
import { resolveRules } from '../lib/normalize/rules.js';
import type { OptionProblem } from '../lib/stage.js';
import { defineStage } from '../lib/stage.js';

interface NormalizeOptions {
  field_standardization: Record<string, unknown>;
  default_country: string;
}

/**
 * The seed's FieldStandardizer as one stage. Values it cannot standardize stay as they were, with
 * a problem in `_meta.problems`; every change is in `_meta.changes` with its rule. Running it twice
 * gives the same record as running it once.
 */
export default defineStage<NormalizeOptions>({
  name: 'normalize',
  kind: 'transform',
  summary: 'Standardizes emails, websites, LinkedIn URLs, company names, names, phones, engagement status and dates, fills defaults, and flags what it cannot fix.',
  options: {
    field_standardization: {
      type: 'object',
      config: 'field_standardization',
      // Empty means every default: they are listed, with comments, in config/maintenance.yaml.
      default: {},
      description: 'The standardization rules (the `field_standardization` section of config/maintenance.yaml); rules and settings not given keep their defaults.',
      example: { email: { normalize_case: 'lower' }, company_name: { normalize_case: false }, rule_order: ['text', 'email'] },
    },
    default_country: {
      type: 'string',
      config: 'field_standardization.phone.default_country',
      // The original data is Montreal-centric; CA and US share +1, so either reads NANP numbers alike.
      default: 'CA',
      description: 'The country of phone numbers written without a country code (ISO 3166, e.g. CA, US, FR).',
      example: 'US',
    },
  },
  check(options) {
    const { problems } = resolveRules(options.field_standardization);
    const prefixed: OptionProblem[] = problems.map((p) => ({ path: `field_standardization.${p.path}`, message: p.message }));
    if (!isCountryCode(options.default_country)) {
      prefixed.push({ path: 'default_country', message: `"${options.default_country}" is not a country code known to libphonenumber; use two capital letters such as CA, US, FR` });
    }
    // The same wrong value read from the config file would otherwise be reported twice.
    return prefixed.filter((p, i) => !(p.path === 'field_standardization.phone.default_country' && prefixed.slice(i + 1).some((q) => q.path === 'default_country')));
  },
  create(options, ctx) {
    const { rules } = resolveRules(options.field_standardization);
    rules.phone.default_country = options.default_country;
    const normalize = compileRules(rules);
    // Counts by problem code: bounded by the number of codes, not by the data.
    const counts = new Map<string, number>();
    return {
      transform(record) {
        const before = record._meta?.problems?.length ?? 0;
        normalize(record);
        const problems = record._meta?.problems;
        for (let i = before; i < (problems?.length ?? 0); i++) {
          const code = problems![i].problem;
          counts.set(code, (counts.get(code) ?? 0) + 1);
        }
        return record;
      },
      flush() {
        if (counts.size) {
          const found = Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : 1)));
          ctx.log.info('Values left as they were, with problems recorded in _meta.problems.', { problems: found });
        }
      },
    };
  },
});
