import { expect } from 'chai';
import { RateLimiter } from '../../../lib/airtable-emulator/rate-limit.js';
import { startEmulator, type Emulator } from '../../../lib/airtable-emulator/index.js';
import { PATH, api, leads, rejection } from './helpers.js';

const TWO_BASES = {
  bases: [
    { id: 'appFirstBase00001', name: 'One', tables: [{ name: 'Leads', fields: [{ name: 'Full Name', type: 'singleLineText' }] }] },
    { id: 'appSecondBase0001', name: 'Two', tables: [{ name: 'Leads', fields: [{ name: 'Full Name', type: 'singleLineText' }] }] },
  ],
};

describe('airtable emulator: rate limit', () => {
  describe('limiter', () => {
    it('admits 5 requests per second per base, refuses the 6th and keeps the base blocked for the penalty', () => {
      let now = 0;
      const rl = new RateLimiter({ penaltyMs: 30_000 }, () => now);
      const results = Array.from({ length: 6 }, () => rl.admit('t', 'appA'));
      expect(results).to.deep.equal([true, true, true, true, true, false]);
      now = 2_000;
      expect(rl.admit('t', 'appA')).to.equal(false);
      expect(rl.admit('t', 'appB')).to.equal(true);
      now = 30_001;
      expect(rl.admit('t', 'appA')).to.equal(true);
    });

    it('limits a token across bases and does not count refused requests', () => {
      let now = 0;
      const rl = new RateLimiter({ perBasePerSecond: 5, perTokenPerSecond: 8, penaltyMs: 1000 }, () => now);
      for (let i = 0; i < 5; i++) expect(rl.admit('t', 'appA')).to.equal(true);
      for (let i = 0; i < 3; i++) expect(rl.admit('t', 'appB')).to.equal(true);
      expect(rl.admit('t', 'appC')).to.equal(false);
      expect(rl.admit('other', 'appC')).to.equal(true);
      now = 1000;
      expect(rl.admit('t', 'appC')).to.equal(true);
    });

    it('slides the window instead of resetting it on second boundaries', () => {
      let now = 900;
      const rl = new RateLimiter({ penaltyMs: 0 }, () => now);
      for (let i = 0; i < 5; i++) expect(rl.admit('t', 'appA')).to.equal(true);
      now = 1100;
      expect(rl.admit('t', 'appA')).to.equal(false);
      now = 1901;
      expect(rl.admit('t', 'appA')).to.equal(true);
    });

    it('can extend the penalty on each refused request', () => {
      let now = 0;
      const rl = new RateLimiter({ perBasePerSecond: 1, penaltyMs: 1000, extendPenalty: true }, () => now);
      rl.admit('t', 'appA');
      expect(rl.admit('t', 'appA')).to.equal(false);
      now = 900;
      expect(rl.admit('t', 'appA')).to.equal(false);
      now = 1500;
      expect(rl.admit('t', 'appA')).to.equal(false);
      now = 2400;
      expect(rl.admit('t', 'appA')).to.equal(false);
      now = 3401;
      expect(rl.admit('t', 'appA')).to.equal(true);
    });

    it('admits everything when disabled', () => {
      const rl = new RateLimiter({ enabled: false }, () => 0);
      expect(Array.from({ length: 100 }, () => rl.admit('t', 'appA')).every(Boolean)).to.equal(true);
    });
  });

  describe('over HTTP', () => {
    let em: Emulator;
    let now = 1_000_000;
    beforeEach(async () => {
      now = 1_000_000;
      em = await startEmulator({ schema: TWO_BASES, clock: () => now, rateLimit: { penaltyMs: 30_000 } });
    });
    afterEach(() => em.close());

    it('answers the 6th request within a second with 429 RATE_LIMIT_REACHED while another base still works', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await api(em, 'GET', '/v0/appFirstBase00001/Leads')).status);
      const sixth = await api(em, 'GET', '/v0/appFirstBase00001/Leads');
      expect(statuses).to.deep.equal([200, 200, 200, 200, 200]);
      expect(sixth.status).to.equal(429);
      expect(sixth.body).to.deep.equal({ error: { type: 'RATE_LIMIT_REACHED', message: 'Rate limit exceeded. Please try again later' } });
      expect(sixth.headers.get('retry-after')).to.equal(null);
      expect((await api(em, 'GET', '/v0/appSecondBase0001/Leads')).status).to.equal(200);
      now += 29_000;
      expect((await api(em, 'GET', '/v0/appFirstBase00001/Leads')).status).to.equal(429);
      now += 1_001;
      expect((await api(em, 'GET', '/v0/appFirstBase00001/Leads')).status).to.equal(200);
    });

    it('does not count requests refused before the limit (401) or control calls', async () => {
      for (let i = 0; i < 10; i++) await api(em, 'GET', '/v0/appFirstBase00001/Leads', { token: 'junk' });
      for (let i = 0; i < 10; i++) expect((await api(em, 'GET', '/_emulator/requests')).status).to.equal(200);
      expect((await api(em, 'GET', '/v0/appFirstBase00001/Leads')).status).to.equal(200);
    });

    it('makes airtable.js with noRetryIfRateLimited reject at once with TOO_MANY_REQUESTS', async () => {
      for (let i = 0; i < 5; i++) await api(em, 'GET', '/v0/appFirstBase00001/Leads');
      const base = { ...em, baseId: 'appFirstBase00001' };
      const err = await rejection(leads(base, { noRetryIfRateLimited: true }).select().all());
      expect(err).to.include({ error: 'TOO_MANY_REQUESTS', statusCode: 429 });
    });
  });

  describe('with the airtable.js retry loop', () => {
    let em: Emulator;
    const random = Math.random;
    beforeEach(async () => {
      em = await startEmulator({ rateLimit: { perBasePerSecond: 2, penaltyMs: 300 } });
      // airtable.js waits random() * 5 s before its first retry; keep the waits short.
      Math.random = () => 0.01;
    });
    afterEach(async () => {
      Math.random = random;
      await em.close();
    });

    it('retries after 429 and succeeds once the penalty is over', async () => {
      const t0 = Date.now();
      const results = await Promise.all(Array.from({ length: 4 }, (_, i) => leads(em, { noRetryIfRateLimited: false }).create({ 'Full Name': `L${i}` })));
      expect(results).to.have.length(4);
      expect(em.requestLog().filter((e) => e.status === 429).length).to.be.greaterThan(0);
      expect(Date.now() - t0).to.be.greaterThanOrEqual(300);
      expect(em.dump('Leads')).to.have.length(4);
    });

    it('keeps retrying a monthly-quota 429 forever until the quota mode ends', async () => {
      em.setMonthlyQuotaExceeded(true);
      const direct = await api(em, 'GET', PATH(em));
      expect(direct.status).to.equal(429);
      expect(direct.body.error.type).to.equal('PUBLIC_API_BILLING_LIMIT_EXCEEDED');
      let settled = false;
      const call = leads(em, { noRetryIfRateLimited: false })
        .select()
        .all()
        .then(() => {
          settled = true;
        });
      await new Promise((r) => setTimeout(r, 600));
      expect(settled).to.equal(false);
      expect(em.requestLog().filter((e) => e.status === 429).length).to.be.greaterThan(2);
      em.setMonthlyQuotaExceeded(false);
      await call;
      expect(settled).to.equal(true);
    });
  });
});
