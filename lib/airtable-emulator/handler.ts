import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errors } from './errors.js';
import { controlAllowed, hostAllowed, invalidHost, knownToken } from './access.js';
import { LOGGED_BODY_MAX_BYTES, entryBytes, loggableHeaders, type LoggedRequest } from './request-log.js';
import { handleAirtable } from './routes.js';
import { CONTROL_PREFIX, handleControl, type ControlHooks } from './control.js';
import { parseQuery, type Query } from './query.js';
import { readBody, send, sleep } from './http.js';
import type { FaultSpec } from './faults.js';
import type { State } from './state.js';

function segmentsOf(pathname: string): string[] | undefined {
  if (!pathname.startsWith('/v0/')) return undefined;
  try {
    const parts = pathname.slice(4).split('/').map(decodeURIComponent);
    if (parts.at(-1) === '') parts.pop();
    return parts;
  } catch {
    return undefined;
  }
}

function loggedBody(buf: Buffer): unknown {
  if (buf.length === 0) return undefined;
  if (buf.length > LOGGED_BODY_MAX_BYTES) return { truncated: true, bytes: buf.length };
  const text = buf.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Answers without reading the body: Node discards what is left of it, nothing is stored. */
function refuse(req: IncomingMessage, res: ServerResponse, e: ApiError): void {
  req.resume();
  send(req, res, e.status, e.body, { ...e.headers, connection: 'close' }, false);
}

/** Serves a request to the control API, behind its own token. */
async function serveControl(
  state: State,
  hooks: ControlHooks,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  pathname: string,
  query: Query,
): Promise<void> {
  if (!controlAllowed(state, req.headers.authorization)) return refuse(req, res, errors.authenticationRequired());
  const { body, tooLarge } = await readBody(req, state.maxBodyBytes);
  try {
    if (tooLarge) throw errors.requestTooLarge();
    const r = handleControl(state, hooks, method, pathname.slice(CONTROL_PREFIX.length) || '/', query, body.toString('utf8'));
    send(req, res, r.status, r.body, {}, false);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    send(req, res, e.status, e.body, e.headers, false);
  }
}

/** Plays an armed fault on a logged request; true when the fault answered it (or dropped it). */
async function playFault(fault: FaultSpec, entry: LoggedRequest, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  entry.fault = fault.preset ?? (fault.reset ? 'reset' : fault.hang ? 'hang' : fault.status ? String(fault.status) : 'delay');
  if (fault.delayMs) await sleep(fault.delayMs);
  if (fault.reset) {
    req.socket.destroy();
    return true;
  }
  if (fault.hang) return true;
  if (fault.status) {
    entry.status = fault.status;
    send(req, res, fault.status, fault.body ?? '', fault.headers, false);
    return true;
  }
  return false;
}

interface AirtableRequest {
  method: string;
  raw: string;
  pathname: string;
  decodedPath: string;
  query: Query;
  authorization: string | undefined;
  body: Buffer;
  tooLarge: boolean;
}

/** The answer to a request to the Airtable surface: its status, body and headers. */
function answerAirtable(state: State, request: AirtableRequest): { status: number; out: unknown; outHeaders: Record<string, string> } {
  const { method, raw, pathname, query, body } = request;
  try {
    if (method === 'OPTIONS') {
      // No CORS headers: a browser's preflight fails, so no web page can call the emulator.
      return { status: 204, out: '', outHeaders: { allow: 'GET, POST, PATCH, PUT, DELETE' } };
    }
    if (request.tooLarge) throw errors.requestTooLarge();
    if (raw.length > state.maxUrlLength) throw errors.urlTooLong(raw.length);
    const segments = segmentsOf(pathname);
    if (!segments) throw errors.notFoundRoute();
    const r = handleAirtable(state, { method, segments, query, authorization: request.authorization, body });
    return { status: r.status, out: r.body, outHeaders: {} };
  } catch (e) {
    if (e instanceof ApiError) return { status: e.status, out: e.body, outHeaders: e.headers };
    process.stderr.write(`airtable-emulator: unexpected error on ${method} ${request.decodedPath}: ${(e as Error).stack ?? e}\n`);
    return { status: 500, out: { error: { type: 'SERVER_ERROR', message: 'Server error' } }, outHeaders: {} };
  }
}

/**
 * Serves one request: the Host check first (DNS rebinding), then the control API behind its
 * token, then the log and any armed fault, then the Airtable surface. The body of a request
 * without a known token is counted (for the 413) but never stored or logged. Errors thrown as
 * ApiError become their response; anything else is a 500 in the real API's shape, with the
 * stack on stderr.
 */
export async function handleRequest(state: State, hooks: ControlHooks, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!hostAllowed(state.hosts, req.headers.host)) return refuse(req, res, invalidHost(hooks.port()));
  const raw = req.url ?? '/';
  const qi = raw.indexOf('?');
  const pathname = qi < 0 ? raw : raw.slice(0, qi);
  const rawQuery = qi < 0 ? '' : raw.slice(qi + 1);
  const query = parseQuery(rawQuery);
  const method = (req.method ?? 'GET').toUpperCase();
  if (pathname === CONTROL_PREFIX || pathname.startsWith(CONTROL_PREFIX + '/')) return serveControl(state, hooks, req, res, method, pathname, query);
  const authenticated = knownToken(state, req.headers.authorization) !== undefined;
  const { body, tooLarge } = await readBody(req, state.maxBodyBytes, authenticated);
  let decodedPath = pathname;
  try {
    decodedPath = decodeURIComponent(pathname);
  } catch {
    /* keep it raw */
  }
  const headers = loggableHeaders(req.headers);
  const logged = loggedBody(body);
  const entry = state.log.add(
    { method, path: decodedPath, query, headers, ...(logged === undefined ? {} : { body: logged }), time: state.clock() },
    entryBytes(decodedPath, rawQuery, headers, Math.min(body.length, LOGGED_BODY_MAX_BYTES)),
  );
  const fault = state.faults.take(method, decodedPath);
  if (fault && (await playFault(fault, entry, req, res))) return;
  const { status, out, outHeaders } = answerAirtable(state, {
    method,
    raw,
    pathname,
    decodedPath,
    query,
    authorization: req.headers.authorization,
    body,
    tooLarge,
  });
  entry.status = status;
  send(req, res, status, out, outHeaders, state.compression);
}
