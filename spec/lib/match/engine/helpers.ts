import { fingerprint, KEY_DEFAULTS, strongKeyNames } from '../../../../lib/match/keys.js';
import type { DedupeSettings } from '../../../../lib/match/engine/protocol.js';
import { LEAD_WEIGHTS } from '../../../../lib/match/similarity.js';
import type { Lead } from '../../../../lib/core/record.js';

/** Clustering as the dedupe stage sets it up by default. */
export const SETTINGS = {
  strong_keys: strongKeyNames(KEY_DEFAULTS.matching_fields),
  weights: LEAD_WEIGHTS,
  threshold: 0.85,
  max_block_size: 100,
  default_country: 'CA',
};
export const RESOLUTION = {
  strategy: 'most_recent' as const,
  field_precedence: {},
  protected_fields: ['id', 'airtable_id'],
  default_country: 'CA',
  describe_groups: false,
};
export const ENGINE: DedupeSettings = { cluster: SETTINGS, resolution: RESOLUTION, keys: KEY_DEFAULTS, drop_duplicates: false, emit_groups: false };

/** A record with its match keys, as fingerprint leaves it. */
export function keyed(record: Lead): Lead {
  record._meta = { ...(record._meta ?? {}) };
  record._meta.keys = fingerprint(record, KEY_DEFAULTS);
  return record;
}
