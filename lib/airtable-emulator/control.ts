import { errors } from './errors.js';
import { dumpRecords, seedRecords } from './seed.js';
import { Faults, type FaultSpec } from './faults.js';
import type { State } from './state.js';

/** The control prefix: outside the Airtable surface, never rate limited, logged or faulted; needs a token (access.ts). */
export const CONTROL_PREFIX = '/_emulator';

export interface ControlHooks {
  reset(records: boolean): void;
  defaultBaseId: string;
  url: () => string;
  port: () => number;
}

function object(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/**
 * Drives a running emulator from another process (e.g. one started with the bin):
 * `POST /faults` (a FaultSpec or an array), `DELETE /faults`, `GET|DELETE /requests`,
 * `POST /quota {exceeded}`, `POST /reset {records?}`, `POST /seed {table, records, baseId?}`,
 * `GET /records?table=…&baseId=…`, `GET /health` (with the request log's size). Every route needs
 * `Authorization: Bearer` with a full-access token or the control token.
 */
export function handleControl(
  state: State,
  hooks: ControlHooks,
  method: string,
  route: string,
  query: Record<string, unknown>,
  rawBody: string,
): { status: number; body: unknown } {
  let body: unknown = {};
  if (rawBody) {
    try {
      body = JSON.parse(rawBody);
    } catch {
      throw errors.invalidJson();
    }
  }
  const key = `${method} ${route.replace(/\/$/, '')}`;
  const o = object(body);
  const baseId = typeof (o.baseId ?? query.baseId) === 'string' ? String(o.baseId ?? query.baseId) : hooks.defaultBaseId;
  switch (key) {
    case 'GET /health':
      return {
        status: 200,
        body: {
          url: hooks.url(),
          baseId: hooks.defaultBaseId,
          bases: state.store.bases().map((b) => b.id),
          requestLog: state.log.stats(),
        },
      };
    case 'POST /faults': {
      const specs = Array.isArray(body) ? body : [body];
      // All or none: a bad fault in a list arms nothing.
      try {
        const check = new Faults();
        for (const spec of specs) check.inject(spec as FaultSpec);
      } catch (e) {
        throw errors.invalidRequest(`Invalid request: ${(e as Error).message}`);
      }
      for (const spec of specs) state.faults.inject(spec as FaultSpec);
      return { status: 200, body: { ok: true } };
    }
    case 'DELETE /faults':
      state.faults.clear();
      return { status: 200, body: { ok: true } };
    case 'GET /requests':
      return { status: 200, body: { requests: state.log.all() } };
    case 'DELETE /requests':
      state.log.clear();
      return { status: 200, body: { ok: true } };
    case 'POST /quota':
      state.quotaExceeded = o.exceeded !== false;
      return { status: 200, body: { exceeded: state.quotaExceeded } };
    case 'POST /reset':
      hooks.reset(o.records === true);
      return { status: 200, body: { ok: true } };
    case 'POST /seed': {
      if (typeof o.table !== 'string' || !Array.isArray(o.records)) throw errors.invalidRequest('Invalid request: seed needs "table" and "records".');
      try {
        return { status: 200, body: { ids: seedRecords(state.store, baseId, o.table, o.records, state.clock()) } };
      } catch (e) {
        if (e instanceof Error && !('status' in e)) throw errors.invalidRequest(e.message);
        throw e;
      }
    }
    case 'GET /records': {
      if (typeof query.table !== 'string') throw errors.invalidRequest('Invalid request: give ?table=NAME.');
      try {
        return { status: 200, body: { records: dumpRecords(state.store, baseId, query.table, state.clock()) } };
      } catch (e) {
        throw e instanceof Error && !('status' in e) ? errors.invalidRequest(e.message) : e;
      }
    }
    default:
      throw errors.notFoundRoute();
  }
}
