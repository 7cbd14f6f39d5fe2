/**
 * Loaded with `node --import` into every process (and worker thread) the identity check starts,
 * so that what the tools draw at random comes out the same on every run: run ids, the ids of new
 * local rows and of records the Airtable emulator creates, and retry jitter. The tools read their
 * randomness from `crypto.randomUUID`, `crypto.randomBytes` and `Math.random`; each of the three
 * gets its own stream, seeded by LEAD_IDENTITY_SEED (one value per command the check runs) and
 * the thread id, so one more draw from one of them does not shift the others. Nothing else of the
 * tools is touched: the clock keeps running, and its traces are normalised afterwards.
 */
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { threadId } from 'node:worker_threads';

const seed = `${process.env.LEAD_IDENTITY_SEED ?? 'identity'}/thread-${threadId}`;

/** A stream of bytes: SHA-256 of the seed, the stream's name and a counter, block after block. */
function byteStream(name: string): (size: number) => Buffer {
  let counter = 0;
  let pending = Buffer.alloc(0);
  return (size) => {
    while (pending.length < size) {
      const block = crypto.createHash('sha256').update(`${seed}/${name}/${counter++}`).digest();
      pending = Buffer.concat([pending, block]);
    }
    const out = pending.subarray(0, size);
    pending = pending.subarray(size);
    return Buffer.from(out);
  };
}

const uuidBytes = byteStream('randomUUID');
const randomBytesOf = byteStream('randomBytes');
const mathBytes = byteStream('Math.random');

function randomUUID(): string {
  const bytes = uuidBytes(16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function randomBytes(size: number, callback?: (error: Error | null, bytes: Buffer) => void): Buffer | undefined {
  const bytes = randomBytesOf(size);
  if (!callback) return bytes;
  process.nextTick(callback, null, bytes);
  return undefined;
}

/** 53 random bits as a number in [0, 1), as Math.random gives. */
function random(): number {
  const bytes = mathBytes(8);
  const high = bytes.readUInt32BE(0) >>> 11;
  const low = bytes.readUInt32BE(4);
  return (high * 4294967296 + low) / 9007199254740992;
}

Object.assign(crypto, { randomUUID, randomBytes });
Math.random = random;
// Modules that import { randomUUID } from 'node:crypto' see the replacements too.
syncBuiltinESMExports();
