import { expect } from 'chai';
import { reasonOfRule } from '../../../lib/sync/reason.js';

describe('the reason of a change', () => {
  it('counts a value taken from the other system as a sync, whatever the conflict rule', () => {
    for (const rule of ['sync.most_recent', 'sync.local_wins', 'sync.airtable_wins', 'sync']) expect(reasonOfRule(rule), rule).to.equal('sync');
  });

  it('counts a value a dedupe merge or fill wrote, and a deleted duplicate, as a merge', () => {
    for (const rule of ['dedupe.merge', 'dedupe.fill', 'dedupe.archive', 'dedupe', 'merge']) expect(reasonOfRule(rule), rule).to.equal('merge');
  });

  it('counts every normalization rule as standardization', () => {
    for (const rule of ['email.lowercase', 'phone.e164', 'engagement_status.default', 'field_defaults.fill', 'standardize']) {
      expect(reasonOfRule(rule), rule).to.equal('standardize');
    }
  });
});
