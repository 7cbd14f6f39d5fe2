import { RecordError } from '../lib/errors.js';
import { compileRuleSteps } from '../lib/normalize/apply.js';
import { countryCodeProblem } from '../lib/normalize/phone.js';
import { resolveRules } from '../lib/normalize/rules.js';
import type { OptionProblem } from '../lib/stage.js';
import { describeRecord, type Lead } from '../lib/record.js';
import { tagged } from '../lib/adapter.js';
import { defineStage } from '../lib/stage.js';

// Records are normalized in batches of this many, rule by rule, so each rule's code and data stay
// hot across the batch: on generated leads the rules cost about a third less than record by record.
const BATCH_SIZE = 64;

interface NormalizeOptions {
  field_standardization: Record<string, unknown>;
  default_country: string;
}

/**
 * The seed's FieldStandardizer as one stage. Values it cannot standardize stay as they were, with
 * a problem in `_meta.problems`; every change is in `_meta.changes` with its rule. Running it twice
 * gives the same record as running it once. Records leave in their order, in groups of up to
 * BATCH_SIZE (the rest when the input ends).
 */
export default defineStage<NormalizeOptions>({
  name: 'normalize',
  kind: 'transform',
  // Each record is standardized on its own, so a JSON Lines run spreads them over every core.
  parallel: true,
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
    const country = countryCodeProblem(options.default_country);
    if (country) prefixed.push({ path: 'default_country', message: country });
    // The same wrong value read from the config file would otherwise be reported twice.
    return prefixed.filter((p, i) => !(p.path === 'field_standardization.phone.default_country' && prefixed.slice(i + 1).some((q) => q.path === 'default_country')));
  },
  create(options, ctx) {
    const { rules } = resolveRules(options.field_standardization);
    rules.phone.default_country = options.default_country;
    const steps = compileRuleSteps(rules);
    // Under `fail` a record a rule throws on must reach the stage adapter as the record being
    // transformed (it rejects that record and stops the run), so records then go one at a time.
    const batchSize = ctx.onError === 'fail' ? 1 : BATCH_SIZE;
    // Counts by problem code: bounded by the number of codes, not by the data.
    const counts = new Map<string, number>();
    let batch: Lead[] = [];

    /** Runs the rules over the batch, rule by rule; a record a rule throws on gets the on_error policy. */
    function normalizeBatch(): Lead[] {
      const records = batch;
      batch = [];
      const before = records.map((record) => record._meta?.problems?.length ?? 0);
      let failed: Map<Lead, unknown> | undefined;
      for (const step of steps) {
        for (const record of records) {
          if (failed?.has(record)) continue;
          try {
            step(record);
          } catch (error) {
            if (ctx.onError === 'fail') throw error;
            (failed ??= new Map()).set(record, error);
          }
        }
      }
      records.forEach((record, i) => {
        const problems = record._meta?.problems;
        for (let p = before[i]; p < (problems?.length ?? 0); p++) counts.set(problems![p].problem, (counts.get(problems![p].problem) ?? 0) + 1);
      });
      return failed ? records.filter((record) => !failed!.has(record) || keepFailed(record, failed!.get(record))) : records;
    }

    /** What the stage adapter does with a record its stage throws on under skip or tag: count and reject it, then drop or tag it. */
    function keepFailed(record: Lead, error: unknown): boolean {
      const reason = error instanceof RecordError ? error.reason : 'stage_error';
      const text = error instanceof Error ? error.message : String(error);
      const counters = ctx.runCounters()[ctx.step];
      if (counters?.stage === ctx.stage) counters.errored++;
      ctx.reject({ reason, message: `${describeRecord(record)}: ${text}`, record });
      if (ctx.onError === 'skip') return false;
      return tagged(record, { problem: reason, message: text }) !== undefined;
    }

    return {
      transform(record: Lead) {
        batch.push(record);
        return batch.length >= batchSize ? normalizeBatch() : [];
      },
      drain: normalizeBatch,
      flush() {
        const rest = normalizeBatch();
        if (counts.size) {
          const found = Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : 1)));
          ctx.log.info('Values left as they were, with problems recorded in _meta.problems.', { problems: found });
        }
        return rest;
      },
    };
  },
});
