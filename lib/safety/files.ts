import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../core/private-files.js';

/**
 * Makes a SQLite file of the tool's own (the sample database, the emulated base, the sync state)
 * private before SQLite opens it: its directory is created owner-only when missing, the file is
 * created empty (a valid new database) with mode 0600, and an existing one and its -wal/-shm are
 * narrowed to 0600. SQLite gives the -wal and -shm files it creates the database file's mode.
 */
export function privateDatabaseFile(file: string): string {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: PRIVATE_DIR_MODE });
  fs.closeSync(fs.openSync(file, 'a', PRIVATE_FILE_MODE));
  for (const each of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((fs.statSync(each).mode & 0o077) !== 0) fs.chmodSync(each, PRIVATE_FILE_MODE);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return file;
}

/** How a backup file is opened for writing; tests replace it to simulate a full disk. */
export type OpenOutput = (file: string) => Writable;

/** Opens `file` for writing, owner-only, failing if it exists (a backup never overwrites). */
export const openPrivateFile: OpenOutput = (file) => fs.createWriteStream(file, { flags: 'wx', mode: PRIVATE_FILE_MODE });

/** What was written: size and SHA-256 of the bytes as stored. */
export interface WrittenFile {
  bytes: number;
  sha256: string;
}

/**
 * Streams `source` through `transforms` into `file` (mode 0600), hashing the bytes as stored. On
 * any failure the partial file is deleted and the error rethrown.
 */
export async function writeStreamed(source: Readable, transforms: Transform[], file: string, open: OpenOutput = openPrivateFile): Promise<WrittenFile> {
  const hash = createHash('sha256');
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  let out: Writable | undefined;
  try {
    out = open(file);
    await pipeline([source, ...transforms, counter, out] as unknown as [Readable, Writable]);
  } catch (error) {
    out?.destroy();
    fs.rmSync(file, { force: true });
    throw error;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** The SHA-256 and size of a file, streamed. */
export async function hashFile(file: string): Promise<WrittenFile> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** Writes a small JSON file owner-only, atomically (temp file, then rename). */
export function writeJsonAtomic(file: string, value: unknown): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(value, null, 2) + '\n', { mode: PRIVATE_FILE_MODE });
  fs.renameSync(temp, file);
}
