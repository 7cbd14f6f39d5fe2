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
   * Per bucket, the lines waiting to be written, as bytes in a chunk of its own (allocated on
   * first use), and how many bytes of it are used. Bytes, not strings: nothing is decoded or
   * encoded, no string is kept alive, and the garbage collector has nothing to do.
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

  /**
   * Adds the line `head TAB seq TAB tail NEWLINE` to a bucket (numbered from 0 to COUNT - 1), head
   * and tail copied as they are from the UTF-8 bytes `src[headStart, headEnd)` and
   * `src[tailStart, tailEnd)`: the clustering parks a record's rows without decoding its text.
   */
  add(bucket: number, src: Uint8Array, headStart: number, headEnd: number, seq: string, tailStart: number, tailEnd: number): void {
    const length = headEnd - headStart + seq.length + tailEnd - tailStart + 3;
    let chunk = (this.waiting[bucket] ??= Buffer.allocUnsafe(Buckets.CHUNK_BYTES));
    let at = this.used[bucket]!;
    if (at + length > chunk.length) {
      this.spill(bucket);
      at = 0;
      // A line longer than a chunk is written on its own.
      if (length > chunk.length) chunk = Buffer.allocUnsafe(length);
    }
    at += copy(src, headStart, headEnd, chunk, at);
    chunk[at++] = 9;
    at += chunk.write(seq, at, 'latin1');
    chunk[at++] = 9;
    at += copy(src, tailStart, tailEnd, chunk, at);
    chunk[at++] = 10;
    if (chunk === this.waiting[bucket]) this.used[bucket] = at;
    else this.writeChunk(bucket, chunk, at);
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

/** Copies `src[start, end)` into `target` at `at`; returns how many bytes. */
function copy(src: Uint8Array, start: number, end: number, target: Buffer, at: number): number {
  // Most parts are a few dozen bytes, copied faster here than through a native call.
  if (end - start > 64) {
    target.set(src.subarray(start, end), at);
  } else {
    for (let i = start; i < end; i++) target[at++] = src[i]!;
  }
  return end - start;
}

/** The bucket of a key (FNV-1a, spread over the bucket count). */
export function bucketOfKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % Buckets.COUNT;
}

/** The bucket of a block, from its `blockHash`. */
export function bucketOfHash(hash: number): number {
  return hash % Buckets.COUNT;
}

/** A block's 53-bit hash of its key (two FNV-1a variants): exact in a JavaScript number, written as a decimal. */
export function blockHash(text: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return (h2 >>> 11) * 0x100000000 + (h1 >>> 0);
}

/**
 * The keys (first field) that two or more lines of a bucket's text share, each with where its
 * lines start, in line order. Most keys are on one line only and cost one map entry.
 */
export function sharedKeys(text: string): Map<string, number[]> {
  const first = new Map<string, number>();
  const shared = new Map<string, number[]>();
  for (let start = 0; start < text.length; ) {
    const key = text.slice(start, text.indexOf('\t', start));
    const seen = first.get(key);
    if (seen === undefined) first.set(key, start);
    else {
      const starts = shared.get(key);
      if (starts) starts.push(start);
      else shared.set(key, [seen, start]);
    }
    start = text.indexOf('\n', start) + 1;
  }
  return shared;
}
