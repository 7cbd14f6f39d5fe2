import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { OptionSpec } from '../core/stage.js';
import { ConfigError, StageError, StageSetupError } from '../core/errors.js';

/** A connected `pg` client. */
export type PgClient = pg.Client;

/** How the connection is secured: off (sockets, loopback), require (encrypted, any certificate), verify (encrypted, certificate checked against the CA and host name). */
export const TLS_MODES = ['off', 'require', 'verify'] as const;
export type TlsMode = (typeof TLS_MODES)[number];

/** Where the server is and how to reach it. Secrets never come from here: only from the environment. */
export interface ConnectionOptions {
  /** A postgres:// URL without a password; the environment's LEADS_DATABASE_URL, then DATABASE_URL, when absent. */
  url?: string;
  tls?: TlsMode;
  /** PEM file of the certificate authority that signed the server's certificate (verify). */
  tls_ca_file?: string;
  /** PEM files of a client certificate and its key, for servers that ask for one. */
  tls_cert_file?: string;
  tls_key_file?: string;
  connect_timeout_ms?: number;
}

/** The environment variables a connection URL is taken from, first found wins. */
export const URL_VARIABLES = ['LEADS_DATABASE_URL', 'DATABASE_URL'] as const;

/** The connection options' declarations, shared by every stage that talks to PostgreSQL. */
export const CONNECTION_OPTIONS: { [K in keyof ConnectionOptions]-?: OptionSpec } = {
  url: {
    type: 'string',
    description:
      'The server and database, as postgres://user@host:5432/dbname (a Unix socket: postgres:///dbname?host=/run/postgresql). Without it, LEADS_DATABASE_URL or DATABASE_URL from the environment. Put the password in the environment (PGPASSWORD, or the URL in LEADS_DATABASE_URL), never here.',
    example: 'postgres://leads@db.internal:5432/crm',
  },
  tls: {
    type: 'string',
    description:
      'Encryption: off (a local socket or loopback), require (encrypted, certificate not checked) or verify (encrypted, certificate checked against tls_ca_file and the host name).',
    values: TLS_MODES,
    example: 'verify',
    config: 'synchronization.postgres.tls',
  },
  tls_ca_file: {
    type: 'path',
    description: "The certificate authority's PEM file that signed the server certificate (tls: verify); the system's authorities when not given.",
    example: 'certs/db-ca.pem',
  },
  tls_cert_file: {
    type: 'path',
    description: 'A client certificate (PEM), for a server that asks for one; with tls_key_file.',
    example: 'certs/client.pem',
  },
  tls_key_file: {
    type: 'path',
    description: "The client certificate's private key (PEM).",
    example: 'certs/client.key',
  },
  connect_timeout_ms: {
    type: 'integer',
    description: 'How long to wait for the server to answer before failing.',
    default: 10000,
    min: 0,
    config: 'synchronization.postgres.connect_timeout_ms',
  },
};

/** A URL with its password replaced by `***`, for messages and logs. Text that is not a URL comes back unchanged, less anything between `:` and `@`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) {
      if (/pass|secret|key|token/i.test(key) && !/^ssl(rootcert|cert|key)$/i.test(key)) parsed.searchParams.set(key, '***');
    }
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@\s]*):[^@\s]*@/g, '//$1:***@');
  }
}

/** The URL without its password (or any secret parameter), to record where a run wrote: a journal, a manifest. */
export function withoutPassword(url: string): string {
  const parsed = safeUrl(url);
  if (!parsed) return redactUrl(url);
  parsed.password = '';
  for (const key of [...parsed.searchParams.keys()]) if (/pass|secret|token/i.test(key)) parsed.searchParams.delete(key);
  return parsed.toString();
}

/** Removes every secret from a text (a server's error message may repeat what it was sent). */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 3) out = out.split(secret).join('***');
  return out.replace(/(postgres(?:ql)?:\/\/[^\s'"]+)/gi, (m) => redactUrl(m));
}

/** The connection URL: the option's, or the environment's. */
export function connectionUrl(options: ConnectionOptions, who: string, env: NodeJS.ProcessEnv = process.env): { url: string; from: string } {
  if (options.url) {
    if (hasPassword(options.url)) {
      throw new ConfigError([
        {
          path: `${who}.url`,
          message: `The url ${redactUrl(options.url)} holds a password; configuration files get copied and logged. Remove it and set PGPASSWORD, or give the whole URL in LEADS_DATABASE_URL.`,
        },
      ]);
    }
    return { url: options.url, from: `${who}.url` };
  }
  for (const name of URL_VARIABLES) {
    const value = env[name]?.trim();
    if (value) return { url: value, from: name };
  }
  throw new ConfigError([
    {
      path: `${who}.url`,
      message: `No PostgreSQL server given: set LEADS_DATABASE_URL (or DATABASE_URL) in the environment, e.g. postgres://leads@localhost:5432/crm, or the step's url option.`,
    },
  ]);
}

function hasPassword(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.password !== '' || parsed.searchParams.has('password');
  } catch {
    return /\/\/[^/@\s]*:[^@\s]+@/.test(url);
  }
}

/** The URL's parts a message may show: who, where, which database (never the password). */
export function describeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    const socket = parsed.searchParams.get('host');
    const host = parsed.hostname ? `${decodeURIComponent(parsed.hostname)}${parsed.port ? `:${parsed.port}` : ''}` : (socket ?? 'the default socket');
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(default)';
    const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
    return `${user}${host}/${database}`;
  } catch {
    return redactUrl(url);
  }
}

function readPem(file: string | undefined, option: string, who: string, baseDir: string): string | undefined {
  if (!file) return undefined;
  const resolved = path.resolve(baseDir, file);
  try {
    return fs.readFileSync(resolved, 'utf8');
  } catch (error) {
    throw new StageSetupError(who, `Cannot read ${option} ${resolved} (${(error as Error).message}). Check the path.`);
  }
}

/** The `pg` client settings for these options, with TLS read from its files. */
export function clientConfig(
  options: ConnectionOptions,
  who: string,
  baseDir = process.cwd(),
  env = process.env,
): pg.ClientConfig & { target: string; from: string } {
  const { url, from } = connectionUrl(options, who, env);
  const config: pg.ClientConfig & { target: string; from: string } = {
    connectionString: url,
    connectionTimeoutMillis: options.connect_timeout_ms ?? 10000,
    application_name: 'lead-maintenance',
    target: describeTarget(url),
    from,
  };
  const tls = options.tls;
  if (tls === 'off') config.ssl = false;
  else if (tls === 'require' || tls === 'verify') {
    config.ssl = {
      rejectUnauthorized: tls === 'verify',
      ca: readPem(options.tls_ca_file, 'tls_ca_file', who, baseDir),
      cert: readPem(options.tls_cert_file, 'tls_cert_file', who, baseDir),
      key: readPem(options.tls_key_file, 'tls_key_file', who, baseDir),
    };
  }
  if (tls !== undefined) {
    // The URL's sslmode would override the option; the option is what the user set last.
    const parsed = safeUrl(url);
    if (parsed?.searchParams.has('sslmode')) {
      for (const key of ['sslmode', 'sslrootcert', 'sslcert', 'sslkey']) parsed.searchParams.delete(key);
      config.connectionString = parsed.toString();
    }
  }
  return config;
}

function safeUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/**
 * Connects, with errors a user can act on and no secret in them: the server unreachable, the
 * credentials refused, the database missing. The client's later errors (the server going away
 * while idle) are kept for the next query instead of crashing the process.
 */
export async function connect(options: ConnectionOptions, who: string, baseDir?: string): Promise<PgClient> {
  const { target, from, ...config } = clientConfig(options, who, baseDir);
  const client = new pg.Client(config);
  client.on('error', () => {
    // Surfaced by the next query on this client; without a listener Node would exit.
  });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw describePgError(error, { who, target, from, secrets: secretsOf(config) });
  }
  return client;
}

function secretsOf(config: pg.ClientConfig): string[] {
  const secrets: string[] = [];
  const parsed = config.connectionString ? safeUrl(config.connectionString) : undefined;
  if (parsed?.password) secrets.push(parsed.password, decodeURIComponent(parsed.password));
  if (process.env.PGPASSWORD) secrets.push(process.env.PGPASSWORD);
  return secrets;
}

/**
 * Set at the start of each transaction: times and dates in one format whatever the server's or
 * the role's settings, so values read the same everywhere. Transaction-local, so it holds behind a
 * connection pooler too.
 */
export const SESSION_FORMATS = "SET LOCAL DateStyle = 'ISO, MDY'; SET LOCAL TimeZone = 'UTC'; SET LOCAL IntervalStyle = 'postgres'";

/** The SQLSTATE of a server error (`28P01`, …), or the socket error code (`ECONNREFUSED`). */
export function pgCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The connection was lost (the server restarted, the backend was terminated, the network dropped): the transaction did not commit. */
export function isConnectionLost(error: unknown): boolean {
  const code = pgCode(error) ?? '';
  const message = error instanceof Error ? error.message : '';
  return (
    code.startsWith('08') ||
    ['57P01', '57P02', '57P03', 'ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT'].includes(code) ||
    /Connection terminated|connection is closed|Client has encountered a connection error/i.test(message)
  );
}

interface ErrorContext {
  who: string;
  target: string;
  from: string;
  secrets?: readonly string[];
}

/** Turns a connection or server error into a StageError that says what to do, with every secret removed (no cause kept: it may hold the settings). */
export function describePgError(error: unknown, where: ErrorContext): StageError {
  const code = pgCode(error) ?? '';
  const reason = scrub(error instanceof Error ? error.message : String(error), where.secrets ?? []);
  const at = `${where.target} (from ${where.from})`;
  if (code === '28P01' || code === '28000') {
    return new StageSetupError(
      where.who,
      `PostgreSQL at ${at} refused the credentials: ${reason}. Check the user and the password (PGPASSWORD or the URL in LEADS_DATABASE_URL) and the server's pg_hba.conf.`,
    );
  }
  if (code === '3D000')
    return new StageSetupError(where.who, `PostgreSQL at ${at} has no such database: ${reason}. Check the database name at the end of the URL.`);
  if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new StageSetupError(
      where.who,
      `Cannot reach PostgreSQL at ${at}: ${reason}. Check that the server is running and the host, port or socket directory in the URL.`,
    );
  }
  if (/timeout/i.test(reason))
    return new StageError(where.who, `PostgreSQL at ${at} did not answer in time: ${reason}. Check the network, or raise connect_timeout_ms.`);
  if (code === '42501')
    return new StageError(where.who, `PostgreSQL at ${at} denied a permission: ${reason}. Grant the user the rights the README lists for these stages.`);
  if (isConnectionLost(error))
    return new StageError(where.who, `The connection to PostgreSQL at ${at} was lost: ${reason}. Nothing uncommitted was kept; run again.`);
  return new StageError(where.who, `PostgreSQL at ${at} failed: ${reason}${code ? ` (SQLSTATE ${code})` : ''}.`);
}

/** Quotes one identifier for SQL (names may hold quotes, dots, spaces or unicode). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A table as PostgreSQL names it: a schema (the search path's first when not given) and a name. */
export interface TableName {
  schema: string | null;
  name: string;
}

/**
 * Reads `schema.table`, `table`, or either part in double quotes (`"my.schema"."Leads"`), as SQL
 * would. An unquoted part is taken as written (not folded to lower case): a table is named in the
 * configuration as the catalogue shows it.
 */
export function parseTableName(text: string, who: string, option = 'table'): TableName {
  const parts: string[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new ConfigError([
      {
        path: `${who}.${option}`,
        message: `'${text}' is not a table name: ${why}. Write table, schema.table, or quote a part holding a dot: "my.schema".leads.`,
      },
    ]);
  };
  if (text.includes('\0')) fail('it holds a NUL character');
  while (i <= text.length) {
    let part = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) fail('a quote is not closed');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            part += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        part += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== '.') part += text[i++];
    }
    if (part === '') fail('a part is empty');
    parts.push(part);
    if (i >= text.length) break;
    if (text[i] !== '.') fail(`unexpected '${text[i]}' after a quoted part`);
    i++;
    if (i === text.length) fail('it ends with a dot');
  }
  if (parts.length > 2) fail('it has more than two parts');
  return parts.length === 2 ? { schema: parts[0]!, name: parts[1]! } : { schema: null, name: parts[0]! };
}

/** `"schema"."table"` or `"table"`, ready for SQL. */
export function qualifiedName(table: TableName): string {
  return table.schema === null ? quoteIdent(table.name) : `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
}

/** The table for messages: schema.table as written. */
export function tableLabel(table: TableName): string {
  return table.schema === null ? table.name : `${table.schema}.${table.name}`;
}
