import { redactText } from '../core/redact.js';

/** Where a request went, for error messages (never the token). */
export interface RequestSite {
  baseId: string;
  table?: string;
  method: string;
  /** What the request did, e.g. `list records`, `create 10 records`. */
  action: string;
}

/**
 * An Airtable failure as a real `Error` (airtable.js rejects with a plain object that has no
 * stack): the HTTP status, Airtable's error type, the table, and what the user can do about it.
 */
export class AirtableApiError extends Error {
  /** null when no response came back (timeout, reset, refused). */
  readonly status: number | null;
  readonly type: string;
  readonly table?: string;
  readonly remedy?: string;
  /** A field the error names (`Unknown field name: "X"`, `Field "X" cannot accept…`). */
  readonly field?: string;
  /** Worth sending again after a backoff (5xx, timeouts, resets, an unreadable answer). */
  readonly retryable: boolean;
  /** A 429 for the per-second rate: wait out the penalty and send again. */
  readonly rateLimited: boolean;
  /** The request may have been applied although no good answer came back (matters for creates). */
  readonly outcomeUnknown: boolean;

  constructor(init: {
    status: number | null;
    type: string;
    message: string;
    site: RequestSite;
    remedy?: string;
    field?: string;
    retryable?: boolean;
    rateLimited?: boolean;
    outcomeUnknown?: boolean;
    cause?: unknown;
  }) {
    const where = `${init.site.action} in ${init.site.table ? `table ${init.site.table} of ` : ''}base ${init.site.baseId}`;
    const status = init.status === null ? 'no response' : `HTTP ${init.status}`;
    const text = /[.!?]$/.test(init.message.trim()) ? init.message.trim() : `${init.message.trim()}.`;
    super(redactText(`Airtable: ${where} failed (${status}, ${init.type}): ${text}${init.remedy ? ` ${init.remedy}` : ''}`), { cause: init.cause });
    this.name = 'AirtableApiError';
    this.status = init.status;
    this.type = init.type;
    this.table = init.site.table;
    this.remedy = init.remedy;
    this.field = init.field;
    this.retryable = init.retryable ?? false;
    this.rateLimited = init.rateLimited ?? false;
    this.outcomeUnknown = init.outcomeUnknown ?? false;
    this.init = init;
  }

  private readonly init: ConstructorParameters<typeof AirtableApiError>[0];

  /** The same failure with another remedy (e.g. once the retries are used up). */
  withRemedy(remedy: string): AirtableApiError {
    return new AirtableApiError({ ...this.init, remedy, cause: this });
  }
}

/** The fields of an airtable.js AirtableError (not an Error subclass). */
interface RawAirtableError {
  error?: unknown;
  message?: unknown;
  statusCode?: unknown;
}

const FIELD_PATTERNS = [/Unknown field name: "([^"]+)"/, /Field "([^"]+)"/, /field "([^"]+)"/i];

/** The field an Airtable error message names, if any. */
export function fieldOf(message: string): string | undefined {
  for (const pattern of FIELD_PATTERNS) {
    const m = pattern.exec(message);
    if (m) return m[1];
  }
  return undefined;
}

/** A deadline of ours ran out before Airtable answered. */
export function timeoutError(site: RequestSite, ms: number): AirtableApiError {
  return new AirtableApiError({
    status: null,
    type: 'TIMEOUT',
    site,
    retryable: true,
    outcomeUnknown: true,
    message: `no answer within ${Math.round(ms / 100) / 10} s.`,
    remedy: 'Airtable or the network is slow; the request is retried. Raise request_timeout_seconds if this keeps happening.',
  });
}

/**
 * Turns whatever a request rejected with (an AirtableError, a network error, our own timeout)
 * into an AirtableApiError with a remedy a user can act on.
 */
export function normalizeError(raw: unknown, site: RequestSite): AirtableApiError {
  if (raw instanceof AirtableApiError) return raw;
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as RawAirtableError;
  const status = typeof r.statusCode === 'number' ? r.statusCode : null;
  const type = typeof r.error === 'string' ? r.error : raw instanceof Error ? raw.name : 'UNKNOWN';
  const message = typeof r.message === 'string' ? r.message : String(raw);
  const base = { status, type, message, site, cause: raw };
  const table = site.table ? `table ${site.table}` : 'the table';

  if (status === null) {
    // airtable.js turns timeouts, resets and refused connections into CONNECTION_ERROR without a status.
    return new AirtableApiError({
      ...base,
      retryable: true,
      outcomeUnknown: true,
      remedy: 'The connection failed or timed out; the request is retried. Check AIRTABLE_ENDPOINT_URL and the network if it keeps failing.',
    });
  }
  if (status === 401) {
    return new AirtableApiError({ ...base, remedy: 'Airtable did not accept the token; set AIRTABLE_TOKEN to a valid personal access token.' });
  }
  if (status === 403) {
    return new AirtableApiError({
      ...base,
      remedy: `The token has no access to base ${site.baseId}, or ${table} does not exist there. Check AIRTABLE_BASE_ID and the table name, and that the token was given this base with the scopes data.records:read, data.records:write and schema.bases:read.`,
    });
  }
  if (status === 404) {
    const remedy =
      type === 'MODEL_ID_NOT_FOUND'
        ? 'The record does not exist (any more).'
        : type === 'TABLE_NOT_FOUND'
          ? `Check the table name; ${table} is not in base ${site.baseId}.`
          : `Check AIRTABLE_BASE_ID (${site.baseId}) and AIRTABLE_ENDPOINT_URL.`;
    return new AirtableApiError({ ...base, remedy });
  }
  if (status === 429) {
    if (type === 'PUBLIC_API_BILLING_LIMIT_EXCEEDED') {
      return new AirtableApiError({
        ...base,
        remedy: 'The workspace has used up its monthly API calls; nothing more can be read or written until the plan is upgraded or the month ends.',
      });
    }
    return new AirtableApiError({ ...base, rateLimited: true, remedy: 'Waiting out the penalty before sending again.' });
  }
  if (status === 200 || status === 502 || status === 504 || status === 500) {
    // 200 here means the body was not JSON: the write may well have happened.
    return new AirtableApiError({
      ...base,
      retryable: true,
      outcomeUnknown: true,
      remedy: 'Airtable answered with an error or unreadable data; the request is retried.',
    });
  }
  if (status === 503) {
    // Airtable's 503 says "safe to retry": the request was not processed.
    return new AirtableApiError({ ...base, retryable: true, remedy: 'Airtable is temporarily unavailable; the request is retried.' });
  }
  if (status === 422) {
    const field = fieldOf(message);
    const remedy = REMEDIES_422[type]?.(field) ?? undefined;
    return new AirtableApiError({ ...base, field, remedy });
  }
  return new AirtableApiError({ ...base, retryable: status >= 500, outcomeUnknown: status >= 500 });
}

const REMEDIES_422: Record<string, (field?: string) => string> = {
  UNKNOWN_FIELD_NAME: (field) => `The table has no field '${field}': fix config/field-mapping.yaml.`,
  INVALID_MULTIPLE_CHOICE_OPTIONS: () => "Use one of the field's select options, add the option in Airtable, or turn on typecast.",
  INVALID_VALUE_FOR_COLUMN: (field) => `Check the value written to '${field}' (computed fields cannot be written).`,
  INVALID_FILTER_BY_FORMULA: () => 'Fix filter_by_formula (field names go in braces: {Email}).',
  VIEW_NAME_NOT_FOUND: () => 'Fix the view name.',
};

/**
 * Keeps the server's error type and message where airtable.js 0.12.2 would replace them with its
 * own (401, 403, 413, 429, 500, 503): without this a monthly-quota 429 looks like a rate-limit
 * 429, and "table missing" like "no permission". Installed on one Base instance; a client
 * version without the hook simply keeps its own mapping.
 */
export function keepServerErrors(base: unknown): void {
  const target = base as { _checkStatusForError?: (status: number, body: unknown) => RawAirtableError | null };
  const original = target._checkStatusForError;
  if (typeof original !== 'function') return;
  target._checkStatusForError = function (status: number, body: unknown) {
    const mapped = original.call(this, status, body);
    if (!mapped) return mapped;
    const error = (body as { error?: unknown } | null)?.error;
    if (typeof error === 'object' && error !== null) {
      const { type, message } = error as { type?: unknown; message?: unknown };
      if (typeof type === 'string') mapped.error = type;
      if (typeof message === 'string') mapped.message = message;
    } else if (typeof error === 'string') {
      mapped.error = error;
    }
    return mapped;
  };
}
