import { createCipheriv, createDecipheriv, randomBytes, scryptSync, type CipherGCM, type DecipherGCM } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { BackupError } from './errors.js';

/**
 * Backup encryption: AES-256-GCM (authenticated, so a changed byte fails decryption instead of
 * yielding altered data). The key comes from an environment variable, either 32 bytes as 64 hex
 * characters or as base64, or a passphrase stretched with scrypt and a per-file salt. Files are
 * encrypted as they stream out, so no plaintext copy ever reaches the disk.
 *
 * File layout: `LMENC001` (8 bytes), salt (16), IV (12), ciphertext, GCM tag (16). The header is
 * the additional authenticated data, so it cannot be swapped either.
 */
const MAGIC = Buffer.from('LMENC001');
const HEADER_BYTES = MAGIC.length + 16 + 12;
const TAG_BYTES = 16;

/** The encryption key's source: the environment variable that holds it. */
export interface KeySource {
  /** The variable's name (never its value) for messages. */
  env: string;
  value: string;
}

/** Reads the key from `envName`, with a clear error when it is missing. */
export function keyFromEnv(envName: string, env: NodeJS.ProcessEnv = process.env): KeySource {
  const value = env[envName];
  if (!value) {
    throw new BackupError(
      `Backup encryption is on but the environment variable ${envName} is not set. Set it to the backup key (64 hex characters, 32 bytes in base64, or a passphrase of at least 12 characters).`,
    );
  }
  if (!isRawKey(value) && value.length < 12) {
    throw new BackupError(`The backup key in ${envName} is too short: give 64 hex characters, 32 bytes in base64, or a passphrase of at least 12 characters.`);
  }
  return { env: envName, value };
}

function isRawKey(value: string): boolean {
  return /^[0-9a-fA-F]{64}$/.test(value) || (/^[A-Za-z0-9+/]{43}=$/.test(value) && Buffer.from(value, 'base64').length === 32);
}

function deriveKey(key: KeySource, salt: Buffer): Buffer {
  if (/^[0-9a-fA-F]{64}$/.test(key.value)) return Buffer.from(key.value, 'hex');
  if (isRawKey(key.value)) return Buffer.from(key.value, 'base64');
  return scryptSync(key.value, salt, 32);
}

/** True when `head` (the first bytes of a file) starts like an encrypted backup. */
export function looksEncrypted(head: Buffer): boolean {
  return head.length >= MAGIC.length && head.subarray(0, MAGIC.length).equals(MAGIC);
}

/** A stream that encrypts what passes through it. */
export function encryptStream(key: KeySource): Transform {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const header = Buffer.concat([MAGIC, salt, iv]);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(key, salt), iv) as CipherGCM;
  cipher.setAAD(header);
  let started = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (!started) {
        started = true;
        this.push(header);
      }
      callback(null, cipher.update(chunk));
    },
    flush(callback: TransformCallback) {
      if (!started) this.push(header);
      this.push(cipher.final());
      callback(null, cipher.getAuthTag());
    },
  });
}

/**
 * A stream that decrypts an encrypted backup. It holds back the last 16 bytes (the tag) until the
 * input ends; a wrong key or any changed byte fails the stream at the end with a `BackupError`
 * naming `what`. Consumers must not trust what they received until the stream has ended.
 */
export function decryptStream(key: KeySource, what: string): Transform {
  let header = Buffer.alloc(0);
  let decipher: DecipherGCM | undefined;
  let tail = Buffer.alloc(0);
  const wrong = (): BackupError =>
    new BackupError(`${what} failed authentication: the key in ${key.env} is not the one it was encrypted with, or the file was altered after it was written.`);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      let data = chunk;
      if (!decipher) {
        header = Buffer.concat([header, data]);
        if (header.length < HEADER_BYTES) return callback();
        if (!looksEncrypted(header))
          return callback(new BackupError(`${what} is not an encrypted backup file (its header is wrong); it may be truncated or replaced.`));
        const salt = header.subarray(MAGIC.length, MAGIC.length + 16);
        const iv = header.subarray(MAGIC.length + 16, HEADER_BYTES);
        decipher = createDecipheriv('aes-256-gcm', deriveKey(key, salt), iv) as DecipherGCM;
        decipher.setAAD(header.subarray(0, HEADER_BYTES));
        data = header.subarray(HEADER_BYTES);
      }
      const all = Buffer.concat([tail, data]);
      const keep = Math.min(TAG_BYTES, all.length);
      tail = all.subarray(all.length - keep);
      callback(null, decipher.update(all.subarray(0, all.length - keep)));
    },
    flush(callback: TransformCallback) {
      if (!decipher || tail.length < TAG_BYTES) return callback(new BackupError(`${what} is truncated: it ends before its authentication tag.`));
      try {
        decipher.setAuthTag(tail);
        callback(null, decipher.final());
      } catch {
        callback(wrong());
      }
    },
  });
}
