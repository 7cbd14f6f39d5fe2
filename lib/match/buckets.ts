import fs from 'node:fs';

/**
 * Lines sorted into a fixed number of buckets on disk, read back one bucket at a time: a hash
 * partition, so that grouping equal keys (exact matching, blocks) needs one bucket in memory at a
 * time instead of a sort of everything. Each bucket fills a small buffer, written to the file as
 * one chunk when full; a bucket is read back chunk by chunk. Memory: the buffers (1 MiB in all)
 * and one bucket, whatever the data's size.
 */
export class Buckets {
  static readonly COUNT = 256;
  private static readonly CHUNK = 4096;
  private readonly fd: number;
  private readonly buffers: Buffer;
  private readonly used = new Int32Array(Buckets.COUNT);
  /** Per bucket, the file offset and byte length of each chunk written. */
  private readonly chunks: number[][] = Array.from({ length: Buckets.COUNT }, () => []);
  private end = 0;

  constructor(private readonly file: string) {
    this.fd = fs.openSync(file, 'w+', 0o600);
    this.buffers = Buffer.allocUnsafe(Buckets.COUNT * Buckets.CHUNK);
  }

  /** Adds a line (which must end with a newline) to a bucket, numbered from 0 to COUNT - 1. */
  add(bucket: number, line: string): void {
    // A UTF-16 unit takes at most 3 bytes in UTF-8: past that bound the chunk may not hold the line.
    if (this.used[bucket]! + line.length * 3 > Buckets.CHUNK) {
      this.spill(bucket);
      if (line.length * 3 > Buckets.CHUNK) {
        const bytes = fs.writeSync(this.fd, line, this.end, 'utf8');
        this.chunks[bucket]!.push(this.end, bytes);
        this.end += bytes;
        return;
      }
    }
    this.used[bucket]! += this.buffers.write(line, bucket * Buckets.CHUNK + this.used[bucket]!);
  }

  private spill(bucket: number): void {
    const used = this.used[bucket]!;
    if (used === 0) return;
    fs.writeSync(this.fd, this.buffers, bucket * Buckets.CHUNK, used, this.end);
    this.chunks[bucket]!.push(this.end, used);
    this.end += used;
    this.used[bucket] = 0;
  }

  /** Every line of one bucket, in the order they were added, as one text. */
  read(bucket: number): string {
    this.spill(bucket);
    const chunks = this.chunks[bucket]!;
    let total = 0;
    for (let i = 1; i < chunks.length; i += 2) total += chunks[i]!;
    const buffer = Buffer.allocUnsafe(total);
    let at = 0;
    for (let i = 0; i < chunks.length; i += 2) at += fs.readSync(this.fd, buffer, at, chunks[i + 1]!, chunks[i]!);
    return buffer.toString('utf8', 0, at);
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
