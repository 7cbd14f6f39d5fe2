import { startEmulator, DEFAULT_TOKEN, type Emulator, type EmulatorOptions, type LoggedRequest } from '../../../lib/airtable-emulator/index.js';
import { AirtableClient } from '../../../lib/airtable/client.js';
import { RateLimiter } from '../../../lib/airtable/rate-limiter.js';

/**
 * What the Airtable specs share: an emulator with short penalties, the token in the environment
 * (the stages read it only from there), stage options pointing at the emulator with short
 * timeouts and retry delays, and request-log helpers.
 */

/** Starts an emulator with the real 5/s limit but a short penalty, unless a test says otherwise. */
export async function emulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ ...options, rateLimit: { penaltyMs: 300, ...options.rateLimit } });
}

/** Sets AIRTABLE_TOKEN for the file's tests and restores the environment afterwards. */
export function useToken(token = DEFAULT_TOKEN): void {
  let saved: string | undefined;
  before(() => {
    saved = process.env.AIRTABLE_TOKEN;
    process.env.AIRTABLE_TOKEN = token;
  });
  after(() => {
    if (saved === undefined) delete process.env.AIRTABLE_TOKEN;
    else process.env.AIRTABLE_TOKEN = saved;
  });
}

/** Stage options that reach `em` quickly: short deadlines, short backoff, short penalty. */
export function connection(em: Emulator, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    base_id: em.baseId,
    endpoint_url: em.url,
    request_timeout_seconds: 0.5,
    retry_delay_seconds: 0.05,
    rate_limit_penalty_seconds: 0.3,
    ...extra,
  };
}

/** A client on `em` with its own limiter. */
export function client(em: Emulator, settings: Partial<ConstructorParameters<typeof AirtableClient>[0]> = {}, limiter?: RateLimiter): AirtableClient {
  return new AirtableClient({
    token: DEFAULT_TOKEN,
    baseId: em.baseId,
    endpointUrl: em.url,
    requestTimeoutMs: 500,
    maxRetries: 3,
    retryDelayMs: 50,
    limiter: limiter ?? new RateLimiter({ requestsPerSecond: 5, penaltyMs: 300 }),
    ...settings,
  });
}

/** The Airtable requests in the log (not the metadata ones), as `METHOD path`. */
export function recordRequests(em: Emulator): LoggedRequest[] {
  return em.requestLog().filter((r) => !r.path.startsWith('/v0/meta/'));
}

export function countBy(log: LoggedRequest[], method: string): number {
  return log.filter((r) => r.method === method).length;
}

/** `n` Airtable rows with distinct names and emails. */
export function rows(n: number, from = 0): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    'Full Name': `Lead ${from + i}`,
    Email: `lead${from + i}@acme-${(from + i) % 7}.io`,
    Company: `Acme ${(from + i) % 7}`,
    Engagement_Status: 'Auto-Send',
  }));
}
