import { expect } from 'chai';
import { limiterFor, RateLimiter, type LimiterClock } from '../../../lib/airtable/rate-limiter.js';
import { emulator } from './setup.js';
import { client } from './setup.js';

/** A clock that only moves when a test says so; sleepers wake when their time has come. */
function manualClock(): LimiterClock & { advance(ms: number): Promise<void>; t: number } {
  const sleepers: Array<{ until: number; wake: () => void }> = [];
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: (ms: number) =>
      new Promise<void>((wake) => {
        sleepers.push({ until: clock.t + ms, wake });
      }),
    async advance(ms: number) {
      const end = clock.t + ms;
      for (;;) {
        await new Promise((r) => setImmediate(r));
        sleepers.sort((a, b) => a.until - b.until);
        const next = sleepers[0];
        if (!next || next.until > end) break;
        clock.t = Math.max(clock.t, next.until);
        sleepers.shift()!.wake();
      }
      clock.t = end;
      await new Promise((r) => setImmediate(r));
    },
  };
  return clock;
}

describe('airtable rate limiter', () => {
  it('admits 5 requests at once and the 6th one window after the first answer came back', async () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ requestsPerSecond: 5, penaltyMs: 30_000 }, clock);
    const admitted: number[] = [];
    const releases: Array<() => void> = [];
    for (let i = 0; i < 7; i++)
      void limiter.acquire().then((release) => {
        admitted.push(clock.t);
        releases.push(release);
      });
    await clock.advance(0);
    expect(admitted).to.deep.equal([0, 0, 0, 0, 0]);
    await clock.advance(200);
    releases[0]!(); // the first answer arrives at 200 ms: its place is free at 1200 ms
    await clock.advance(900);
    expect(admitted).to.have.length(5);
    await clock.advance(100);
    expect(admitted).to.deep.equal([0, 0, 0, 0, 0, 1200]);
    expect(limiter.stats.requests).to.equal(6);
  });

  it('holds the place of a request that got no answer for longer, since Airtable may count it late', async () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ requestsPerSecond: 1, penaltyMs: 30_000 }, clock);
    (await limiter.acquire())(500);
    let admittedAt = -1;
    void limiter.acquire().then(() => {
      admittedAt = clock.t;
    });
    await clock.advance(1499);
    expect(admittedAt).to.equal(-1);
    await clock.advance(1);
    expect(admittedAt).to.equal(1500);
  });

  it('keeps every request waiting for the penalty after a 429, lowers the rate, and raises it again after clean requests', async () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ requestsPerSecond: 5, penaltyMs: 30_000, recoverAfter: 3 }, clock);
    (await limiter.acquire())();
    limiter.rateLimited();
    expect(limiter.stats.currentRate).to.equal(4);
    let admittedAt = -1;
    void limiter.acquire().then((release) => {
      admittedAt = clock.t;
      release();
    });
    await clock.advance(29_999);
    expect(admittedAt).to.equal(-1);
    await clock.advance(1);
    expect(admittedAt).to.equal(30_000);
    for (let i = 0; i < 2; i++) (await limiter.acquire())();
    expect(limiter.stats.currentRate, 'three clean requests later').to.equal(5);
    expect(limiter.stats.rateLimited).to.equal(1);
  });

  it('is one limiter per base for the whole process: the stricter rate wins within a run, and the next run keeps counting', async () => {
    const a = limiterFor('http://x|appAAAAAAAAAAAAAA', { requestsPerSecond: 5, penaltyMs: 1000 });
    const b = limiterFor('http://x|appAAAAAAAAAAAAAA', { requestsPerSecond: 3, penaltyMs: 1000 });
    const other = limiterFor('http://x|appBBBBBBBBBBBBBB', { requestsPerSecond: 5, penaltyMs: 1000 });
    expect(a.limiter).to.equal(b.limiter);
    expect(a.limiter).not.to.equal(other.limiter);
    expect(a.limiter.stats.currentRate).to.equal(3);
    for (let i = 0; i < 3; i++) (await a.limiter.acquire())();
    for (const h of [a, b, other]) h.release();
    const next = limiterFor('http://x|appAAAAAAAAAAAAAA', { requestsPerSecond: 4, penaltyMs: 1000 });
    expect(next.limiter, 'the requests just sent still count').to.equal(a.limiter);
    expect(next.limiter.stats.currentRate, "with the new run's rate").to.equal(4);
    let admitted = 0;
    const waiting = Promise.all(
      [0, 1].map(() =>
        next.limiter.acquire().then((release) => {
          admitted++;
          release();
        }),
      ),
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(admitted, 'one place left of four in the window').to.equal(1);
    await waiting;
    next.release();
  });

  it("never trips the emulator's sliding window, even with 40 requests fired at once", async function () {
    this.timeout(10_000);
    // Both windows shortened to 200 ms so the test runs in about 2 s; the rule is the same as at 1 s.
    const em = await emulator({ rateLimit: { perBasePerSecond: 5, windowMs: 200, penaltyMs: 5000 } });
    try {
      em.seed('Leads', [{ 'Full Name': 'Ada' }]);
      const limiter = new RateLimiter({ requestsPerSecond: 5, penaltyMs: 5000, windowMs: 200 });
      const c = client(em, {}, limiter);
      const started = Date.now();
      await Promise.all(Array.from({ length: 40 }, () => c.request({ method: 'GET', path: '/Leads', qs: { pageSize: 1 }, action: 'list', idempotent: true })));
      const elapsed = Date.now() - started;
      expect(
        em
          .requestLog()
          .map((r) => r.status)
          .filter((s) => s !== 200),
      ).to.deep.equal([]);
      expect(c.counts).to.deep.equal({ sent: 40, retried: 0, rateLimited: 0 });
      // 40 requests, 5 per window: at least 7 windows, and not much more than 8.
      expect(elapsed).to.be.within(1400, 3000);
    } finally {
      await em.close();
    }
  });
});
