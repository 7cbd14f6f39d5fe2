import { expect } from 'chai';
import { canonicalEngagementStatus, ENGAGEMENT_STATUS_DEFAULTS, statusLookup } from '../../../lib/normalize/index.js';
import { checkIdempotent, checkVectors, type Vector } from './vectors.js';

const vectors: Vector[] = [
  ['Auto-Send', 'Auto-Send'],
  ['auto_send', 'Auto-Send'],
  ['Auto-send', 'Auto-Send'],
  ['auto send', 'Auto-Send'],
  ['AUTO_SEND', 'Auto-Send'],
  ['AUTO SEND', 'Auto-Send'],
  ['autosend', 'Auto-Send'],
  [' Auto-Send ', 'Auto-Send'],
  ['Sent', 'Sent'],
  ['sent', 'Sent'],
  ['SENT', 'Sent'],
  ['skipped', 'Skipped'],
  ['Skip', 'Skipped'],
  ['needs_review', 'Needs Review'],
  ['Needs-Review', 'Needs Review'],
  ['Manual Review', 'Needs Review'],
  ['manual_review', 'Needs Review'],
  ['error', 'Error'],
  ['Failed', 'Error'],
  ['contacted', null, ['invalid_engagement_status']],
  ['New', null, ['invalid_engagement_status']],
  ['Failed - No Website', null, ['invalid_engagement_status']],
  ['Completed', null, ['invalid_engagement_status']],
  ['x'.repeat(1000), null, ['invalid_engagement_status']],
];

describe('canonicalEngagementStatus', () => {
  checkVectors((v: string) => canonicalEngagementStatus(v), vectors);

  it('maps only to the configured valid values, which are the Airtable select options', () => {
    const rules = { ...ENGAGEMENT_STATUS_DEFAULTS, valid_values: ['Sent', 'Skip'], aliases: {} };
    expect(canonicalEngagementStatus('SKIP', rules, statusLookup(rules)).value).to.equal('Skip');
    expect(canonicalEngagementStatus('Auto-Send', rules, statusLookup(rules)).value).to.equal(undefined);
  });

  it('names the valid values and how to add an alias in its message', () => {
    expect(canonicalEngagementStatus('contacted').problems[0].message).to.equal(
      'Engagement status "contacted" is not one of Auto-Send, Sent, Skipped, Needs Review, Error; it was kept as it is. Pick one of those or add an alias in field_standardization.engagement_status.aliases.',
    );
  });

  it('is a fixed point on its own output', () => {
    checkIdempotent(
      (v) => canonicalEngagementStatus(v),
      vectors.map(([input]) => input),
    );
  });
});
