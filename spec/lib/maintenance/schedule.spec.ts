import { expect } from 'chai';
import { ConfigError } from '../../../lib/core/errors.js';
import { parseDuration } from '../../../lib/maintenance/schedule.js';

describe('scheduled maintenance', () => {
  it('reads --every durations and refuses ones it cannot read', () => {
    expect(parseDuration('90s')).to.equal(90_000);
    expect(parseDuration('30m')).to.equal(1_800_000);
    expect(parseDuration('6h')).to.equal(21_600_000);
    expect(parseDuration('1d')).to.equal(86_400_000);
    expect(() => parseDuration('soon')).to.throw(ConfigError, /expected a duration such as 30m/);
    expect(() => parseDuration('0s')).to.throw(ConfigError, /at least 1s/);
  });
});
