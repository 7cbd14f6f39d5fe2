import fs from 'node:fs';
import path from 'node:path';

/**
 * A review file: what a run leaves for a person to decide (duplicate groups under `manual`,
 * conflicts under `manual`), one JSON object per line, appended to what earlier runs left. It is
 * created only when there is something to review, private to the user (folder 0700, file 0600)
 * since it holds leads' data.
 */
export class ReviewFile {
  private fd: number | undefined;

  constructor(readonly file: string) {}

  /** Appends one entry, serialized as one JSON line. */
  append(entry: object): void {
    this.appendJson(JSON.stringify(entry));
  }

  /** Appends one entry already serialized as JSON (one line, no line feed in it). */
  appendJson(json: string): void {
    if (this.fd === undefined) {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      this.fd = fs.openSync(this.file, 'a', 0o600);
    }
    fs.writeSync(this.fd, `${json}\n`);
  }

  /** Closes the file if an entry opened it; closing twice is harmless. */
  close(): void {
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
