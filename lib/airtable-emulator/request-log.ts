/**
 * The request log: what the emulator received, for assertions and for measuring request rates.
 * Bounded in entries and in bytes, so that neither a long benchmark nor a flood of large
 * requests can grow the emulator's memory without limit.
 */

/** One request as received. */
export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  /** The JSON body (or its text); absent when empty or not logged (requests without a valid token). */
  body?: unknown;
  /** Epoch ms (the emulator's clock) when the request arrived. */
  time: number;
  status?: number;
  fault?: string;
}

export const DEFAULT_LOG_MAX_ENTRIES = 20_000;
export const DEFAULT_LOG_MAX_BYTES = 64 * 1024 * 1024;
/** Bodies above this are logged as `{truncated: true, bytes}`. */
export const LOGGED_BODY_MAX_BYTES = 256 * 1024;

/** Fixed cost counted per entry on top of its strings (object and array overhead). */
const ENTRY_OVERHEAD_BYTES = 256;

export class RequestLog {
  private entries: LoggedRequest[] = [];
  private sizes: number[] = [];
  /** Index of the oldest live entry: dropping from the front is O(1), compaction amortised. */
  private head = 0;
  private total = 0;

  constructor(
    private readonly maxEntries = DEFAULT_LOG_MAX_ENTRIES,
    private readonly maxBytes = DEFAULT_LOG_MAX_BYTES,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new Error(`The request log's entry limit must be a whole number of at least 1, not ${maxEntries}.`);
    if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new Error(`The request log's byte limit must be a whole number of at least 1, not ${maxBytes}.`);
  }

  /** Adds an entry of about `bytes` bytes, dropping the oldest ones past either limit (the newest always stays). */
  add(entry: LoggedRequest, bytes: number): LoggedRequest {
    const size = bytes + ENTRY_OVERHEAD_BYTES;
    this.entries.push(entry);
    this.sizes.push(size);
    this.total += size;
    while (this.length > 1 && (this.length > this.maxEntries || this.total > this.maxBytes)) {
      this.total -= this.sizes[this.head]!;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
    return entry;
  }

  private get length(): number {
    return this.entries.length - this.head;
  }

  all(): LoggedRequest[] {
    return this.entries.slice(this.head);
  }

  /** Entries held and the bytes counted for them (strings and bodies as received, plus a fixed overhead each). */
  stats(): { entries: number; bytes: number; maxEntries: number; maxBytes: number } {
    return { entries: this.length, bytes: this.total, maxEntries: this.maxEntries, maxBytes: this.maxBytes };
  }

  clear(): void {
    this.entries = [];
    this.sizes = [];
    this.head = 0;
    this.total = 0;
  }
}

/** Headers worth logging, with the credential replaced: the token never reaches a log. */
export function loggableHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    out[k] = k === 'authorization' ? 'Bearer [redacted]' : Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** The bytes an entry's strings take as received (UTF-16 aside): what the byte limit counts. */
export function entryBytes(path: string, rawQuery: string, headers: Record<string, string>, bodyBytes: number): number {
  let n = path.length + rawQuery.length + bodyBytes;
  for (const [k, v] of Object.entries(headers)) n += k.length + v.length;
  return n;
}
