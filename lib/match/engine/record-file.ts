import fs from 'node:fs';

const NEWLINE = Buffer.from('\n');

/**
 * An append-only scratch file of text entries numbered 0, 1, 2 … in arrival order, read back
 * whole in order or one by number. What stays in memory per entry is its byte length (2 bytes;
 * the rare entry of 64 KiB or more is kept in a map) plus one offset per 64 entries: about 2 MB
 * for a million entries.
 */
export class RecordFile {
  private static readonly CHUNK = 1 << 20;
  private static readonly LONG = 0xffff;
  private readonly fd: number;
  private lengths = new Uint16Array(1024);
  private readonly longLengths = new Map<number, number>();
  /** The offset of every 64th entry. */
  private checkpoints = new Float64Array(16);
  private count = 0;
  private end = 0;
  /** Entries waiting to be written, encoded at once (so no string is kept alive for them), and the bytes used. */
  private readonly pending = Buffer.allocUnsafe(RecordFile.CHUNK);
  private pendingBytes = 0;
  private scratch = Buffer.alloc(64 * 1024);

  constructor(private readonly file: string) {
    this.fd = fs.openSync(file, 'w+', 0o600);
  }

  get size(): number {
    return this.count;
  }

  /** Appends an entry (text without a newline) and returns its number. */
  append(entry: string): number {
    // A character takes at most 3 bytes in UTF-8 (a surrogate pair 4 for 2 characters).
    const most = entry.length * 3 + 1;
    if (this.pendingBytes + most > this.pending.length) this.flush();
    if (most > this.pending.length) {
      const text = Buffer.from(`${entry}\n`);
      fs.writeSync(this.fd, text);
      return this.added(text.length);
    }
    const bytes = this.pending.write(entry, this.pendingBytes) + 1;
    this.pending[this.pendingBytes + bytes - 1] = 10;
    this.pendingBytes += bytes;
    return this.added(bytes);
  }

  /** Appends an entry given as UTF-8 bytes, `src[start, end)` (without a newline), and returns its number. */
  appendBytes(src: Uint8Array, start: number, end: number): number {
    const bytes = end - start + 1;
    if (this.pendingBytes + bytes > this.pending.length) this.flush();
    if (bytes > this.pending.length) {
      fs.writeSync(this.fd, src, start, end - start);
      fs.writeSync(this.fd, NEWLINE);
    } else {
      this.pending.set(src.subarray(start, end), this.pendingBytes);
      this.pending[this.pendingBytes + bytes - 1] = 10;
      this.pendingBytes += bytes;
    }
    return this.added(bytes);
  }

  /** Notes the length (and every 64th offset) of the entry just written; returns its number. */
  private added(bytes: number): number {
    const n = this.count;
    if (n === this.lengths.length) {
      const grown = new Uint16Array(n * 2);
      grown.set(this.lengths);
      this.lengths = grown;
    }
    if ((n & 63) === 0) {
      if (n >> 6 === this.checkpoints.length) {
        const grown = new Float64Array(this.checkpoints.length * 2);
        grown.set(this.checkpoints);
        this.checkpoints = grown;
      }
      this.checkpoints[n >> 6] = this.end;
    }
    if (bytes >= RecordFile.LONG) {
      this.lengths[n] = RecordFile.LONG;
      this.longLengths.set(n, bytes);
    } else {
      this.lengths[n] = bytes;
    }
    this.end += bytes;
    return this.count++;
  }

  private lengthOf(n: number): number {
    const length = this.lengths[n]!;
    return length === RecordFile.LONG ? this.longLengths.get(n)! : length;
  }

  /** Writes what is buffered (reading does it first). */
  flush(): void {
    if (this.pendingBytes === 0) return;
    fs.writeSync(this.fd, this.pending, 0, this.pendingBytes);
    this.pendingBytes = 0;
  }

  /** One entry by number (a positioned read). */
  get(n: number): string {
    this.flush();
    let start = this.checkpoints[n >> 6]!;
    for (let i = n & ~63; i < n; i++) start += this.lengthOf(i);
    const length = this.lengthOf(n);
    if (length > this.scratch.length) this.scratch = Buffer.alloc(length);
    fs.readSync(this.fd, this.scratch, 0, length, start);
    return this.scratch.toString('utf8', 0, length - 1);
  }

  /**
   * Every entry in number order, read and decoded a large chunk at a time. `wanted`, when given,
   * says which entries to hand out; the others come back as an empty string.
   */
  *entries(wanted?: (n: number) => boolean): Generator<[number, string]> {
    for (const [first, last, buffer, bytes] of this.chunks()) {
      // Decoded at once and split at newlines.
      const text = buffer.toString('utf8', 0, bytes);
      let at = 0;
      for (let n = first; n < last; n++) {
        const end = text.indexOf('\n', at);
        yield [n, !wanted || wanted(n) ? text.slice(at, end) : ''];
        at = end + 1;
      }
    }
  }

  /**
   * The wanted entries in number order as UTF-8 bytes, never decoded: each a view into a chunk
   * buffer, valid until the next entry is asked for.
   */
  *entryBytes(wanted: (n: number) => boolean): Generator<[number, Buffer]> {
    for (const [first, last, buffer] of this.chunks()) {
      let at = 0;
      for (let n = first; n < last; n++) {
        const length = this.lengthOf(n);
        if (wanted(n)) yield [n, buffer.subarray(at, at + length - 1)];
        at += length;
      }
    }
  }

  /** The file a large chunk at a time: entries `first` to `last` (at least one), read into `buffer`'s first `bytes`. */
  private *chunks(): Generator<[first: number, last: number, buffer: Buffer, bytes: number]> {
    this.flush();
    let buffer = Buffer.alloc(RecordFile.CHUNK);
    let start = 0;
    for (let n = 0; n < this.count; ) {
      let stop = start + this.lengthOf(n);
      let last = n + 1;
      while (last < this.count && stop + this.lengthOf(last) - start <= buffer.length) stop += this.lengthOf(last++);
      if (stop - start > buffer.length) buffer = Buffer.alloc(stop - start);
      fs.readSync(this.fd, buffer, 0, stop - start, start);
      yield [n, last, buffer, stop - start];
      n = last;
      start = stop;
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
