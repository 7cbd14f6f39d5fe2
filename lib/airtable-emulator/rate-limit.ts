/** Rate-limit settings; defaults are the real API's (contract §4). */
export interface RateLimitOptions {
  /** Requests per window per base (real: 5 per second). */
  perBasePerSecond?: number;
  /** Requests per window per token owner, across bases (real: 50 per second). */
  perTokenPerSecond?: number;
  /** How long a base (or token) is refused after going over (real: 30 s). */
  penaltyMs?: number;
  /** Length of the sliding window (real: 1 s). */
  windowMs?: number;
  /** Off: every request passes (benchmarks of our own code paths). */
  enabled?: boolean;
  /** Whether a request refused during the penalty starts the penalty again (unconfirmed; default no). */
  extendPenalty?: boolean;
}

class Window {
  private readonly times: number[] = [];
  private head = 0;

  count(now: number, windowMs: number): number {
    while (this.head < this.times.length && this.times[this.head]! <= now - windowMs) this.head++;
    if (this.head > 1024) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
    return this.times.length - this.head;
  }

  add(now: number): void {
    this.times.push(now);
  }
}

/**
 * Sliding-window limiter per base and per token with a penalty after going over. Requests it
 * refuses do not count in the window (unconfirmed; see DECISIONS.md). The clock is injected so
 * tests can step time instead of waiting.
 */
export class RateLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly penalties = new Map<string, number>();
  private readonly o: Required<RateLimitOptions>;

  constructor(
    options: RateLimitOptions = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.o = {
      perBasePerSecond: options.perBasePerSecond ?? 5,
      perTokenPerSecond: options.perTokenPerSecond ?? 50,
      penaltyMs: options.penaltyMs ?? 30_000,
      windowMs: options.windowMs ?? 1000,
      enabled: options.enabled ?? true,
      extendPenalty: options.extendPenalty ?? false,
    };
  }

  private window(key: string): Window {
    let w = this.windows.get(key);
    if (!w) this.windows.set(key, (w = new Window()));
    return w;
  }

  private penalized(key: string, now: number): boolean {
    const until = this.penalties.get(key);
    if (until === undefined) return false;
    if (now < until) {
      if (this.o.extendPenalty) this.penalties.set(key, now + this.o.penaltyMs);
      return true;
    }
    this.penalties.delete(key);
    return false;
  }

  /**
   * Counts one request for `token` and, when it targets a base, for `baseId`. Returns false
   * when it must be refused with 429.
   */
  admit(token: string, baseId?: string): boolean {
    if (!this.o.enabled) return true;
    const now = this.clock();
    const baseKey = baseId === undefined ? undefined : `base:${baseId}`;
    const tokenKey = `token:${token}`;
    if ((baseKey && this.penalized(baseKey, now)) || this.penalized(tokenKey, now)) return false;
    const { windowMs, penaltyMs } = this.o;
    if (baseKey && this.window(baseKey).count(now, windowMs) >= this.o.perBasePerSecond) {
      this.penalties.set(baseKey, now + penaltyMs);
      return false;
    }
    if (this.window(tokenKey).count(now, windowMs) >= this.o.perTokenPerSecond) {
      this.penalties.set(tokenKey, now + penaltyMs);
      return false;
    }
    if (baseKey) this.window(baseKey).add(now);
    this.window(tokenKey).add(now);
    return true;
  }

  reset(): void {
    this.windows.clear();
    this.penalties.clear();
  }
}
