import { StageError } from '../errors.js';

/** A backup that cannot be made, read, verified or restored; says what and how to fix it. */
export class BackupError extends StageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('backup', message, options);
    this.name = 'BackupError';
  }
}

/** Another run holds the lock, or a stale lock was found. */
export class LockError extends Error {
  constructor(message: string, readonly lockFile: string, readonly stale: boolean) {
    super(message);
    this.name = 'LockError';
  }
}
