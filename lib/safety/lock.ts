import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LockError } from './errors.js';
import { privateDir, PRIVATE_FILE_MODE } from '../core/private-files.js';
import { processRuns } from '../core/processes.js';

/** Who holds a lock. */
export interface LockOwner {
  pid: number;
  host: string;
  run_id: string;
  started_at: string;
  resource: string;
}

export interface Lock {
  files: string[];
  release(): void;
  /** Throws LockLostError once the lock is no longer held (a lock held by a server session that ended); lock files cannot be lost. */
  check?(): void;
}

export interface LockOptions {
  runId: string;
  now?: () => Date;
  /** Remove a lock whose owner is provably gone (same host, no such process). Off by default: a stale lock is reported. */
  breakStale?: boolean;
}

/**
 * One maintenance run per database and per Airtable base at a time. Each resource (a database
 * path, `airtable:<base id>`) gets a lock file in `<stateDir>/locks/`, created exclusively and
 * holding the owner's pid, host, run id and start time. All resources are locked or none.
 *
 * A lock whose owner is on this host and no longer running is stale: it is reported with what to
 * do, and removed only when asked (`breakStale`), never silently. A lock from another host cannot
 * be judged from here and is always reported as held.
 */
export function acquireLock(stateDir: string, resources: string[], options: LockOptions): Lock {
  const dir = privateDir(path.join(stateDir, 'locks'));
  const taken: string[] = [];
  const release = (): void => {
    for (const file of taken.splice(0)) {
      try {
        const owner = JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner;
        if (owner.pid === process.pid && owner.run_id === options.runId) fs.rmSync(file, { force: true });
      } catch {
        // already gone
      }
    }
  };
  try {
    for (const resource of [...new Set(resources)].sort()) {
      const { file, reentered } = lockOne(dir, resource, options);
      // A lock this run already holds (resume inside the same process) stays with its first holder.
      if (!reentered) taken.push(file);
    }
  } catch (error) {
    release();
    throw error;
  }
  return { files: [...taken], release };
}

function lockFileFor(dir: string, resource: string): string {
  const label = path
    .basename(resource)
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .slice(0, 40);
  return path.join(dir, `${label}-${createHash('sha256').update(resource).digest('hex').slice(0, 12)}.lock`);
}

function lockOne(dir: string, resource: string, options: LockOptions): { file: string; reentered: boolean } {
  const file = lockFileFor(dir, resource);
  const owner: LockOwner = {
    pid: process.pid,
    host: os.hostname(),
    run_id: options.runId,
    started_at: (options.now?.() ?? new Date()).toISOString(),
    resource,
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(owner) + '\n', { flag: 'wx', mode: PRIVATE_FILE_MODE });
      return { file, reentered: false };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readOwner(file);
    if (holder && holder.pid === process.pid && holder.host === owner.host && holder.run_id === options.runId) return { file, reentered: true };
    const stale = holder !== undefined && holder.host === owner.host && !processRuns(holder.pid);
    // Resuming or rolling back the very run that died holding the lock takes it over.
    if (stale && (options.breakStale || holder.run_id === options.runId) && attempt === 0) {
      fs.rmSync(file, { force: true });
      continue;
    }
    if (stale) {
      throw new LockError(
        `A stale lock on ${resource}: run ${holder.run_id} (pid ${holder.pid} on ${holder.host}, started ${holder.started_at}) no longer runs but left ${file}. Finish that run with db-maintenance --resume ${holder.run_id} or undo it with db-maintenance --rollback ${holder.run_id} (either takes its lock over); or, once you are sure no run is in progress, remove the lock: rm '${file}' (run-pipeline: the backup step's break_stale_lock: true).`,
        file,
        true,
      );
    }
    const who = holder
      ? `run ${holder.run_id} (pid ${holder.pid} on ${holder.host}, started ${holder.started_at})`
      : 'another run (its lock file is unreadable)';
    throw new LockError(`${resource} is locked by ${who}: one maintenance run at a time. Wait for it to finish; the lock is ${file}.`, file, false);
  }
  throw new LockError(`Could not lock ${resource} (${file}).`, file, false);
}

function readOwner(file: string): LockOwner | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}
