import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errors } from './errors.js';
import { loggableHeaders } from './faults.js';
import { handleAirtable } from './routes.js';
import { CONTROL_PREFIX, handleControl, type ControlHooks } from './control.js';
import { parseQuery } from './query.js';
import { readBody, send, sleep } from './http.js';
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
  if (buf.length > 256 * 1024) return { truncated: true, bytes: buf.length };
  const text = buf.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Serves one request: the control API first, then the log and any armed fault, then the
 * Airtable surface. Errors thrown as ApiError become their response; anything else is a 500
 * in the real API's shape, with the stack on stderr.
 */
export async function handleRequest(state: State, hooks: ControlHooks, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const raw = req.url ?? '/';
  const qi = raw.indexOf('?');
  const pathname = qi < 0 ? raw : raw.slice(0, qi);
  const query = parseQuery(qi < 0 ? '' : raw.slice(qi + 1));
  const method = (req.method ?? 'GET').toUpperCase();
  const { body, tooLarge } = await readBody(req, state.maxBodyBytes);
  if (pathname === CONTROL_PREFIX || pathname.startsWith(CONTROL_PREFIX + '/')) {
    try {
      const r = handleControl(state, hooks, method, pathname.slice(CONTROL_PREFIX.length) || '/', query, body.toString('utf8'));
      send(req, res, r.status, r.body, {}, false);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      send(req, res, e.status, e.body, e.headers, false);
    }
    return;
  }
  let decodedPath = pathname;
  try { decodedPath = decodeURIComponent(pathname); } catch { /* keep it raw */ }
  const entry = state.log.add({
    method, path: decodedPath, query, headers: loggableHeaders(req.headers), body: loggedBody(body), time: state.clock(),
  });
  const fault = state.faults.take(method, decodedPath);
  if (fault) {
    entry.fault = fault.preset ?? (fault.reset ? 'reset' : fault.hang ? 'hang' : fault.status ? String(fault.status) : 'delay');
    if (fault.delayMs) await sleep(fault.delayMs);
    if (fault.reset) {
      req.socket.destroy();
      return;
    }
    if (fault.hang) return;
    if (fault.status) {
      entry.status = fault.status;
      send(req, res, fault.status, fault.body ?? '', fault.headers, false);
      return;
    }
  }
  let status = 200;
  let out: unknown;
  let headers: Record<string, string> = {};
  try {
    if (method === 'OPTIONS') {
      headers = { 'access-control-allow-methods': 'GET, POST, PATCH, PUT, DELETE', 'access-control-allow-headers': '*' };
      status = 204;
      out = '';
    } else {
      if (tooLarge) throw errors.requestTooLarge();
      if (raw.length > state.maxUrlLength) throw errors.urlTooLong(raw.length);
      const segments = segmentsOf(pathname);
      if (!segments) throw errors.notFoundRoute();
      const r = handleAirtable(state, { method, segments, query, authorization: req.headers.authorization, body });
      status = r.status;
      out = r.body;
    }
  } catch (e) {
    if (e instanceof ApiError) {
      status = e.status;
      out = e.body;
      headers = e.headers;
    } else {
      status = 500;
      out = { error: { type: 'SERVER_ERROR', message: 'Server error' } };
      process.stderr.write(`airtable-emulator: unexpected error on ${method} ${decodedPath}: ${(e as Error).stack ?? e}\n`);
    }
  }
  entry.status = status;
  send(req, res, status, out, headers, state.compression);
}

