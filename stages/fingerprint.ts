import { DEFAULT_COUNTRY_OPTION, defaultCountryProblems } from '../lib/normalize/options.js';
import { BLOCKING_FIELDS_OPTION, MATCHING_FIELDS_OPTION } from '../lib/match/options.js';
import { fingerprint } from '../lib/match/keys.js';
import { metaOf } from '../lib/core/record.js';
import { defineStage } from '../lib/core/stage.js';
import { declareParallel } from '../lib/parallel/capabilities.js';
import { isEvent } from '../lib/core/types.js';
import { LINK_FIELD_OPTION } from '../lib/sync/links.js';

interface FingerprintOptions {
  matching_fields: string[];
  blocking_fields: string[];
  link_field: string;
  default_country: string;
}

/**
 * Adds match keys to `_meta.keys` and changes no field: the canonical email (case, and the dots
 * and `+tags` of providers that ignore them), LinkedIn slug, E.164 phone (or the last digits of a
 * number the phone library calls invalid, which never link records exactly by themselves),
 * registrable domain of the website, company key, person-name key (invisible characters folded
 * away), `link` (the Airtable id that ties a local lead to its Airtable record) and
 * `block:<field>` keys for fuzzy comparison. Empty and placeholder values give no key, so leads
 * without an email never match each other on it.
 */
const fingerprintStage = defineStage<FingerprintOptions>({
  name: 'fingerprint',
  kind: 'transform',
  summary:
    'Adds match keys (canonical email, LinkedIn slug, phone, website domain, company and name keys, Airtable link, blocking keys) to _meta.keys without changing any field.',
  options: {
    matching_fields: MATCHING_FIELDS_OPTION,
    blocking_fields: BLOCKING_FIELDS_OPTION,
    link_field: LINK_FIELD_OPTION,
    default_country: DEFAULT_COUNTRY_OPTION,
  },
  check: defaultCountryProblems,
  create(options) {
    return (record) => {
      if (isEvent(record)) return record;
      metaOf(record).keys = fingerprint(record, options);
      return record;
    };
  },
});

export default fingerprintStage;

// Each record is fingerprinted on its own, so a JSON Lines run spreads them over every core.
declareParallel(fingerprintStage, { module: import.meta.url, independent: true });
