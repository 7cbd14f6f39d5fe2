/**
 * The one place that draws on a terminal: a status line kept at the bottom of the screen, with
 * everything else written to the same stream printed above it. While a status line is shown,
 * every write to the stream (log lines, the end-of-run table, a stage's own messages) clears it,
 * writes the text and draws it again, so nothing is written into it or over it.
 */

/** What the renderer needs of a stream: `write`, and `columns` on a terminal. */
export interface TerminalStream {
  write(chunk: string | Uint8Array, ...rest: unknown[]): boolean;
  columns?: number;
  isTTY?: boolean;
}

/** Back to the start of the line and erase it (ECMA-48 CR + EL 2). */
const CLEAR_LINE = '\r\x1b[2K';

export class StatusLine {
  private text = '';
  private shown = false;
  /** The last write did not end a line: a prompt or a partial line the status must not break. */
  private midLine = false;
  private readonly originalWrite: TerminalStream['write'];

  constructor(private readonly stream: TerminalStream) {
    this.originalWrite = stream.write;
  }

  /** Shows `text` as the status line (cut to the terminal's width, so it never wraps). */
  show(text: string): void {
    const width = Math.max(10, (this.stream.columns ?? 80) - 1);
    this.text = text.length > width ? text.slice(0, width) : text;
    if (!this.shown) this.intercept();
    this.shown = true;
    if (!this.midLine) this.raw(CLEAR_LINE + this.text);
  }

  /** Removes the status line; what follows is written where it was. */
  clear(): void {
    if (!this.shown) return;
    this.shown = false;
    (this.stream as { write: TerminalStream['write'] }).write = this.originalWrite;
    if (!this.midLine) this.raw(CLEAR_LINE);
  }

  /** Leaves the status line on the screen as an ordinary line; what follows is written below it. */
  finish(): void {
    if (!this.shown) return;
    this.shown = false;
    (this.stream as { write: TerminalStream['write'] }).write = this.originalWrite;
    if (!this.midLine) this.raw('\n');
  }

  /** Writes `chunk` above the status line. */
  private above(chunk: string | Uint8Array, rest: unknown[]): boolean {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (!text) return this.originalWrite.call(this.stream, chunk, ...rest);
    const prefix = this.midLine ? '' : CLEAR_LINE;
    this.midLine = !text.endsWith('\n');
    const suffix = this.midLine ? '' : this.text;
    return this.originalWrite.call(this.stream, prefix + text + suffix, ...rest);
  }

  private raw(text: string): void {
    this.originalWrite.call(this.stream, text);
  }

  /** Routes every write to the stream through `above` while the status line is shown. */
  private intercept(): void {
    (this.stream as { write: TerminalStream['write'] }).write = (chunk: string | Uint8Array, ...rest: unknown[]) => this.above(chunk, rest);
  }
}
