import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * A throwaway PostgreSQL server for specs and benches: `initdb` into a temporary directory, then
 * the server on a Unix socket in that directory and on a free loopback port, with password
 * authentication (so wrong credentials can be tried). One server per process, started on first
 * use, stopped and removed when the process exits. Each caller gets a database of its own.
 */
export interface TestPostgres {
  /** The superuser's URL over the loopback port, password included (specs only). */
  url: string;
  /** The same over the Unix socket. */
  socketUrl: string;
  host: string;
  port: number;
  socketDir: string;
  user: string;
  password: string;
  database: string;
  /** The server's binaries (psql, pg_dump, …). */
  binDir: string;
  /** A new client to this database, connected. */
  client(): Promise<pg.Client>;
}

interface Server {
  dir: string;
  binDir: string;
  port: number;
  password: string;
  asUser: { uid: number; gid: number } | undefined;
}

const SUPERUSER = 'lead_test';
let server: Server | undefined;
let startError: Error | undefined;
let databases = 0;

/** The directory of initdb/postgres/pg_ctl: PATH, `pg_config --bindir`, or the newest /usr/lib/postgresql/N/bin. */
export function findPostgresBinaries(): string | undefined {
  const candidates: string[] = [];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir) candidates.push(dir);
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // No pg_config: the distribution's layout below.
  }
  const root = '/usr/lib/postgresql';
  if (fs.existsSync(root)) {
    const versions = fs.readdirSync(root).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(path.join(root, v, 'bin'));
  }
  for (const dir of candidates) {
    const initdb = path.join(dir, 'initdb');
    if (!fs.existsSync(initdb)) continue;
    // PATH may hold a symlink to initdb alone; the server binaries sit beside its target.
    const real = path.dirname(fs.realpathSync(initdb));
    if (fs.existsSync(path.join(real, 'postgres')) && fs.existsSync(path.join(real, 'pg_ctl'))) return real;
  }
  return undefined;
}

/** initdb refuses to run as root: as root, the server runs as the `postgres` system user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const name = process.env.PG_TEST_USER ?? 'postgres';
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[0] === name);
  if (!line)
    throw new Error(
      `Running as root, and there is no '${name}' user to run PostgreSQL as (initdb refuses root). Create one (the distribution's postgresql package does) or set PG_TEST_USER.`,
    );
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function run(s: Pick<Server, 'binDir' | 'asUser'>, tool: string, args: string[]): void {
  const result = spawnSync(path.join(s.binDir, tool), args, {
    encoding: 'utf8',
    uid: s.asUser?.uid,
    gid: s.asUser?.gid,
    // The server user cannot read root's working directory.
    cwd: '/',
    env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
    timeout: 120_000,
  });
  if (result.status !== 0)
    throw new Error(`${tool} failed (${result.error?.message ?? `exit ${result.status}`}): ${(result.stderr || result.stdout || '').trim().slice(-2000)}`);
}

async function start(): Promise<Server> {
  const binDir = findPostgresBinaries();
  if (!binDir)
    throw new Error(
      'PostgreSQL is not installed: no initdb on PATH, from pg_config --bindir, or in /usr/lib/postgresql/*/bin. Install the distribution package (apt-get install postgresql).',
    );
  const asUser = serverUser();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-'));
  const password = crypto.randomBytes(12).toString('hex');
  const s: Server = { dir, binDir, port: 0, password, asUser };
  try {
    if (asUser) fs.chownSync(dir, asUser.uid, asUser.gid);
    const pwfile = path.join(dir, 'pw');
    fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (asUser) fs.chownSync(pwfile, asUser.uid, asUser.gid);
    run(s, 'initdb', ['-D', path.join(dir, 'data'), '-U', SUPERUSER, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-sync']);
    fs.rmSync(pwfile);
    s.port = await freePort();
    const settings = [
      `-c port=${s.port}`,
      `-c listen_addresses=127.0.0.1`,
      `-c unix_socket_directories=${dir}`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=50',
    ].join(' ');
    run(s, 'pg_ctl', ['-D', path.join(dir, 'data'), '-l', path.join(dir, 'server.log'), '-o', settings, '-w', '-t', '60', 'start']);
    server = s;
    process.on('exit', stop);
    return s;
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Stops the server and removes its directory (at process exit; synchronous on purpose). */
function stop(): void {
  const s = server;
  if (!s) return;
  server = undefined;
  try {
    run(s, 'pg_ctl', ['-D', path.join(s.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  } catch {
    // Already gone: removing the directory is all that is left.
  }
  fs.rmSync(s.dir, { recursive: true, force: true });
}

function urlFor(s: Server, database: string, user = SUPERUSER, password = s.password): string {
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${s.port}/${encodeURIComponent(database)}`;
}

/**
 * A fresh database on the shared test server, or why there is none. `CI=true` makes a missing
 * server a failure rather than a skip, so CI never passes by testing nothing.
 */
export async function testPostgres(): Promise<TestPostgres> {
  if (startError) throw startError;
  let s = server;
  if (!s) {
    try {
      s = await start();
    } catch (error) {
      startError = error as Error;
      throw error;
    }
  }
  const database = `spec_${process.pid}_${++databases}`;
  const admin = new pg.Client({ connectionString: urlFor(s, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  const url = urlFor(s, database);
  const server_ = s;
  return {
    url,
    socketUrl: `postgres://${SUPERUSER}:${s.password}@/${database}?host=${encodeURIComponent(s.dir)}&port=${s.port}`,
    host: '127.0.0.1',
    port: s.port,
    socketDir: s.dir,
    user: SUPERUSER,
    password: s.password,
    database,
    binDir: s.binDir,
    async client() {
      const client = new pg.Client({ connectionString: urlFor(server_, database) });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    },
  };
}

/**
 * For a mocha `before` hook: the test database, or the suite skipped with the reason when no
 * server can be started here, unless CI=true, where that fails the run with the reason.
 */
export async function postgresOrSkip(ctx: Mocha.Context): Promise<TestPostgres> {
  try {
    return await testPostgres();
  } catch (error) {
    const reason = (error as Error).message;
    if (process.env.CI === 'true' || process.env.CI === '1')
      throw new Error(`CI needs a PostgreSQL server for these specs and none could be started: ${reason}`);
    console.warn(`      (skipped: no PostgreSQL server: ${reason})`);
    ctx.skip();
  }
  throw new Error('unreachable');
}

/** The default leads table as a PostgreSQL team would declare it, for the stage specs. */
export const LEADS_DDL = (table = 'leads'): string => `
  CREATE TABLE ${table} (
    id text PRIMARY KEY,
    name text, email text, company text, title text, linkedin_url text, company_website text,
    phone text, location text, industry text, company_size text, source text,
    status text DEFAULT 'new', engagement_status text, lead_score integer,
    enriched boolean NOT NULL DEFAULT false, notes text,
    airtable_id text UNIQUE, airtable_synced text, sync_status text DEFAULT 'pending',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`;

/** Drops and creates the leads table (`table` is SQL, quoted as needed), then inserts `rows` (column → value). */
export async function leadsTable(client: pg.Client, rows: Array<Record<string, unknown>>, table = 'leads'): Promise<void> {
  await client.query(`DROP TABLE IF EXISTS ${table}`);
  await client.query(LEADS_DDL(table));
  for (const row of rows) {
    const columns = Object.keys(row);
    await client.query(
      `INSERT INTO ${table} (${columns.map((c) => `"${c.replaceAll('"', '""')}"`).join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
      Object.values(row),
    );
  }
}
