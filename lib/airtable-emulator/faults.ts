import { compilePathPattern } from './path-pattern.js';

/**
 * Faults on demand: test-only machinery outside the Airtable surface.
 * A fault matches the next `count` requests by method and path and replaces (or delays) the
 * real answer, so tests can see how our code meets 5xx, gateways, hangs and resets.
 */

/** Ready-made failures: the shapes the contract's §3 describes for 500, 502, 503 and a bad 200. */
export type FaultPreset = 'server-error' | 'bad-gateway-html' | 'unavailable' | 'non-json-200';

export interface FaultSpec {
  /** HTTP method to match (any when absent). */
  method?: string;
  /** Decoded path prefix (`/v0/app…/Leads`) where `*` matches any run of characters and a final `$` anchors the end (see path-pattern.ts). */
  path?: string;
  /** How many matching requests get the fault (default 1); `Infinity` (or -1 over HTTP) until cleared. */
  count?: number;
  preset?: FaultPreset;
  status?: number;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long first; then the fault's answer, or the normal one when it has none. */
  delayMs?: number;
  /** Never answer (until the emulator closes or the client gives up). */
  hang?: boolean;
  /** Destroy the connection without an answer. */
  reset?: boolean;
}

const PRESETS: Record<FaultPreset, Pick<FaultSpec, 'status' | 'body' | 'headers'>> = {
  'server-error': { status: 500, body: { error: { type: 'SERVER_ERROR', message: 'Server error' } } },
  'bad-gateway-html': {
    status: 502,
    headers: { 'content-type': 'text/html' },
    body: '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n',
  },
  unavailable: {
    status: 503,
    headers: { 'retry-after': '1' },
    body: { error: { type: 'RETRIABLE_ERROR', message: 'Server encountered an error while processing your request, and it is safe to retry the request' } },
  },
  'non-json-200': { status: 200, headers: { 'content-type': 'text/html' }, body: '<html><body>Down for maintenance</body></html>' },
};

interface Armed {
  spec: FaultSpec;
  left: number;
  matches?: (path: string) => boolean;
}

export class Faults {
  private armed: Armed[] = [];

  /** Arms a fault; throws an Error saying what to fix when its path or preset is not valid. */
  inject(spec: FaultSpec): void {
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new Error(`A fault must be an object, not ${JSON.stringify(spec)}.`);
    if (spec.preset !== undefined && !Object.hasOwn(PRESETS, spec.preset)) {
      throw new Error(`Unknown fault preset "${spec.preset}"; the presets are ${Object.keys(PRESETS).join(', ')}.`);
    }
    const full = spec.preset ? { ...PRESETS[spec.preset], ...spec } : spec;
    const matches = full.path === undefined || full.path === '' ? undefined : compilePathPattern(full.path);
    this.armed.push({ spec: full, left: full.count === -1 ? Infinity : (full.count ?? 1), matches });
  }

  /** Takes the first fault matching this request, if any, counting it down. */
  take(method: string, path: string): FaultSpec | undefined {
    const hit = this.armed.find((a) => (!a.spec.method || a.spec.method.toUpperCase() === method) && (!a.matches || a.matches(path)));
    if (!hit) return undefined;
    if (--hit.left <= 0) this.armed = this.armed.filter((a) => a !== hit);
    return hit.spec;
  }

  clear(): void {
    this.armed = [];
  }
}
