import fs from 'node:fs';

/**
 * An append-only scratch file of text entries numbered 0, 1, 2 … in arrival order, read back
 * whole in order or one by number. Parking records here instead of in a SQLite table skips the
 * B-tree and its page writes: appending is a buffered write, and what stays in memory is one
 * 8-byte offset per entry (8 MB for a million).
 */
export class RecordFile {
  private static readonly CHUNK = 1 << 20;
  private readonly fd: number;
  private offsets = new Float64Array(1024);
  private count = 0;
  private end = 0;
  private pending: string[] = [];
  private pendingBytes = 0;
  private scratch = Buffer.alloc(64 * 1024);

  constructor(private readonly file: string) {
    this.fd = fs.openSync(file, 'w+', 0o600);
  }

  get size(): number {
    return this.count;
  }

  /** Appends an entry and returns its number. */
  append(text: string): number {
    if (this.count + 1 >= this.offsets.length) {
      const grown = new Float64Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    this.offsets[this.count] = this.end;
    const bytes = Buffer.byteLength(text);
    this.end += bytes;
    this.offsets[this.count + 1] = this.end;
    this.pending.push(text);
    this.pendingBytes += bytes;
    if (this.pendingBytes >= RecordFile.CHUNK) this.flush();
    return this.count++;
  }

  /** Writes what is buffered (reading does it first). */
  flush(): void {
    if (!this.pending.length) return;
    fs.writeSync(this.fd, this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** One entry by number (a positioned read). */
  get(n: number): string {
    this.flush();
    const start = this.offsets[n]!;
    const length = this.offsets[n + 1]! - start;
    if (length > this.scratch.length) this.scratch = Buffer.alloc(length);
    fs.readSync(this.fd, this.scratch, 0, length, start);
    return this.scratch.toString('utf8', 0, length);
  }

  /** Every entry in number order, read in large chunks. */
  *entries(): Generator<[number, string]> {
    this.flush();
    let buffer = Buffer.alloc(RecordFile.CHUNK);
    let bufferStart = 0;
    let bufferEnd = 0;
    for (let n = 0; n < this.count; n++) {
      const start = this.offsets[n]!;
      const stop = this.offsets[n + 1]!;
      if (stop > bufferEnd) {
        if (stop - start > buffer.length) buffer = Buffer.alloc(stop - start);
        bufferStart = start;
        bufferEnd = start + fs.readSync(this.fd, buffer, 0, Math.min(buffer.length, this.end - start), start);
      }
      yield [n, buffer.toString('utf8', start - bufferStart, stop - bufferStart)];
    }
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
