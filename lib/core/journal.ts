import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Operation } from './operation.js';
import { toolVersion } from './paths.js';
import { privateDir, PRIVATE_FILE_MODE } from './private-files.js';
import { redact } from './redact.js';
import { columnsJson, opLine, resultsJson, type JournalEntry, type JournalTarget, type OpResult } from './journal-lines.js';

export type { JournalEntry, JournalTarget } from './journal-lines.js';
import { readJournal, wholeLinesLength, type JournalContents } from './journal-read.js';

/**
 * The run journal's writer: a run appends each batch of operations before applying it and its
 * outcome after (lib/safety reads journals back for --resume and --rollback).
 */
/** Called as the journal is written; tests use it to stop a run at a chosen point. */
export type JournalObserver = (event: 'intended' | 'settling' | 'settled', seqs: number[]) => void;

/** The journal of one batch applied in a local transaction (see `RunJournal.batch`). */
export interface JournalBatch {
  /** The sequence numbers of the operations added, in order. */
  readonly seqs: number[];
  /** A transaction attempt starts: whatever an earlier attempt of the batch added is taken back. */
  begin(): void;
  /** Adds an operation; `before` is what it replaced (a local row; an Airtable record's writable fields), if known. */
  add(op: Operation, before?: Record<string, unknown>): void;
  /** Adds an operation that replaced `cells` of `columns`. */
  addColumns(op: Operation, columns: readonly string[], cells: readonly unknown[]): void;
  /** Every operation is added: the batch is written (and the observer told) before the commit. */
  seal(): void;
  /** The attempt rolled back before `seal`: its operations are taken back. */
  discard(): void;
}

/** The note on an Airtable create that an upsert turned into an update of an existing record. */
export const UPSERTED_EXISTING = 'upsert matched an existing record';

/** How long journal lines of local writes may wait for their flush to disk (see `RunJournal.intend`). */
export const SYNC_INTERVAL_MS = 1000;
const WRITE_CHUNK = 1 << 20;
const TEXT_CHUNK = 1 << 10;

/** The journal file of a run: `<stateDir>/runs/<runId>/journal.jsonl`. */
export function journalPath(stateDir: string, runId: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(runId)) throw new Error(`'${runId}' is not a run id (letters, digits, '.', '_' and '-').`);
  return path.join(stateDir, 'runs', runId, 'journal.jsonl');
}

/**
 * The run journal (DESIGN invariant 2): every operation is appended, with the values it replaces
 * (and, for the local database, the whole row as it was), and flushed to disk before it is
 * applied; a `done` line marks a batch applied after its transaction or request succeeded. A
 * line torn by a crash is ignored on reading. Reopening an existing journal (resume) appends.
 */
export class RunJournal {
  private fd: number;
  private seq = 0;
  private syncedAt = performance.now();
  /** The file's length, as far as this journal wrote it. */
  private size: number;
  /**
   * What was put and not yet written: `text`, then `unwritten` bytes of `buffer`. Text goes into
   * bytes every TEXT_CHUNK characters, so a large batch leaves no long string behind for the
   * garbage collector to copy again and again.
   */
  private text = '';
  private buffer: Buffer | undefined;
  private unwritten = 0;
  private readonly targets = new Set<string>();

  /** What the journal held when it was reopened (a resumed run), else undefined. */
  readonly previous: JournalContents | undefined;

  constructor(
    readonly file: string,
    readonly runId: string,
    info: { pipeline?: string; invocation?: Record<string, unknown>; now?: () => Date; quiet?: boolean } = {},
    private readonly observer?: JournalObserver,
  ) {
    privateDir(path.dirname(file));
    const existing = fs.existsSync(file) ? readJournal(file) : undefined;
    this.previous = existing;
    this.fd = fs.openSync(file, 'a', PRIVATE_FILE_MODE);
    this.size = fs.fstatSync(this.fd).size;
    // A line torn by a crash is dropped before appending: it was never whole, so nothing relied on
    // it, and left in place it would stop being the last line and make the journal unreadable.
    const whole = existing ? wholeLinesLength(file, this.size) : this.size;
    if (whole < this.size) {
      fs.ftruncateSync(this.fd, whole);
      this.size = whole;
    }
    const at = (info.now?.() ?? new Date()).toISOString();
    if (existing) {
      this.seq = existing.lastSeq;
      for (const target of existing.targets) this.targets.add(targetKey(target));
      if (!info.quiet) this.append({ t: 'resume', at, pid: process.pid });
    } else {
      this.append({
        t: 'run',
        run_id: runId,
        started_at: at,
        pipeline: info.pipeline ? path.resolve(info.pipeline) : undefined,
        invocation: info.invocation,
        tool_version: toolVersion(),
        pid: process.pid,
        host: os.hostname(),
      });
    }
  }

  private append(entry: JournalEntry): void {
    // A torn last line (crash mid-write) must not glue itself to the next one.
    this.put(JSON.stringify(entry) + '\n');
    this.write();
  }

  /** Adds text to what `write` writes. */
  private put(text: string): void {
    this.text += text;
    if (this.text.length >= TEXT_CHUNK) this.encode();
  }

  /**
   * Moves the text put so far into the buffer, a few lines at a time: fewer calls than line by
   * line, and the lines' pieces are still in the CPU cache (a long string of many pieces is
   * slower to encode than its length suggests).
   */
  private encode(): void {
    const text = this.text;
    if (text === '') return;
    this.text = '';
    const buffer = (this.buffer ??= Buffer.allocUnsafe(WRITE_CHUNK));
    // A UTF-16 unit takes at most three bytes in UTF-8.
    if (this.unwritten + text.length * 3 > buffer.length) this.writeBuffer();
    if (text.length * 3 > buffer.length) {
      const bytes = Buffer.from(text);
      this.writeBytes(bytes, bytes.length);
    } else this.unwritten += buffer.write(text, this.unwritten);
  }

  /** Hands what was put to the operating system. */
  private write(): void {
    this.encode();
    this.writeBuffer();
  }

  private writeBuffer(): void {
    if (this.unwritten === 0) return;
    const length = this.unwritten;
    this.unwritten = 0;
    this.writeBytes(this.buffer!, length);
  }

  private writeBytes(bytes: Buffer, length: number): void {
    for (let done = 0; done < length; ) {
      const written = fs.writeSync(this.fd, bytes, done, length - done);
      done += written;
      this.size += written;
    }
  }

  /** Records where a system's operations go (once per target). */
  target(target: JournalTarget): void {
    const key = targetKey(target);
    if (this.targets.has(key)) return;
    this.targets.add(key);
    this.append({ t: 'target', ...target } as JournalEntry);
  }

  /** Records the backup taken before the run wrote anything. */
  backup(manifest: string): void {
    this.append({ t: 'backup', manifest });
    fs.fsyncSync(this.fd);
  }

  /**
   * Appends operations about to be applied. `before` gives the current state of what an update or
   * delete replaces (a local row; the writable fields of an Airtable record it deletes, by their
   * Airtable names), when the writer can read it.
   *
   * `sync: 'now'` (the default) flushes the lines to disk before returning: an Airtable request
   * cannot be taken back, so its operations must survive even a power failure. `sync: 'soon'` is
   * for writes inside a local SQLite transaction that has not committed yet: the lines are handed
   * to the operating system before the commit, so a crash or kill of the process loses none of
   * them, and flushed at most SYNC_INTERVAL_MS later. That is the durability the database itself
   * has (WAL with synchronous=NORMAL: the last transactions may roll back after a power failure),
   * and the run's backup covers a power failure inside that window. One flush per batch instead
   * costs about three times the writing it protects.
   */
  intend(ops: Operation[], before?: (op: Operation, index: number) => Record<string, unknown> | undefined, options: { sync?: 'now' | 'soon' } = {}): number[] {
    const batch = this.batch(options);
    for (let index = 0; index < ops.length; index++) {
      const op = ops[index]!;
      batch.add(op, op.action !== 'create' ? before?.(op, index) : undefined);
    }
    batch.seal();
    return batch.seqs;
  }

  /**
   * The journal of a batch applied inside a local transaction, written while its statements run:
   * each operation is added right after its statement read what it replaces. The batch's lines
   * are its own until `seal` puts them in the file (with `sync` as for `intend`): a transaction
   * on a server awaits its statements, and other writers (write-airtable) journal their requests
   * meanwhile, so an attempt that rolls back (`begin` of a retry, or `discard`) takes back its
   * own lines and never theirs. A batch too large to hold goes to the file in pieces as it grows;
   * taking it back then removes exactly those pieces.
   */
  batch(options: { sync?: 'now' | 'soon' } = {}): JournalBatch {
    const seqs: number[] = [];
    /** The seq before this attempt's first operation. */
    let firstSeq = this.seq;
    let sealed = false;
    let text = '';
    let chunks: Buffer[] = [];
    let held = 0;
    /** Where pieces of this attempt were written to the file early: [from, to) byte ranges. */
    let written: Array<[number, number]> = [];
    const encode = (): void => {
      if (text === '') return;
      const bytes = Buffer.from(text);
      text = '';
      chunks.push(bytes);
      held += bytes.length;
    };
    const put = (line: string): void => {
      text += line;
      if (text.length < TEXT_CHUNK) return;
      encode();
      if (held < WRITE_CHUNK) return;
      // Too much to hold: this piece goes to the file now, and is remembered to be taken back if need be.
      this.write();
      const from = this.size;
      for (const chunk of chunks) this.writeBytes(chunk, chunk.length);
      written.push([from, this.size]);
      chunks = [];
      held = 0;
    };
    const reset = (): void => {
      if (sealed) return;
      if (written.length) this.takeBack(written);
      written = [];
      text = '';
      chunks = [];
      held = 0;
      // The numbers go back only when nobody took one since; otherwise this attempt's stay unused.
      if (this.seq - seqs.length === firstSeq) this.seq = firstSeq;
      seqs.length = 0;
      firstSeq = this.seq;
    };
    return {
      seqs,
      begin: reset,
      discard: reset,
      add: (op, before) => {
        const seq = ++this.seq;
        seqs.push(seq);
        put(opLine(seq, op, op.action === 'create' || before === undefined ? undefined : JSON.stringify(before)));
      },
      addColumns: (op, columns, cells) => {
        const seq = ++this.seq;
        seqs.push(seq);
        put(opLine(seq, op, op.action === 'create' ? undefined : columnsJson(columns, cells)));
      },
      seal: () => {
        // The whole batch reaches the journal before any of it is applied (committed).
        encode();
        this.write();
        for (const chunk of chunks) this.writeBytes(chunk, chunk.length);
        chunks = [];
        sealed = true;
        if (options.sync !== 'soon' || performance.now() - this.syncedAt >= SYNC_INTERVAL_MS) this.sync();
        this.observer?.('intended', seqs);
      },
    };
  }

  /**
   * Removes the byte ranges `pieces` (in file order) from the file, keeping whatever else was
   * written after the first of them (other writers' lines), in order.
   */
  private takeBack(pieces: Array<[number, number]>): void {
    this.write();
    const from = pieces[0]![0];
    const kept: Buffer[] = [];
    const reader = fs.openSync(this.file, 'r');
    try {
      const between = (start: number, end: number): void => {
        if (end <= start) return;
        const bytes = Buffer.allocUnsafe(end - start);
        for (let done = 0; done < bytes.length; ) done += fs.readSync(reader, bytes, done, bytes.length - done, start + done);
        kept.push(bytes);
      };
      for (let i = 0; i < pieces.length; i++) between(pieces[i]![1], pieces[i + 1]?.[0] ?? this.size);
    } finally {
      fs.closeSync(reader);
    }
    fs.ftruncateSync(this.fd, from);
    this.size = from;
    for (const bytes of kept) this.writeBytes(bytes, bytes.length);
  }

  private sync(): void {
    fs.fdatasyncSync(this.fd);
    this.syncedAt = performance.now();
  }

  /** Marks operations with their outcome once their batch was committed. */
  settle(seqs: number[], results: OpResult[]): void {
    this.observer?.('settling', seqs);
    this.put('{"t":"done","seqs":' + JSON.stringify(seqs) + ',"results":[');
    // In pieces: one string for a whole large batch would live long enough for the collector to copy it again and again.
    for (let from = 0; from < results.length; from += 256) this.put(resultsJson(results, from, Math.min(from + 256, results.length)));
    this.put(']}\n');
    this.write();
    this.observer?.('settled', seqs);
  }

  /** Records an undone operation (rollback is itself resumable). */
  undone(seq: number, status: 'undone' | 'not_applied', id?: string): void {
    this.append({ t: 'undo', seq, status, ...(id ? { id } : {}) });
    this.sync();
  }

  end(status: 'completed' | 'failed' | 'resumed' | 'rolled_back' | 'rollback_incomplete', message?: string, now: () => Date = () => new Date()): void {
    this.append({ t: 'end', status, at: now().toISOString(), ...(message ? { message: String(redact(message)) } : {}) });
    fs.fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd < 0) return;
    this.write();
    this.sync(); // whatever was deferred
    fs.closeSync(this.fd);
    this.fd = -1;
  }
}

function targetKey(target: JournalTarget): string {
  return target.system === 'local' ? `local:${target.database}:${target.table}` : `airtable:${target.base_id}:${target.table}`;
}
