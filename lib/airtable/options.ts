import { ConfigError } from '../core/errors.js';
import type { OptionSpec, StageContext } from '../core/stage.js';
import { AirtableClient } from './client.js';
import { limiterFor, type RateLimiterSettings } from './rate-limiter.js';

/** The options `read-airtable` and `write-airtable` share: where the base is and how to talk to it. */
export interface ConnectionOptions {
  table: string;
  base_id?: string;
  endpoint_url?: string;
  field_mapping?: string;
  requests_per_second: number;
  rate_limit_penalty_seconds: number;
  request_timeout_seconds: number;
  max_retries: number;
  retry_delay_seconds: number;
}

export const DEFAULT_ENDPOINT = 'https://api.airtable.com';

/** Their declarations, shared so both stages describe them the same way. */
export const CONNECTION_OPTIONS: { [K in keyof ConnectionOptions]-?: OptionSpec } = {
  table: {
    type: 'string',
    description: 'The Airtable table holding leads (name or tbl… id).',
    default: 'Leads',
    config: 'synchronization.airtable.table',
    example: 'Leads',
  },
  base_id: {
    type: 'string',
    description: 'The Airtable base (app…); AIRTABLE_BASE_ID when not given. The token always comes from AIRTABLE_TOKEN, never from a file.',
    example: 'appXXXXXXXXXXXXXX',
  },
  endpoint_url: {
    type: 'string',
    description: `The API endpoint; AIRTABLE_ENDPOINT_URL when not given, else ${DEFAULT_ENDPOINT} (set it to an emulator's URL for tests).`,
    example: 'http://127.0.0.1:8787',
  },
  field_mapping: {
    type: 'path',
    description: "The field-mapping file whose database_to_airtable section names the Airtable fields; the package's config/field-mapping.yaml when not given.",
    example: '../config/field-mapping.yaml',
  },
  requests_per_second: {
    type: 'number',
    description: 'Requests per second to the base, for every stage of the process together (Airtable allows 5; give less to leave room for other tools).',
    default: 5,
    min: 1,
    max: 5,
    config: 'synchronization.airtable.requests_per_second',
    example: 4,
  },
  rate_limit_penalty_seconds: {
    type: 'number',
    description: 'How long to wait after Airtable answers 429 (too many requests) before sending again; Airtable refuses everything for 30 s.',
    default: 30,
    min: 0,
    config: 'synchronization.airtable.rate_limit_penalty_seconds',
    example: 30,
  },
  request_timeout_seconds: {
    type: 'number',
    description: 'The deadline of every request; one that has no answer by then is retried.',
    default: 30,
    min: 0.05,
    config: 'synchronization.airtable.request_timeout_seconds',
    example: 60,
  },
  max_retries: {
    type: 'integer',
    description: 'How often a request that failed (5xx, timeout, reset) is sent again before the stage gives up.',
    default: 3,
    min: 0,
    config: 'synchronization.max_retries',
    example: 5,
  },
  retry_delay_seconds: {
    type: 'number',
    description: 'The wait before the first retry; it doubles with each retry, with random jitter.',
    default: 2,
    min: 0,
    config: 'synchronization.retry_delay_seconds',
    example: 1,
  },
};

/**
 * A client for the stage's base, using the process's one rate limiter for that base (shared with
 * every other Airtable stage of the run through `ctx.shared`). Fails with a configuration error
 * when the token or the base is missing.
 */
export function connect(options: ConnectionOptions, ctx: StageContext, env: NodeJS.ProcessEnv = process.env): AirtableClient {
  const token = env.AIRTABLE_TOKEN?.trim();
  const baseId = (options.base_id ?? env.AIRTABLE_BASE_ID ?? '').trim();
  const endpointUrl = (options.endpoint_url ?? env.AIRTABLE_ENDPOINT_URL ?? DEFAULT_ENDPOINT).trim();
  const issues = [];
  if (!token)
    issues.push({
      path: `${ctx.stage}`,
      message: 'AIRTABLE_TOKEN is not set. Export a personal access token (pat…) with the scopes data.records:read, data.records:write and schema.bases:read.',
    });
  if (!baseId)
    issues.push({
      path: `${ctx.stage}.base_id`,
      message: 'No Airtable base: give base_id or set AIRTABLE_BASE_ID (app…, in the base URL after airtable.com/).',
    });
  else if (!/^app[A-Za-z0-9]{14}$/.test(baseId))
    issues.push({ path: `${ctx.stage}.base_id`, message: `'${baseId}' is not an Airtable base id; it looks like app followed by 14 letters or digits.` });
  if (!/^https?:\/\//.test(endpointUrl)) issues.push({ path: `${ctx.stage}.endpoint_url`, message: `'${endpointUrl}' is not an http(s) URL.` });
  if (issues.length) throw new ConfigError(issues);

  const limiterSettings: RateLimiterSettings = {
    requestsPerSecond: options.requests_per_second,
    penaltyMs: options.rate_limit_penalty_seconds * 1000,
  };
  const key = `${endpointUrl.replace(/\/+$/, '')}|${baseId}`;
  const handle = ctx.shared(
    `airtable-limiter:${key}`,
    () => limiterFor(key, limiterSettings),
    (h) => h.release(),
  );
  handle.limiter.configure(limiterSettings);
  return new AirtableClient({
    token: token!,
    baseId,
    endpointUrl,
    requestTimeoutMs: options.request_timeout_seconds * 1000,
    maxRetries: options.max_retries,
    retryDelayMs: options.retry_delay_seconds * 1000,
    limiter: handle.limiter,
    signal: ctx.signal,
    log: ctx.log,
  });
}

/** Where the pipeline's Airtable stages find their base: the first step that gives each setting. */
export interface PipelineConnection {
  table?: string;
  base_id?: string;
  endpoint_url?: string;
}

/**
 * What the steps that talk to Airtable through CONNECTION_OPTIONS (read-airtable, write-airtable,
 * validate) were given, so a stage that reaches the same base another way (backup, restore) uses
 * the same table, base and endpoint instead of guessing from the environment alone.
 */
export function pipelineConnection(
  steps: ReadonlyArray<{ stage: { options: Record<string, unknown> }; options: Record<string, unknown> }>,
): PipelineConnection {
  const found: PipelineConnection = {};
  for (const step of steps) {
    if (!('base_id' in step.stage.options && 'endpoint_url' in step.stage.options && 'table' in step.stage.options)) continue;
    for (const key of ['table', 'base_id', 'endpoint_url'] as const) {
      const value = step.options[key];
      if (found[key] === undefined && typeof value === 'string' && value !== '') found[key] = value;
    }
  }
  return found;
}
