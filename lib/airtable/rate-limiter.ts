import { AbortedError } from '../core/errors.js';

/** How a limiter paces the requests to one base. */
export interface RateLimiterSettings {
  /** Requests per window (Airtable allows 5 per second per base). */
  requestsPerSecond: number;
  /** How long Airtable refuses every request after a 429 (30 s on the real API). */
  penaltyMs: number;
  /** The length of Airtable's sliding window. */
  windowMs?: number;
  /** Successful requests at a lowered rate before the rate goes up by one again. */
  recoverAfter?: number;
}

export interface LimiterClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: LimiterClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new AbortedError());
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(new AbortedError());
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** What a limiter did, for the run's log and the benchmark. */
export interface LimiterStats {
  requests: number;
  rateLimited: number;
  waitedMs: number;
  currentRate: number;
}

/**
 * Paces the requests to one Airtable base. Airtable counts a request in a sliding window from the
 * moment it arrives; we cannot see that moment, but it lies between sending and the response. So
 * a request holds its place from the moment it is sent until one window after its response came
 * back: the server's count can then never exceed ours, whatever the latency. On a 429 every
 * request waits out the penalty and the rate drops by one; it climbs back after a run of clean
 * requests (seed R6.5: adaptive).
 */
export class RateLimiter {
  private readonly windowMs: number;
  private readonly recoverAfter: number;
  private maxRate: number;
  private rate: number;
  private penaltyMs: number;
  /** Response times of finished requests still inside the window, oldest first. */
  private finished: number[] = [];
  private inFlight = 0;
  private blockedUntil = 0;
  private cleanStreak = 0;
  /** Requests are admitted in the order they asked (FIFO). */
  private queue: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  readonly stats: LimiterStats;

  constructor(
    settings: RateLimiterSettings,
    private readonly clock: LimiterClock = realClock,
  ) {
    this.windowMs = settings.windowMs ?? 1000;
    this.recoverAfter = settings.recoverAfter ?? 50;
    this.maxRate = settings.requestsPerSecond;
    this.rate = Math.max(1, Math.floor(settings.requestsPerSecond));
    this.penaltyMs = settings.penaltyMs;
    this.stats = { requests: 0, rateLimited: 0, waitedMs: 0, currentRate: this.rate };
  }

  /**
   * Takes the settings of a new run on an idle limiter: the rate and penalty are the new run's,
   * while the requests still in the window (and any penalty) keep counting.
   */
  restart(settings: RateLimiterSettings): void {
    this.maxRate = settings.requestsPerSecond;
    this.rate = Math.max(1, Math.floor(settings.requestsPerSecond));
    this.penaltyMs = settings.penaltyMs;
    this.cleanStreak = 0;
    this.stats.currentRate = this.rate;
  }

  /** Applies new settings (a later stage of the run may ask for a lower rate); the stricter rate wins. */
  configure(settings: RateLimiterSettings): void {
    this.maxRate = Math.min(this.maxRate, settings.requestsPerSecond);
    this.rate = Math.min(this.rate, Math.max(1, Math.floor(this.maxRate)));
    this.penaltyMs = Math.max(this.penaltyMs, settings.penaltyMs);
    this.stats.currentRate = this.rate;
  }

  /**
   * Waits for a place in the window and takes it. Call the returned function once the response
   * (or the failure) came back: the place is held one window longer. For a request that got no
   * answer, pass how much longer Airtable might still count it (it may arrive late).
   */
  acquire(signal?: AbortSignal): Promise<(extraMs?: number) => void> {
    const turn = this.queue.then(() => this.waitForPlace(signal));
    // The next caller waits for this one to be admitted, not for its request to finish.
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  /** A 429 came back: nobody sends until the penalty is over, and the rate goes down. */
  rateLimited(): void {
    this.stats.rateLimited++;
    this.blockedUntil = Math.max(this.blockedUntil, this.clock.now() + this.penaltyMs);
    this.rate = Math.max(1, this.rate - 1);
    this.stats.currentRate = this.rate;
    this.cleanStreak = 0;
  }

  private async waitForPlace(signal?: AbortSignal): Promise<(extraMs?: number) => void> {
    const started = this.clock.now();
    for (;;) {
      if (signal?.aborted) throw new AbortedError();
      const now = this.clock.now();
      if (now < this.blockedUntil) {
        await this.clock.sleep(this.blockedUntil - now, signal);
        continue;
      }
      while (this.finished.length && this.finished[0]! <= now - this.windowMs) this.finished.shift();
      if (this.inFlight + this.finished.length < this.rate) break;
      if (this.finished.length) {
        await this.clock.sleep(this.finished[0]! + this.windowMs - now, signal);
      } else {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
    }
    this.inFlight++;
    this.stats.requests++;
    this.stats.waitedMs += this.clock.now() - started;
    let released = false;
    return (extraMs = 0) => {
      if (released) return;
      released = true;
      this.inFlight--;
      const until = this.clock.now() + extraMs;
      const at = this.finished.findIndex((t) => t > until);
      if (at < 0) this.finished.push(until);
      else this.finished.splice(at, 0, until);
      if (++this.cleanStreak >= this.recoverAfter && this.rate < Math.floor(this.maxRate)) {
        this.rate++;
        this.stats.currentRate = this.rate;
        this.cleanStreak = 0;
      }
      const wake = this.wake;
      this.wake = undefined;
      wake?.();
    };
  }
}

interface Registered {
  limiter: RateLimiter;
  users: number;
}
const limiters = new Map<string, Registered>();

/**
 * The process's one limiter for a base (keyed by endpoint and base id), so every stage and every
 * run in this process shares the 5 requests per second. It outlives the runs that use it: a run
 * that starts right after another must still count the requests the other just sent. Users of
 * one run agree on the stricter settings; a run that finds it idle sets its own.
 */
export function limiterFor(key: string, settings: RateLimiterSettings): { limiter: RateLimiter; release(): void } {
  let entry = limiters.get(key);
  if (!entry) limiters.set(key, (entry = { limiter: new RateLimiter(settings), users: 0 }));
  else if (entry.users === 0) entry.limiter.restart(settings);
  else entry.limiter.configure(settings);
  entry.users++;
  const held = entry;
  let released = false;
  return {
    limiter: held.limiter,
    release() {
      if (released) return;
      released = true;
      held.users--;
    },
  };
}
