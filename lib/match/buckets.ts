import { isAscii } from 'node:buffer';
import fs from 'node:fs';

/**
 * Lines sorted into a fixed number of buckets on disk, read back one bucket at a time: a hash
 * partition, so that grouping equal keys (exact matching, blocks) needs one bucket in memory at a
 * time instead of a sort of everything. Each bucket's lines wait in memory until they make a
 * chunk of about 16 KiB, written at the end of the file; a bucket is read back chunk by chunk.
 * Memory: the waiting chunks (4 MiB in all) and one bucket, whatever the data's size.
 */
export class Buckets {
  static readonly COUNT = 256;
  private static readonly CHUNK_BYTES = 16 * 1024;
  private readonly fd: number;
  /**
   * Per bucket, the lines waiting to be written, encoded at once into a chunk of its own (allocated
   * on first use) and how many bytes of it are used. Holding bytes, not strings, keeps no string
   * alive (a line cut from a larger text would keep all of that text alive) and costs the garbage
   * collector nothing.
   */
  private readonly waiting: Array<Buffer | undefined> = new Array(Buckets.COUNT).fill(undefined);
  private readonly used = new Int32Array(Buckets.COUNT);
  /** Per bucket, the file offset and byte length of each chunk written. */
  private readonly chunks: number[][] = Array.from({ length: Buckets.COUNT }, () => []);
  private end = 0;
  private readBuffer = Buffer.alloc(0);

  constructor(private readonly file: string) {
    this.fd = fs.openSync(file, 'w+', 0o600);
  }

  /** Adds a line (which must end with a newline) to a bucket, numbered from 0 to COUNT - 1. */
  add(bucket: number, line: string): void {
    const chunk = (this.waiting[bucket] ??= Buffer.allocUnsafe(Buckets.CHUNK_BYTES));
    // A character takes at most 3 bytes in UTF-8 (a surrogate pair 4 for 2 characters).
    if (this.used[bucket]! + line.length * 3 > chunk.length) {
      this.spill(bucket);
      if (line.length * 3 > chunk.length) {
        this.writeChunk(bucket, Buffer.from(line), Buffer.byteLength(line));
        return;
      }
    }
    this.used[bucket] += chunk.write(line, this.used[bucket]!);
  }

  private spill(bucket: number): void {
    const used = this.used[bucket]!;
    if (used === 0) return;
    this.writeChunk(bucket, this.waiting[bucket]!, used);
    this.used[bucket] = 0;
  }

  private writeChunk(bucket: number, bytes: Buffer, length: number): void {
    fs.writeSync(this.fd, bytes, 0, length, this.end);
    this.chunks[bucket]!.push(this.end, length);
    this.end += length;
  }

  /** Every line of one bucket, in the order they were added, as one text. */
  read(bucket: number): string {
    this.spill(bucket);
    const chunks = this.chunks[bucket]!;
    let total = 0;
    for (let i = 1; i < chunks.length; i += 2) total += chunks[i]!;
    // One buffer for every bucket read, grown as needed: a new one per bucket would leave hundreds
    // of megabytes for the garbage collector to find, and the peak memory would grow with the data.
    if (this.readBuffer.length < total) this.readBuffer = Buffer.allocUnsafe(Math.max(total, this.readBuffer.length * 2));
    const buffer = this.readBuffer;
    let at = 0;
    for (let i = 0; i < chunks.length; i += 2) at += fs.readSync(this.fd, buffer, at, chunks[i + 1]!, chunks[i]!);
    // Keys and profiles are folded text, nearly always ASCII, which decodes as Latin-1 at copy speed.
    const bytes = buffer.subarray(0, at);
    return bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
    fs.rmSync(this.file, { force: true });
  }
}

/**
 * Field text inside a tab-separated line: tabs, newlines and backslashes escaped. Keys and ids
 * almost never hold one, so the test is the common cost.
 */
export function escapeField(text: string): string {
  return SPECIAL.test(text) ? text.replace(SPECIALS, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : '\\n')) : text;
}
const SPECIAL = /[\\\t\n]/;
const SPECIALS = /[\\\t\n]/g;

export function unescapeField(text: string): string {
  return text.includes('\\') ? text.replace(/\\(.)/gs, (_m, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c)) : text;
}
