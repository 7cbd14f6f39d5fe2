import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isId } from './ids.js';
import { Faults, type FaultSpec } from './faults.js';
import { RequestLog, DEFAULT_LOG_MAX_BYTES, DEFAULT_LOG_MAX_ENTRIES, type LoggedRequest } from './request-log.js';
import { allowedHosts } from './access.js';
import { Iterators } from './list.js';
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';
import { Store } from './store.js';
import { DEFAULT_LEAD_SCHEMA, buildBase, loadSchemaFile, schemaBases, type EmulatorSchema } from './schema.js';
import { handleRequest } from './handler.js';
import { dumpRecords, seedRecords, type DumpedRecord, type SeedOptions } from './seed.js';
import { send } from './http.js';
import type { State, TokenGrant } from './state.js';

export interface EmulatorOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** SQLite file holding the base(s) across restarts; in memory when absent. */
  dataFile?: string;
  /** Schema object or path to a YAML/JSON schema file; default: the lead table. Applied only to bases not yet in `dataFile`. */
  schema?: EmulatorSchema | string;
  /** Accepted tokens, each with every scope on every base (default `['emulator-token']`); they also open the control API. */
  tokens?: string[];
  /** A further token that opens the control API (`/_emulator/*`) only. */
  controlToken?: string;
  /** Further tokens with limited bases or scopes (for 403 tests). */
  tokenGrants?: Record<string, TokenGrant>;
  /** Id of the default (first) base when the schema does not name one: `app` + 14 alphanumerics. */
  baseId?: string;
  rateLimit?: RateLimitOptions;
  /** Idle time after which a list iterator expires (default 5 minutes; unconfirmed). */
  iteratorTtlMs?: number;
  /** Time source for timestamps, rate limit, penalties and iterators. */
  clock?: () => number;
  /** Answer unknown tables with the legacy 404 TABLE_NOT_FOUND instead of 403. */
  legacyNotFound?: boolean;
  /** Request body limit before 413 (default 2 MiB; unconfirmed). */
  maxBodyBytes?: number;
  /** URL length limit before 414 (default 16,000 as documented). */
  maxUrlLength?: number;
  /** Records per base (plans cap it; off by default). */
  maxRecordsPerBase?: number;
  /** Request log limits: entries (default 20,000) and bytes of paths, queries, headers and bodies (default 64 MiB). */
  requestLogMaxEntries?: number;
  requestLogMaxBytes?: number;
  /** gzip large responses when asked to, as the real API does (default true). */
  compression?: boolean;
}

export interface Emulator {
  /** `http://127.0.0.1:PORT`: give it to airtable.js as `endpointUrl`. */
  url: string;
  port: number;
  /** The default base. */
  baseId: string;
  requestLog(): LoggedRequest[];
  clearLog(): void;
  injectFault(f: FaultSpec): void;
  clearFaults(): void;
  setMonthlyQuotaExceeded(on: boolean): void;
  /** Loads records directly (no HTTP, no limits); returns their ids in order. */
  seed(table: string, records: Record<string, unknown>[], options?: SeedOptions): string[];
  /** All records of a table with id, createdTime, lastModified and fields. */
  dump(table: string, baseId?: string): DumpedRecord[];
  /** Entries and bytes the request log holds, with its limits. */
  requestLogStats(): { entries: number; bytes: number; maxEntries: number; maxBytes: number };
  /** Clears faults, log, rate-limit state, quota mode and iterators; with `records`, deletes all records too. */
  reset(options?: { records?: boolean }): void;
  close(): Promise<void>;
}

export const DEFAULT_BASE_ID = 'appEmulatorLeads1';
export const DEFAULT_TOKEN = 'emulator-token';

/** The emulator's state at start: its tokens, limits and defaults, an empty log, no fault armed. */
function newState(options: EmulatorOptions, store: Store, log: RequestLog, clock: () => number): State {
  const tokens = new Map<string, TokenGrant>((options.tokens ?? [DEFAULT_TOKEN]).map((t) => [t, {}]));
  for (const [t, g] of Object.entries(options.tokenGrants ?? {})) tokens.set(t, g);
  return {
    store,
    clock,
    tokens,
    controlToken: options.controlToken,
    hosts: new Set(),
    iterators: new Iterators(options.iteratorTtlMs ?? 300_000),
    limiter: new RateLimiter(options.rateLimit, clock),
    faults: new Faults(),
    log,
    quotaExceeded: false,
    legacyNotFound: options.legacyNotFound ?? false,
    maxUrlLength: options.maxUrlLength ?? 16_000,
    maxBodyBytes: options.maxBodyBytes ?? 2 * 1024 * 1024,
    maxRecordsPerBase: options.maxRecordsPerBase,
    compression: options.compression ?? true,
  };
}

function listenOnLoopback(server: Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

/** Starts an emulator on 127.0.0.1 and resolves once it listens. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const clock = options.clock ?? Date.now;
  const defaultBaseId = options.baseId ?? DEFAULT_BASE_ID;
  if (!isId(defaultBaseId, 'app')) throw new Error(`Base id ${defaultBaseId} must be "app" followed by 14 letters or digits.`);
  const schema = typeof options.schema === 'string' ? loadSchemaFile(options.schema) : (options.schema ?? DEFAULT_LEAD_SCHEMA);
  // Built before the store, so that bad limits throw before a file is opened.
  const log = new RequestLog(options.requestLogMaxEntries ?? DEFAULT_LOG_MAX_ENTRIES, options.requestLogMaxBytes ?? DEFAULT_LOG_MAX_BYTES);
  const store = new Store(options.dataFile);
  const bases = schemaBases(schema, defaultBaseId);
  for (const b of bases) if (!store.base(b.id!)) store.saveBase(buildBase(b));
  const state = newState(options, store, log, clock);
  const baseId = bases[0]!.id!;
  const reset = (records: boolean) => {
    state.faults.clear();
    state.log.clear();
    state.limiter.reset();
    state.iterators.clear();
    state.quotaExceeded = false;
    if (records) store.clearRecords();
  };
  let url = '';
  let port = 0;

  const hooks = { reset, defaultBaseId: baseId, url: () => url, port: () => port };

  // Real URLs may reach 16,000 characters; Node's default header limit (16 KiB) would cut them first.
  const server = createServer({ maxHeaderSize: 256 * 1024 }, (req, res) => {
    handleRequest(state, hooks, req, res).catch((e) => {
      process.stderr.write(`airtable-emulator: ${(e as Error).stack ?? e}\n`);
      if (!res.headersSent) send(req, res, 500, { error: { type: 'SERVER_ERROR', message: 'Server error' } });
    });
  });
  try {
    await listenOnLoopback(server, options.port ?? 0);
  } catch (e) {
    store.close();
    throw e;
  }
  port = (server.address() as AddressInfo).port;
  url = `http://127.0.0.1:${port}`;
  for (const h of allowedHosts(port)) state.hosts.add(h);
  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    baseId,
    requestLog: () => state.log.all(),
    clearLog: () => state.log.clear(),
    requestLogStats: () => state.log.stats(),
    injectFault: (f) => state.faults.inject(f),
    clearFaults: () => state.faults.clear(),
    setMonthlyQuotaExceeded: (on) => {
      state.quotaExceeded = on;
    },
    seed: (table, records, opts) => seedRecords(store, opts?.baseId ?? baseId, table, records, clock(), opts),
    dump: (table, base) => dumpRecords(store, base ?? baseId, table, clock()),
    reset: (o) => reset(o?.records === true),
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => store.close())),
  };
}
