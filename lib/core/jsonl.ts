import fs from 'node:fs';
import { dirname } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';

/**
 * JSON Lines reading and writing, tuned for throughput: input is read in 64 KiB blocks and split
 * by hand (one `await` per block, not per line), output is buffered into ~1 MiB strings. Both keep
 * the 1-based line number so a bad line can be reported as `file:line:col`.
 */

export * from './jsonl-read.js';

/**
 * Records already serialized: whole JSON lines, each ending with a newline, and how many. A stage
 * may emit these in place of records when lib/parallel's `serializedOutput(ctx)` says so (the step
 * after it is the last and writes JSON Lines with `_meta`), so records it holds as text anyway, as
 * dedupe does in its scratch files, are written as they are instead of being parsed and serialized again.
 */
export class SerializedRecords {
  /** `data`: the lines, as text or UTF-8 bytes; `withoutMeta`: the lines leave `_meta` out (for a writer that strips it). */
  constructor(
    readonly data: string | Uint8Array,
    readonly count: number,
    readonly withoutMeta = false,
  ) {}
}

/**
 * JSON lines built as UTF-8 bytes, one line at a time, into bytes of their own that can move to
 * another thread without a copy. Line by line, because V8 encodes an ASCII string at copying
 * speed: one long text of the lines is as slow to encode as its widest character makes it (a
 * single emoji in a block of accented names), and has to be joined first.
 */
export class LineBytes {
  private bytes: Buffer;
  private length = 0;

  constructor(capacity = 64 * 1024) {
    this.bytes = Buffer.allocUnsafeSlow(capacity);
  }

  /** Bytes so far. */
  get size(): number {
    return this.length;
  }

  /** Adds a line of text (a newline is added). */
  add(text: string): void {
    // A character takes at most 3 bytes in UTF-8 (a surrogate pair 4 for 2 characters).
    this.room(text.length * 3 + 1);
    this.length += this.bytes.write(text, this.length);
    this.bytes[this.length++] = 10;
  }

  /** Adds UTF-8 bytes as they are, `src[start, end)` (part of a line, or whole lines with their newlines). */
  addBytes(src: Uint8Array, start: number, end: number): void {
    this.room(end - start);
    this.bytes.set(src.subarray(start, end), this.length);
    this.length += end - start;
  }

  /** The lines so far, in memory of their own and of their exact length (so it can be moved to another thread). */
  take(): Uint8Array {
    const data = new Uint8Array(this.length);
    data.set(this.bytes.subarray(0, this.length));
    this.length = 0;
    return data;
  }

  /**
   * The lines so far without a copy: a view of this buffer's own memory (it can be moved to another
   * thread), which is handed over; the next lines go to a new buffer.
   */
  detach(): Uint8Array {
    const data = new Uint8Array(this.bytes.buffer, this.bytes.byteOffset, this.length);
    this.bytes = Buffer.allocUnsafeSlow(this.bytes.length);
    this.length = 0;
    return data;
  }

  private room(bytes: number): void {
    if (this.length + bytes <= this.bytes.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.bytes.length * 2, this.length + bytes));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }
}

/** How many records an item of a stage's output is: one, or the lines of a `SerializedRecords`. */
export function recordCount(item: unknown): number {
  return item instanceof SerializedRecords ? item.count : 1;
}

/** Opens a file (`-` for `stdin`) for reading, gunzipping `.gz` files. */
export function openInput(path: string, stdin: Readable = process.stdin): Readable {
  if (path === '-') return stdin;
  const file = fs.createReadStream(path, { highWaterMark: 64 * 1024 });
  return path.endsWith('.gz') ? file.pipe(createGunzip()) : file;
}

/** Buffered JSONL output to a file (`-` for stdout), honouring backpressure. */
export class JsonlWriter {
  private buffer = '';
  private readonly out: Writable;
  private readonly ownsStream: boolean;
  private failed: Error | undefined;
  count = 0;

  constructor(
    path: string,
    stdout: Writable = process.stdout,
    private readonly blockSize = 1 << 20,
  ) {
    if (path === '-') {
      this.out = stdout;
      this.ownsStream = false;
    } else {
      fs.mkdirSync(dirname(path), { recursive: true });
      const file = fs.createWriteStream(path, { flags: 'w' });
      this.out = path.endsWith('.gz') ? gzipTo(file) : file;
      this.ownsStream = true;
    }
    this.out.on('error', (error) => {
      this.failed = error;
    });
  }

  /** Adds one value; resolves when it is safe to write more (a full buffer was flushed). */
  write(value: unknown): void | Promise<void> {
    this.buffer += JSON.stringify(value) + '\n';
    this.count++;
    if (this.buffer.length >= this.blockSize) return this.flushBuffer();
  }

  /** Adds JSON Lines already serialized (whole lines); resolves when it is safe to write more. */
  writeLines(data: string | Uint8Array, lines: number): void | Promise<void> {
    this.count += lines;
    const buffered = this.flushBuffer();
    if (buffered) return buffered.then(() => this.writeOut(data));
    return this.writeOut(data);
  }

  private flushBuffer(): void | Promise<void> {
    if (this.failed) throw this.failed;
    const data = this.buffer;
    this.buffer = '';
    if (data.length === 0) return;
    return this.writeOut(data);
  }

  private writeOut(data: string | Uint8Array): void | Promise<void> {
    if (this.failed) throw this.failed;
    if (this.out.write(data)) return;
    return new Promise((resolve, reject) => {
      const onDrain = (): void => {
        this.out.off('error', onError);
        resolve();
      };
      const onError = (error: Error): void => {
        this.out.off('drain', onDrain);
        reject(error);
      };
      this.out.once('drain', onDrain);
      this.out.once('error', onError);
    });
  }

  /** Writes what is buffered and, for files, closes them. */
  async close(): Promise<void> {
    await this.flushBuffer();
    if (!this.ownsStream) return;
    await new Promise<void>((resolve, reject) => {
      this.out.once('error', reject);
      this.out.end(() => resolve());
    });
    if (this.out !== this.fileOf()) await finished(this.fileOf());
  }

  private fileOf(): Writable {
    return (this.out as Writable & { fileStream?: Writable }).fileStream ?? this.out;
  }
}

function gzipTo(file: fs.WriteStream): Writable {
  const gzip = createGzip();
  gzip.pipe(file);
  return Object.assign(gzip, { fileStream: file });
}

function finished(stream: Writable): Promise<void> {
  if (stream.writableFinished) return Promise.resolve();
  return new Promise((resolve, reject) => {
    stream.once('finish', () => resolve());
    stream.once('close', () => resolve());
    stream.once('error', reject);
  });
}
