/**
 * Cuts a byte stream of JSON Lines into blocks of whole lines, without ever holding a line longer
 * than the limit: once the line being read passes it, its bytes are let go and the rest of it
 * skipped up to its newline. The line stays in the block as an empty one (so the lines after it
 * keep their numbers) and is listed with the block, for the parser to reject by number. Both ways
 * of reading JSON Lines (one thread, and the parallel run's main thread) cut their input here, so
 * they number and reject lines alike.
 */

/** A line skipped because it passed the limit, by its 1-based number. */
export interface OversizedLine {
  line: number;
}

/** Whole lines (the last block of an input may lack its final newline), in memory of their own so it can move to another thread. */
export interface LineBlock {
  data: Uint8Array;
  firstLine: number;
  /** The lines of this block that passed the limit (empty in `data`), in order. */
  oversized: OversizedLine[];
  /** How many lines the block holds (its newlines). */
  lines: number;
}

const NEWLINE = new Uint8Array([10]);

export class LineCutter {
  private parts: Uint8Array[] = [];
  private size = 0;
  /** Bytes of `parts` up to the end of the last whole line. */
  private complete = 0;
  private lines = 0;
  private firstLine = 1;
  private oversized: OversizedLine[] = [];
  /** The number of the line being skipped, while one is. */
  private skipping: number | undefined;

  /**
   * @param maxLineBytes a longer line is skipped (its newline excluded)
   * @param blockBytes a block is cut once it holds at least this many bytes (0: at every chunk with a line end)
   */
  constructor(
    private readonly maxLineBytes: number,
    private readonly blockBytes: number,
  ) {}

  /** Takes the next chunk of input; returns the blocks it completed. */
  push(chunk: Uint8Array): LineBlock[] {
    const out: LineBlock[] = [];
    let from = 0;
    while (from < chunk.length) {
      if (this.skipping !== undefined) {
        const newline = chunk.indexOf(10, from);
        if (newline === -1) return out;
        this.endSkip();
        from = newline + 1;
        continue;
      }
      const piece = from === 0 ? chunk : chunk.subarray(from);
      const last = piece.lastIndexOf(10);
      const partial = last === -1 ? this.size - this.complete + piece.length : piece.length - last - 1;
      if (partial > this.maxLineBytes) {
        // The line being read is over the limit whatever follows: keep what comes before it, skip it.
        if (last !== -1) this.add(piece.subarray(0, last + 1));
        this.dropPartial();
        this.skipping = this.firstLine + this.lines;
      } else this.add(piece);
      break;
    }
    if (this.complete > 0 && this.size >= this.blockBytes) out.push(this.cut());
    return out;
  }

  /** The last block, at the end of the input (undefined when nothing is left). */
  end(): LineBlock | undefined {
    if (this.skipping !== undefined) this.endSkip();
    if (this.size === 0 && this.oversized.length === 0) return undefined;
    this.complete = this.size;
    return this.cut();
  }

  private add(bytes: Uint8Array): void {
    this.parts.push(bytes);
    const before = this.size;
    this.size += bytes.length;
    const last = bytes.lastIndexOf(10);
    if (last === -1) return;
    this.complete = before + last + 1;
    for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) this.lines++;
  }

  /** The skipped line ends: it stays in the block as an empty line. */
  private endSkip(): void {
    this.oversized.push({ line: this.skipping! });
    this.skipping = undefined;
    this.add(NEWLINE);
  }

  /** Lets go of the bytes after the last whole line. */
  private dropPartial(): void {
    if (this.complete === this.size) return;
    this.parts = [concat(this.parts, this.complete)];
    this.size = this.complete;
  }

  private cut(): LineBlock {
    const data = concat(this.parts, this.complete);
    const block: LineBlock = { data, firstLine: this.firstLine, oversized: this.oversized, lines: this.lines };
    // What follows the last whole line: the ends of the last parts, kept as views (the next cut copies them).
    const rest: Uint8Array[] = [];
    for (let need = this.size - this.complete, i = this.parts.length - 1; need > 0; i--) {
      const part = this.parts[i]!;
      rest.unshift(part.length <= need ? part : part.subarray(part.length - need));
      need -= part.length;
    }
    this.parts = rest;
    this.size -= this.complete;
    this.firstLine += this.lines;
    this.lines = 0;
    this.complete = 0;
    this.oversized = [];
    return block;
  }
}

/** The first `length` bytes of `parts`, in memory of their own (not a slice of a pooled buffer, so it can be moved to a worker). */
function concat(parts: Uint8Array[], length: number): Uint8Array {
  const block = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    const take = Math.min(part.length, length - at);
    block.set(take === part.length ? part : part.subarray(0, take), at);
    at += take;
    if (at === length) break;
  }
  return block;
}
