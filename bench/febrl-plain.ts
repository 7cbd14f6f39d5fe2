import type { Lead } from '../lib/core/record.js';

/**
 * FEBRL with a plain, untuned mapping, as a new user would map a person table: the name, the
 * address as one `location`, the date of birth and the social security number as extra columns,
 * each a blocking field too. Run through the real fingerprint and dedupe stages, the learned
 * model trained on each file without its truth.
 */

const ADDRESS = ['street_number', 'address_1', 'address_2', 'suburb', 'postcode', 'state'];

/** A FEBRL row as a plain lead: name, location, date_of_birth, soc_sec_id (empty parts left out). */
export function plainLead(record: Lead): Lead {
  const join = (names: string[]) =>
    names
      .map((n) => record[n])
      .filter((v) => typeof v === 'string' && v)
      .join(' ') || null;
  return {
    id: record.id,
    name: join(['given_name', 'surname']),
    location: join(ADDRESS),
    date_of_birth: record.date_of_birth ?? null,
    soc_sec_id: record.soc_sec_id ?? null,
  };
}

/** Blocks on every plain column, and compares them by what their names say: nothing declared, nothing tuned. */
const PLAIN_FIELDS = ['name', 'location', 'date_of_birth', 'soc_sec_id'];
const PLAIN_FINGERPRINT = { matching_fields: [], blocking_fields: PLAIN_FIELDS };
const EQUAL_WEIGHTS = Object.fromEntries(PLAIN_FIELDS.map((field) => [field, 1]));

/** The plain mapping through fingerprint and dedupe, by hand weights (every column the same) or by learned weights. */
export const PLAIN_SETTINGS = {
  weighted: { fingerprint: PLAIN_FINGERPRINT, dedupe: { matching_fields: [], field_weights: EQUAL_WEIGHTS, scoring: 'weighted' } },
  learned: { fingerprint: PLAIN_FINGERPRINT, dedupe: { matching_fields: [], field_weights: EQUAL_WEIGHTS, scoring: 'learned' } },
};
