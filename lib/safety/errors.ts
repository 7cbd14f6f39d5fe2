import { StageError } from '../core/errors.js';
import { WriteStopped } from '../core/write-checks.js';

/** A backup that cannot be made, read, verified or restored; says what and how to fix it. */
export class BackupError extends StageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('backup', message, options);
    this.name = 'BackupError';
  }
}

/** Another run holds the lock, or a stale lock was found. */
export class LockError extends Error {
  constructor(
    message: string,
    readonly lockFile: string,
    readonly stale: boolean,
  ) {
    super(message);
    this.name = 'LockError';
  }
}

/**
 * The run's lock went away while it ran (the server session holding it ended): another run could
 * start, so this one stops before its next write, leaving its journal to resume or roll back.
 */
export class LockLostError extends WriteStopped {
  constructor(message: string) {
    super(message);
    this.name = 'LockLostError';
  }
}

/** True when `error`, or an error it was caused by, is a LockLostError. */
export function isLockLost(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) if (e instanceof LockLostError) return true;
  return false;
}

/** `--resume` / `--rollback` of a run id that has no journal (or is no run id): a usage problem, exit 2. */
export class UnknownRunError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UnknownRunError';
  }
}

/**
 * A recovery whose journal names another database or base than the configuration: it acts only
 * on the configured one, and only once the user confirms (exit 5 until then).
 */
export class TargetMismatchError extends Error {
  readonly exitCode = 5;
  constructor(message: string) {
    super(message);
    this.name = 'TargetMismatchError';
  }
}

/**
 * A rollback that could not finish (a database locked by another program, an Airtable quota or
 * outage): what was undone stays journaled, and running the rollback again finishes it. A person
 * must act, so it is an alert (exit 4).
 */
export class RollbackIncompleteError extends StageError {
  override readonly exitCode: number = 4;
  constructor(
    message: string,
    readonly runId: string,
    readonly undone: Record<'local' | 'airtable', number>,
    readonly left: Record<'local' | 'airtable', number>,
    readonly command: string,
    options?: { cause?: unknown },
  ) {
    super('rollback', message, options);
    this.name = 'RollbackIncompleteError';
  }
}
