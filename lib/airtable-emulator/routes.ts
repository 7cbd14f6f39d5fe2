import { errors } from './errors.js';
import { knownToken } from './access.js';
import { isId } from './ids.js';
import { listRecords } from './list.js';
import { renderRecord } from './serialize.js';
import { baseTables, canAccess, listBases, whoami } from './meta.js';
import { createRecords, deleteRecords, isObject, updateMany, updateOne, type WriteContext } from './write.js';
import { upsertRecords } from './upsert.js';
import { asList, type Query } from './query.js';
import { ALL_SCOPES, type State, type TokenGrant } from './state.js';
import type { BaseDef, TableDef } from './schema.js';

/** A request on the Airtable surface, already read. */
export interface ApiRequest {
  method: string;
  /** Path segments after `/v0`, URL-decoded, without a trailing empty one. */
  segments: string[];
  query: Query;
  authorization?: string;
  body: Buffer;
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

const READ = 'data.records:read';
const WRITE = 'data.records:write';
const SCHEMA = 'schema.bases:read';

function authenticate(state: State, header: string | undefined): { token: string; grant: TokenGrant } {
  const known = knownToken(state, header);
  if (!known) throw errors.authenticationRequired();
  return known;
}

function requireScope(grant: TokenGrant, scope: string): void {
  if (!(grant.scopes ?? ALL_SCOPES).includes(scope)) throw errors.permissionsOrModelNotFound();
}

function resolveBase(state: State, grant: TokenGrant, baseId: string): BaseDef {
  if (!isId(baseId, 'app')) throw errors.notFoundRoute();
  const base = state.store.base(baseId);
  if (!base || !canAccess(grant, baseId)) throw errors.permissionsOrModelNotFound();
  return base;
}

function resolveTable(state: State, base: BaseDef, key: string): TableDef {
  const table = base.tables.find((t) => t.id === key) ?? base.tables.find((t) => t.name === key);
  if (table) return table;
  throw state.legacyNotFound ? errors.tableNotFound(key, base.id) : errors.permissionsOrModelNotFound();
}

/** Quota, then the rate limit: only requests that got past auth and lookup count. */
function admit(state: State, token: string, grant: TokenGrant, baseId?: string): void {
  if (state.quotaExceeded) throw errors.billingLimit();
  if (!state.limiter.admit(grant.owner ?? token, baseId)) throw errors.rateLimited();
}

function jsonBody(req: ApiRequest): Record<string, unknown> {
  if (req.body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.body.toString('utf8'));
  } catch {
    throw errors.invalidJson();
  }
  if (!isObject(parsed)) throw errors.invalidRequest();
  return parsed;
}

const flag = (v: unknown) => v === true || v === 'true' || v === '1';

function meta(state: State, req: ApiRequest, token: string, grant: TokenGrant): ApiResponse {
  const [, what, baseId, tables, ...rest] = req.segments;
  if (req.method !== 'GET') throw errors.notFoundRoute();
  if (what === 'whoami' && baseId === undefined) {
    admit(state, token, grant);
    return { status: 200, body: whoami(token, grant) };
  }
  if (what === 'bases' && baseId === undefined) {
    admit(state, token, grant);
    return { status: 200, body: listBases(state, grant) };
  }
  if (what === 'bases' && tables === 'tables' && rest.length === 0) {
    const base = resolveBase(state, grant, baseId!);
    requireScope(grant, SCHEMA);
    admit(state, token, grant, base.id);
    const include = asList(req.query.include) ?? [];
    return { status: 200, body: baseTables(base, include.includes('visibleFieldIds')) };
  }
  throw errors.notFoundRoute();
}

/**
 * Routes one request of the Airtable surface. Checks run in the order the contract's §3.3
 * suggests: route, auth (401), base and table (403/404), quota and rate limit (429), body
 * (400/422), then validation record by record.
 */
export function handleAirtable(state: State, req: ApiRequest): ApiResponse {
  const { method, segments } = req;
  if (segments.length < 2 || segments.length > 4) throw errors.notFoundRoute();
  const { token, grant } = authenticate(state, req.authorization);
  if (segments[0] === 'meta') return meta(state, req, token, grant);
  const [baseId, tableKey, recordId, extra] = segments as [string, string, string?, string?];
  if (extra !== undefined) throw errors.notFoundRoute();
  const base = resolveBase(state, grant, baseId);
  const table = resolveTable(state, base, tableKey);
  const isListPost = method === 'POST' && recordId === 'listRecords';
  const reading = method === 'GET' || isListPost;
  if (!['GET', 'POST', 'PATCH', 'PUT', 'DELETE'].includes(method) || (method === 'POST' && recordId !== undefined && !isListPost)) {
    throw errors.notFoundRoute();
  }
  if (recordId !== undefined && !isListPost && !isId(recordId, 'rec')) throw errors.notFoundRoute();
  requireScope(grant, reading ? READ : WRITE);
  admit(state, token, grant, base.id);
  const now = state.clock();

  if (method === 'GET' && recordId === undefined) {
    return { status: 200, body: listRecords(state.store, state.iterators, table, req.query, now) };
  }
  if (isListPost) {
    const body = jsonBody(req);
    const params = { ...body, timeZone: req.query.timeZone ?? body.timeZone, userLocale: req.query.userLocale ?? body.userLocale };
    return { status: 200, body: listRecords(state.store, state.iterators, table, params, now) };
  }
  if (method === 'GET') {
    const found = state.store.findInBase(base, recordId!);
    if (!found) throw errors.recordNotFound();
    const cellFormat = req.query.cellFormat ?? 'json';
    if (cellFormat !== 'json' && cellFormat !== 'string') throw errors.invalidRequest();
    if (cellFormat === 'string' && (!req.query.timeZone || !req.query.userLocale)) throw errors.invalidRequest();
    return {
      status: 200,
      body: renderRecord(found.table, found.record, { byFieldId: flag(req.query.returnFieldsByFieldId), cellFormat, now }),
    };
  }
  const body = method === 'DELETE' ? {} : jsonBody(req);
  const ctx: WriteContext = {
    store: state.store,
    base,
    table,
    now,
    typecast: body.typecast === true,
    byFieldId: body.returnFieldsByFieldId === true,
    maxRecordsPerBase: state.maxRecordsPerBase,
  };
  if (method === 'DELETE') {
    if (recordId !== undefined) {
      deleteRecords(ctx, [recordId]);
      return { status: 200, body: { id: recordId, deleted: true } };
    }
    const ids = (asList(req.query.records) ?? []).map(String);
    return { status: 200, body: deleteRecords(ctx, ids) };
  }
  if (method === 'POST') return { status: 200, body: createRecords(ctx, body) };
  const replace = method === 'PUT';
  if (recordId !== undefined) return { status: 200, body: updateOne(ctx, recordId, body, replace) };
  if (!('records' in body)) throw errors.invalidRequest();
  if (body.performUpsert !== undefined) return { status: 200, body: upsertRecords(ctx, body, replace) };
  return { status: 200, body: updateMany(ctx, body, replace) };
}
