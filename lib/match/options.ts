import type { OptionSpec } from '../core/stage.js';
import { KEY_DEFAULTS } from './keys.js';

/** `matching_fields`, declared once for `fingerprint` (which computes the keys) and `dedupe` (which joins on them). */
export const MATCHING_FIELDS_OPTION: OptionSpec = {
  type: 'string[]',
  default: KEY_DEFAULTS.matching_fields,
  config: 'duplicate_detection.matching_fields',
  description:
    'Fields whose equal keys make two leads one: email, linkedin_url, phone or any identifier column. Company, website and name never identify a lead alone; listed here they only feed the fuzzy score.',
  example: ['email', 'linkedin_url', 'phone'],
};

/** `blocking_fields`, declared once for `fingerprint` (which writes the block keys) and `dedupe` (which writes them for records fingerprint did not see). */
export const BLOCKING_FIELDS_OPTION: OptionSpec = {
  type: 'string[]',
  default: KEY_DEFAULTS.blocking_fields,
  config: 'duplicate_detection.blocking_fields',
  description:
    'Fields whose equal keys put leads in one block; dedupe compares leads fuzzily only within blocks, never all pairs (fingerprint writes the blocks, dedupe too for records fingerprint did not see).',
  example: ['company', 'company_website', 'phone'],
};
