import type { Faults } from './faults.js';
import type { RequestLog } from './request-log.js';
import type { Iterators } from './list.js';
import type { RateLimiter } from './rate-limit.js';
import type { Store } from './store.js';

/** What a token may do. Tokens given as plain strings get every scope on every base. */
export interface TokenGrant {
  /** Bases the token was given (all when absent). */
  bases?: string[];
  /** Scopes (all when absent): `data.records:read`, `data.records:write`, `schema.bases:read`. */
  scopes?: string[];
  /** Rate-limit owner: tokens of one user share the 50/s budget (default: the token itself). */
  owner?: string;
}

export const ALL_SCOPES = ['data.records:read', 'data.records:write', 'schema.bases:read'];

/** The emulator's running state, shared by the Airtable routes and the control API. */
export interface State {
  store: Store;
  iterators: Iterators;
  limiter: RateLimiter;
  faults: Faults;
  log: RequestLog;
  clock: () => number;
  tokens: Map<string, TokenGrant>;
  /** A token for the control API only, besides the full-access tokens (see access.ts). */
  controlToken?: string;
  /** `Host` values answered (loopback name and address with the port); filled once listening. */
  hosts: Set<string>;
  quotaExceeded: boolean;
  /** Unknown table: 403 as with tokens today (default) or the legacy 404 TABLE_NOT_FOUND. */
  legacyNotFound: boolean;
  maxUrlLength: number;
  maxBodyBytes: number;
  maxRecordsPerBase?: number;
  compression: boolean;
}
