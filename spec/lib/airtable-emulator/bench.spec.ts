import { expect } from 'chai';
import { benchEmulator } from '../../../bench/emulator.js';

describe('airtable emulator: throughput', () => {
  it('sustains at least 20 times the real 5 requests per second for pages and batch updates', async () => {
    const r = await benchEmulator({ requests: 150, records: 500 });
    expect(r.metrics).to.have.keys('list_requests_per_second', 'batch_update_requests_per_second', 'ratio_to_real_limit');
    expect(r.metrics.list_requests_per_second).to.be.greaterThanOrEqual(100);
    expect(r.metrics.batch_update_requests_per_second).to.be.greaterThanOrEqual(100);
    expect(r.pass).to.equal(true);
  });
});
