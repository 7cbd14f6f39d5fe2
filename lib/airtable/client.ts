import Airtable from 'airtable';
import { AbortedError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { keepServerErrors, normalizeError, timeoutError, AirtableApiError, type RequestSite } from './errors.js';

export { AirtableApiError };
import { realClock, type LimiterClock, type RateLimiter } from './rate-limiter.js';

/** How a client reaches one base and how patient it is. */
export interface ClientSettings {
  token: string;
  baseId: string;
  endpointUrl: string;
  /** Every request's deadline. */
  requestTimeoutMs: number;
  /** Retries of a failed request (5xx, timeout, reset), after the first attempt. */
  maxRetries: number;
  /** The first backoff; each retry doubles it, with jitter. */
  retryDelayMs: number;
  /** 429s in a row before giving up (each waits out the penalty first). */
  maxRateLimitWaits?: number;
  limiter: RateLimiter;
  signal?: AbortSignal;
  log?: Logger;
  clock?: LimiterClock;
  random?: () => number;
}

/** One request through the client. */
export interface ApiCall {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Below `/v0/{baseId}` (or below `/v0/meta` with `meta`). */
  path: string;
  qs?: Record<string, unknown>;
  body?: unknown;
  /** For messages: the table and what the request does. */
  table?: string;
  action: string;
  /** Sending it twice does no harm (reads, updates, upserts). A create is not idempotent. */
  idempotent: boolean;
  meta?: boolean;
}

interface RequestCounts {
  sent: number;
  retried: number;
  rateLimited: number;
}

/**
 * The official airtable.js client, made safe for a long sync: every request goes through the
 * base's rate limiter (retries and metadata calls included), has a deadline, is retried with
 * exponential backoff and jitter when Airtable or the network fails, and fails with an
 * AirtableApiError that says what to do. airtable.js's own endless 429 retry is off
 * (`noRetryIfRateLimited`); its `makeRequest` is used for every call because it never leaves a
 * promise hanging on a non-JSON answer and it hands back the whole body (offsets, upsert ids).
 */
export class AirtableClient {
  readonly baseId: string;
  readonly counts: RequestCounts = { sent: 0, retried: 0, rateLimited: 0 };
  private readonly base: Airtable.Base;
  private readonly meta: Airtable.Base;
  private readonly clock: LimiterClock;
  private readonly random: () => number;

  constructor(private readonly settings: ClientSettings) {
    this.baseId = settings.baseId;
    // The timeout given to airtable.js aborts the socket of a hung request; ours (a little
    // longer) also covers a body that stops half-way, which airtable.js would wait on forever.
    const airtable = new Airtable({
      apiKey: settings.token,
      endpointUrl: settings.endpointUrl.replace(/\/+$/, ''),
      noRetryIfRateLimited: true,
      requestTimeout: settings.requestTimeoutMs,
    });
    this.base = airtable.base(settings.baseId);
    this.meta = airtable.base('meta');
    for (const b of [this.base, this.meta]) keepServerErrors((b as unknown as { _base: unknown })._base);
    this.clock = settings.clock ?? realClock;
    this.random = settings.random ?? Math.random;
  }

  /** Sends one call, waiting for the rate limiter, retrying what is worth retrying. */
  async request<T = Record<string, unknown>>(call: ApiCall): Promise<T> {
    const site: RequestSite = { baseId: this.baseId, table: call.table, method: call.method, action: call.action };
    const maxWaits = this.settings.maxRateLimitWaits ?? 5;
    let failures = 0;
    let waits = 0;
    for (;;) {
      const error = await this.attempt<T>(call, site);
      if (!(error instanceof AirtableApiError)) return error;
      if (error.rateLimited) {
        this.counts.rateLimited++;
        this.settings.limiter.rateLimited();
        if (++waits > maxWaits)
          throw error.withRemedy(
            `Airtable kept refusing after ${maxWaits} penalties; another tool may be using this base's rate. Lower requests_per_second or try again later.`,
          );
        this.settings.log?.warn('Airtable rate limit reached; waiting out the penalty.', { base: this.baseId, table: call.table, waits });
        continue;
      }
      if (!error.retryable) throw error;
      if (failures >= this.settings.maxRetries) {
        throw error.withRemedy(
          `Gave up after ${failures} ${failures === 1 ? 'retry' : 'retries'}; Airtable or the network keeps failing. Try again later, or raise max_retries.`,
        );
      }
      // A create that may have happened must be checked before it is sent again (the caller does).
      if (error.outcomeUnknown && !call.idempotent) throw error;
      const delay = this.backoff(failures++);
      this.counts.retried++;
      this.settings.log?.warn('Airtable request failed; retrying.', {
        base: this.baseId,
        table: call.table,
        action: call.action,
        error: error.type,
        status: error.status,
        retry_in_ms: delay,
      });
      await this.clock.sleep(delay, this.settings.signal);
    }
  }

  /**
   * Waits before checking what an unanswered write did: two request timeouts at least, because a
   * request Airtable received late may still be applied a while after we gave up on it.
   */
  async waitBeforeCheck(n: number): Promise<void> {
    this.counts.retried++;
    await this.clock.sleep(Math.max(this.backoff(n), 2 * this.settings.requestTimeoutMs), this.settings.signal);
  }

  /** The delay before retry `n` (0-based): full-jitter exponential, at least half the nominal delay. */
  backoff(n: number): number {
    const nominal = this.settings.retryDelayMs * 2 ** n;
    return Math.round(nominal / 2 + this.random() * (nominal / 2));
  }

  private async attempt<T>(call: ApiCall, site: RequestSite): Promise<T | AirtableApiError> {
    const release = await this.settings.limiter.acquire(this.settings.signal);
    this.counts.sent++;
    const target = call.meta ? this.meta : this.base;
    const options: Record<string, unknown> = { method: call.method, path: call.path, qs: call.qs ?? {} };
    if (call.body !== undefined) options.body = call.body;
    const pending = target.makeRequest(options) as Promise<{ body: T }>;
    // Whatever happens after we stopped waiting must not become an unhandled rejection.
    pending.catch(() => undefined);
    const deadline = this.settings.requestTimeoutMs + 1000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timeoutError(site, deadline)), deadline);
    });
    // A request that got no answer may still reach Airtable late and be counted then.
    let unanswered = 0;
    try {
      const response = await Promise.race([pending, timeout]);
      if (typeof response?.body !== 'object' || response.body === null) {
        return normalizeError({ error: 'UNEXPECTED_ERROR', message: 'The response from Airtable was not a JSON object.', statusCode: 200 }, site);
      }
      return response.body;
    } catch (raw) {
      if (this.settings.signal?.aborted) throw new AbortedError();
      const error = normalizeError(raw, site);
      if (error.status === null) unanswered = this.settings.requestTimeoutMs;
      return error;
    } finally {
      clearTimeout(timer);
      release(unanswered);
    }
  }
}
