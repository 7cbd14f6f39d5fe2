import { ApiError } from './errors.js';
import type { State, TokenGrant } from './state.js';

/**
 * Who may talk to the emulator at all. It listens on loopback only, but a web page open in the
 * developer's browser can still send requests there, directly or through a DNS name rebound to
 * 127.0.0.1. Browsers always send the name they resolved as `Host`, so answering only to the
 * loopback names defeats rebinding; the control API also needs a token, and no response carries
 * CORS headers, so a page can neither read answers nor drive the emulator.
 */

/** The `Host` values the emulator answers to: its loopback address and `localhost`, with its port. */
export function allowedHosts(port: number): Set<string> {
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  // A client may leave out the default port.
  if (port === 80) hosts.push('127.0.0.1', 'localhost');
  return new Set(hosts);
}

export function hostAllowed(allowed: Set<string>, host: string | undefined): boolean {
  return host !== undefined && allowed.has(host.toLowerCase());
}

/** Invented: refused like webpack-dev-server and Vite refuse a foreign Host, with 403. */
export const invalidHost = (port: number) =>
  new ApiError(403, { error: { type: 'INVALID_HOST', message: `Invalid Host header: the emulator answers only to 127.0.0.1:${port} or localhost:${port}.` } });

/** The token of a `Bearer` header, if it is one the emulator knows for the Airtable routes. */
export function knownToken(state: State, authorization: string | undefined): { token: string; grant: TokenGrant } | undefined {
  const m = /^Bearer (.+)$/.exec(authorization ?? '');
  if (!m) return undefined;
  const token = m[1]!.trim();
  const grant = state.tokens.get(token);
  return grant ? { token, grant } : undefined;
}

/**
 * The control API accepts the `controlToken` when one is set, and every token with full access
 * (every base, every scope: the plain `tokens`); a token limited by `tokenGrants` may not reset
 * or seed bases it was not given.
 */
export function controlAllowed(state: State, authorization: string | undefined): boolean {
  const m = /^Bearer (.+)$/.exec(authorization ?? '');
  if (!m) return false;
  const token = m[1]!.trim();
  if (state.controlToken !== undefined && token === state.controlToken) return true;
  const grant = state.tokens.get(token);
  return grant !== undefined && grant.bases === undefined && grant.scopes === undefined;
}
