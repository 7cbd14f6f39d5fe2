import { compileRuleSteps } from '../lib/normalize/apply.js';
import { DEFAULT_COUNTRY_OPTION, defaultCountryProblems } from '../lib/normalize/options.js';
import { resolveRules } from '../lib/normalize/rules.js';
import type { OptionProblem } from '../lib/core/stage.js';
import type { Lead } from '../lib/core/record.js';
import { declareParallel } from '../lib/parallel/capabilities.js';
import { defineStage } from '../lib/core/stage.js';

// Records are normalized in batches of this many, rule by rule, so each rule's code and data stay
// hot across the batch.
const BATCH_SIZE = 64;

interface NormalizeOptions {
  field_standardization: Record<string, unknown>;
  default_country: string;
}

/**
 * The seed's FieldStandardizer as one stage. Values it cannot standardize stay as they were, with
 * a problem in `_meta.problems`; every change is in `_meta.changes` with its rule. Running it twice
 * gives the same record as running it once. Records leave in their order, in batches of up to
 * BATCH_SIZE.
 */
const normalize = defineStage<NormalizeOptions>({
  name: 'normalize',
  kind: 'transform',
  summary:
    'Standardizes emails, websites, LinkedIn URLs, company names, names, phones, engagement status and dates, fills defaults, and flags what it cannot fix.',
  options: {
    field_standardization: {
      type: 'object',
      config: 'field_standardization',
      // Empty means every default: they are listed, with comments, in config/maintenance.yaml.
      default: {},
      description:
        'The standardization rules (the `field_standardization` section of config/maintenance.yaml); rules and settings not given keep their defaults.',
      example: { email: { normalize_case: 'lower' }, company_name: { normalize_case: false }, rule_order: ['text', 'email'] },
    },
    default_country: DEFAULT_COUNTRY_OPTION,
  },
  check(options) {
    const { problems } = resolveRules(options.field_standardization);
    const prefixed: OptionProblem[] = problems.map((p) => ({ path: `field_standardization.${p.path}`, message: p.message }));
    prefixed.push(...defaultCountryProblems(options));
    // The same wrong value read from the config file would otherwise be reported twice.
    return prefixed.filter(
      (p, i) => !(p.path === 'field_standardization.phone.default_country' && prefixed.slice(i + 1).some((q) => q.path === 'default_country')),
    );
  },
  create(options, ctx) {
    const { rules } = resolveRules(options.field_standardization);
    rules.phone.default_country = options.default_country;
    const steps = compileRuleSteps(rules);
    // Counts by problem code: bounded by the number of codes, not by the data.
    const counts = new Map<string, number>();
    return {
      // Under `fail` the run stops at the first record a rule throws on, so records then go one at
      // a time: those before it are written, as record by record.
      size: ctx.onError === 'fail' ? 1 : BATCH_SIZE,
      /** Runs the rules over the batch, rule by rule; a record a rule throws on gets no further rule and goes to `fail`. */
      batch(records, fail) {
        const before = records.map((record) => record._meta?.problems?.length ?? 0);
        let failed: Map<Lead, unknown> | undefined;
        for (const step of steps) {
          for (const record of records) {
            if (failed?.has(record)) continue;
            try {
              step(record);
            } catch (error) {
              (failed ??= new Map()).set(record, error);
            }
          }
        }
        records.forEach((record, i) => {
          const problems = record._meta?.problems;
          for (let p = before[i]; p < (problems?.length ?? 0); p++) counts.set(problems![p].problem, (counts.get(problems![p].problem) ?? 0) + 1);
        });
        return failed ? records.filter((record) => !failed!.has(record) || fail(record, failed!.get(record)) !== undefined) : records;
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

export default normalize;

// Each record is standardized on its own, so a JSON Lines run spreads them over every core.
declareParallel(normalize, { module: import.meta.url, independent: true });
