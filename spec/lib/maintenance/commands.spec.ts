import { expect } from 'chai';
import { ConfigError } from '../../../lib/core/errors.js';
import { CONFLICT_STRATEGIES, maintenanceOptions, overridesFor } from '../../../lib/maintenance/commands.js';
import { RESOLUTION_STRATEGIES } from '../../../lib/match/resolution.js';
import { SYNC_STRATEGIES } from '../../../lib/sync/plan.js';

describe('maintenance commands', () => {
  describe('command-line options as stage overrides', () => {
    it("puts --engagement-status into normalize's engagement status default, leaving its other rules alone", () => {
      expect(overridesFor({ engagementStatus: 'Sent' })).to.deep.equal({
        normalize: { field_standardization: { engagement_status: { default_value: 'Sent' } } },
      });
    });

    it('gives --matching-fields to dedupe', () => {
      expect(overridesFor({ matchingFields: ['email', 'phone'] })).to.deep.equal({ dedupe: { matching_fields: ['email', 'phone'] } });
    });

    it('sends a sync rule to diff, a dedupe rule to dedupe, and a rule both know to both', () => {
      expect(overridesFor({ conflictStrategy: 'local_wins' })).to.deep.equal({ diff: { conflict_resolution: 'local_wins' } });
      expect(overridesFor({ conflictStrategy: 'merge' })).to.deep.equal({ dedupe: { resolution_strategy: 'merge' } });
      expect(overridesFor({ conflictStrategy: 'most_recent' })).to.deep.equal({
        diff: { conflict_resolution: 'most_recent' },
        dedupe: { resolution_strategy: 'most_recent' },
      });
    });

    it('takes every sync rule and every dedupe rule, each sent to the stage that knows it', () => {
      expect([...CONFLICT_STRATEGIES].sort()).to.deep.equal([...new Set([...SYNC_STRATEGIES, ...RESOLUTION_STRATEGIES])].sort());
      for (const strategy of CONFLICT_STRATEGIES) {
        const overrides = overridesFor({ conflictStrategy: strategy });
        expect(overrides.diff?.conflict_resolution, strategy).to.equal((SYNC_STRATEGIES as readonly string[]).includes(strategy) ? strategy : undefined);
        expect(overrides.dedupe?.resolution_strategy, strategy).to.equal(
          (RESOLUTION_STRATEGIES as readonly string[]).includes(strategy) ? strategy : undefined,
        );
      }
    });

    it('rejects an unknown strategy, naming the known ones', () => {
      expect(() => overridesFor({ conflictStrategy: 'newest' })).to.throw(
        ConfigError,
        `--conflict-strategy newest: expected one of ${CONFLICT_STRATEGIES.join(', ')}`,
      );
    });

    it("caps --batch-size at Airtable's 10 records per request, not the database's", () => {
      expect(overridesFor({ batchSize: 200 })).to.deep.equal({ 'write-sqlite': { batch_size: 200 }, 'write-airtable': { batch_size: 10 } });
      expect(overridesFor({ batchSize: 5 })).to.deep.equal({ 'write-sqlite': { batch_size: 5 }, 'write-airtable': { batch_size: 5 } });
    });
  });

  it("--incremental and --full-scan switch read-airtable's incremental reads", () => {
    expect(overridesFor({ incremental: true })).to.deep.equal({ 'read-airtable': { incremental: true } });
    expect(overridesFor({ incremental: false })).to.deep.equal({ 'read-airtable': { incremental: false } });
  });

  it("describes a run in the seed's MaintenanceOptions", () => {
    expect(maintenanceOptions('remove-duplicates', { noBackup: true, dryRun: true, matchingFields: ['email'] })).to.deep.include({
      backup_before_operation: false,
      remove_duplicates: true,
      standardize_fields: false,
      sync_data: false,
      dry_run: true,
      duplicate_matching_fields: ['email'],
    });
  });
});
