import { createHash } from 'node:crypto';
import os from 'node:os';
import { LockError, LockLostError } from '../safety/errors.js';
import type { PgClient } from './connection.js';

/**
 * One maintenance run per PostgreSQL table at a time, across machines: a session-level advisory
 * lock on a key derived from the database and the table. The server releases it when the session
 * ends, so a run killed with -9 (or a machine that lost its connection) leaves no stale lock to
 * clean up. The lock's session carries the run in its application_name, so a run that finds the
 * lock held can say which run holds it, from which host, since when.
 */

/** What a run finds out about the run holding the lock. */
export interface AdvisoryHolder {
  run_id?: string;
  pid?: number;
  host?: string;
  server_pid: number;
  client_address?: string;
  since?: string;
}

/** The advisory lock of one table, held by one session until released. */
export interface AdvisoryLock {
  key: bigint;
  /** True when this process already held it for the same run (a recovery inside the run): nothing was taken, nothing to release. */
  reentered: boolean;
  /** Throws LockLostError once the session holding the lock has ended (the server released it with the session). */
  check(): void;
  release(): Promise<void>;
}

const PREFIX = 'lead-maintenance';

/**
 * The 64-bit key of a table (`schema.table` as the catalogue names it). Advisory locks are per
 * database already, and machines may reach the server under different host names, so only the
 * table goes into the key: every machine derives the same one.
 */
export function advisoryKey(table: string): bigint {
  return createHash('sha256').update(`${PREFIX}\0${table}`).digest().readBigInt64BE(0);
}

/** The session's application_name while it holds the lock: the run, the process and the host (the server cuts it at 63 bytes). */
export function lockApplicationName(runId: string, pid = process.pid, host = os.hostname()): string {
  return `lm:${runId}:${pid}@${host}`.slice(0, 63);
}

function parseApplicationName(name: string): Pick<AdvisoryHolder, 'run_id' | 'pid' | 'host'> {
  const match = /^lm:([^:]+):(\d+)@(.*)$/.exec(name);
  return match ? { run_id: match[1], pid: Number(match[2]), host: match[3] || undefined } : {};
}

/**
 * Takes the lock on `client`, a session of its own kept open for the whole run (the lock lives and
 * dies with it). Throws LockError naming the holder when another session has it. `label` names
 * the table for messages (no secret).
 */
export async function acquireAdvisoryLock(
  client: PgClient,
  key: bigint,
  label: string,
  options: { runId: string; close?: () => Promise<void> },
): Promise<AdvisoryLock> {
  const name = lockApplicationName(options.runId);
  await client.query(`SELECT set_config('application_name', $1, false)`, [name]);
  const taken = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [key.toString()]);
  const close = options.close ?? (async () => undefined);
  if (taken.rows[0]?.locked) {
    let released = false;
    let lost: string | undefined;
    const gone = (why: string) => () => {
      if (!released) lost ??= why;
    };
    client.on('error', (error: Error) => gone(error.message)());
    client.on('end', gone('the connection was closed'));
    return {
      key,
      reentered: false,
      check() {
        if (lost !== undefined) throw new LockLostError(lostMessage(label, lost, options.runId));
      },
      async release() {
        if (released) return;
        released = true;
        try {
          await client.query('SELECT pg_advisory_unlock($1::bigint)', [key.toString()]);
        } catch {
          // The session is gone, and the lock with it.
        }
        await close();
      },
    };
  }
  const holder = await advisoryHolder(client, key);
  // The same run of this process holds it on another session (a rollback inside the run that failed): it goes on under that lock.
  if (holder?.run_id === options.runId && holder.pid === process.pid && holder.host === os.hostname()) {
    await close();
    return { key, reentered: true, check: () => undefined, release: async () => undefined };
  }
  await close();
  throw new LockError(lockedMessage(label, holder), `advisory lock ${key} (${label})`, false);
}

/** The session holding the advisory lock `key` in the current database, if the server shows it. */
export async function advisoryHolder(client: PgClient, key: bigint): Promise<AdvisoryHolder | undefined> {
  const unsigned = BigInt.asUintN(64, key);
  const classid = (unsigned >> 32n).toString();
  const objid = (unsigned & 0xffffffffn).toString();
  const found = await client.query<{ pid: number; application_name: string; client_addr: string | null; backend_start: Date | null }>(
    `SELECT a.pid, a.application_name, host(a.client_addr) AS client_addr, a.backend_start
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.classid = $1::oid AND l.objid = $2::oid
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      LIMIT 1`,
    [classid, objid],
  );
  const row = found.rows[0];
  if (!row) return undefined;
  return {
    ...parseApplicationName(row.application_name ?? ''),
    server_pid: row.pid,
    client_address: row.client_addr ?? undefined,
    since: row.backend_start ? new Date(row.backend_start).toISOString() : undefined,
  };
}

/** The holder in words: the run, its process and host, since when; or the session that is not a run. */
export function describeHolder(holder: AdvisoryHolder): string {
  const since = holder.since ? `, connected since ${holder.since}` : '';
  if (holder.run_id) return `run ${holder.run_id} (pid ${holder.pid} on ${holder.host ?? holder.client_address ?? 'an unknown host'}${since})`;
  return `a session that is not a maintenance run (server pid ${holder.server_pid}${holder.client_address ? ` from ${holder.client_address}` : ''}${since})`;
}

function lockedMessage(label: string, holder: AdvisoryHolder | undefined): string {
  const who = holder ? describeHolder(holder) : 'another session (it ended as this run looked; try again)';
  return (
    `${label} is locked by ${who}: one maintenance run at a time, on any machine. Wait for it to finish; ` +
    'the lock is a PostgreSQL advisory lock, released by the server as soon as that session ends (even if its process was killed).'
  );
}

function lostMessage(label: string, why: string, runId: string): string {
  return (
    `The run lost its lock on ${label}: the connection holding the advisory lock ended (${why}), and the server released the lock with it, ` +
    'so another run could start on the table. This run stopped before its next write; what it applied is in its journal. ' +
    `Check that no other run is working on the table (db-maintenance --status), then finish this run with db-maintenance --resume ${runId}, or undo it with db-maintenance --rollback ${runId}.`
  );
}
