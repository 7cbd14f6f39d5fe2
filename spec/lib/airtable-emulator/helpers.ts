import Airtable from 'airtable';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../../lib/airtable-emulator/index.js';

export const TOKEN = 'emulator-token';

/** A raw HTTP answer, body parsed as JSON when it is JSON. */
export interface Raw {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** Calls the emulator with fetch, as a client other than airtable.js would. */
export async function api(em: Emulator, method: string, path: string, opts: { body?: unknown; token?: string | null; rawBody?: string } = {}): Promise<Raw> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const token = opts.token === undefined ? TOKEN : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await fetch(em.url + path, {
    method,
    headers,
    body: opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
  });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** The emulator with the rate limit off, unless a test asks for it. */
export function start(options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ ...options, rateLimit: { enabled: false, ...options.rateLimit } });
}

/** The Leads table through the official client. */
export function leads(em: Emulator, opts: Partial<{ noRetryIfRateLimited: boolean; requestTimeout: number; apiKey: string; table: string }> = {}) {
  const at = new Airtable({
    apiKey: opts.apiKey ?? TOKEN,
    endpointUrl: em.url,
    noRetryIfRateLimited: opts.noRetryIfRateLimited ?? true,
    requestTimeout: opts.requestTimeout ?? 10_000,
  });
  return at.base(em.baseId)(opts.table ?? 'Leads');
}

/** Awaits a promise expected to reject and returns the rejection (AirtableError is not an Error). */
export async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('Expected the call to fail, but it succeeded.');
}

/** `n` lead field objects with distinct names and emails. */
export function leadRows(n: number, from = 0): Record<string, string>[] {
  return Array.from({ length: n }, (_, i) => ({ 'Full Name': `Lead ${i + from}`, Email: `lead${i + from}@example.com` }));
}

export const PATH = (em: Emulator, rest = '') => `/v0/${em.baseId}/Leads${rest}`;
