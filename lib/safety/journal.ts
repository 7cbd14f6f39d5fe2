import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Operation } from '../operation.js';
import { redact } from '../redact.js';
import { privateDir, PRIVATE_FILE_MODE } from './files.js';
import { toolVersion } from './manifest.js';

/** The outcome a writer gives an operation. */
export type OpResult = NonNullable<Operation['result']>;

/** Where a system's operations were applied, so resume and rollback can reach it again. */
export type JournalTarget =
  | { system: 'local'; database: string; table: string; id_column: string; modified_column?: string | null; link_field?: string; columns?: Record<string, string> }
  | { system: 'airtable'; base_id: string; table: string; field_mapping?: string };

/** One line of a journal (JSONL). */
export type JournalEntry =
  | { t: 'run'; run_id: string; started_at: string; pipeline?: string; invocation?: Record<string, unknown>; tool_version: string; pid: number; host: string }
  | ({ t: 'target' } & JournalTarget)
  | { t: 'backup'; manifest: string }
  | { t: 'op'; seq: number; system: Operation['system']; action: Operation['action']; id?: string; fields: Record<string, unknown>; replaces: Record<string, unknown>; before?: Record<string, unknown>; entity: string; reason: string; link?: Operation['link'] }
  | { t: 'done'; seqs: number[]; results: OpResult[] }
  | { t: 'resume'; at: string; pid: number }
  | { t: 'undo'; seq: number; status: 'undone' | 'not_applied'; id?: string }
  | { t: 'end'; status: 'completed' | 'failed' | 'resumed' | 'rolled_back'; at: string; message?: string };

/** Called as the journal is written; tests use it to stop a run at a chosen point. */
export type JournalObserver = (event: 'intended' | 'settling' | 'settled', seqs: number[]) => void;

/** The note on an Airtable create that an upsert turned into an update of an existing record. */
export const UPSERTED_EXISTING = 'upsert matched an existing record';

/** How long journal lines of local writes may wait for their flush to disk (see `RunJournal.intend`). */
export const SYNC_INTERVAL_MS = 1000;
const WRITE_CHUNK = 1 << 20;

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
  private readonly targets = new Set<string>();

  /** What the journal held when it was reopened (a resumed run), else undefined. */
  readonly previous: JournalContents | undefined;

  constructor(readonly file: string, readonly runId: string, info: { pipeline?: string; invocation?: Record<string, unknown>; now?: () => Date; quiet?: boolean } = {}, private readonly observer?: JournalObserver) {
    privateDir(path.dirname(file));
    const existing = fs.existsSync(file) ? readJournal(file) : undefined;
    this.previous = existing;
    this.fd = fs.openSync(file, 'a', PRIVATE_FILE_MODE);
    const at = (info.now?.() ?? new Date()).toISOString();
    if (existing) {
      this.seq = existing.lastSeq;
      for (const target of existing.targets) this.targets.add(targetKey(target));
      if (!info.quiet) this.append({ t: 'resume', at, pid: process.pid });
    } else {
      this.append({ t: 'run', run_id: runId, started_at: at, pipeline: info.pipeline ? path.resolve(info.pipeline) : undefined, invocation: info.invocation, tool_version: toolVersion(), pid: process.pid, host: os.hostname() });
    }
  }

  private append(entry: JournalEntry): void {
    // A torn last line (crash mid-write) must not glue itself to the next one.
    fs.writeSync(this.fd, JSON.stringify(entry) + '\n');
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
   * delete replaces (a local row), when the writer can read it.
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
    const seqs: number[] = [];
    let lines = '';
    ops.forEach((op, index) => {
      const seq = ++this.seq;
      seqs.push(seq);
      const prior = op.action !== 'create' ? before?.(op, index) : undefined;
      lines += opLine(seq, op, prior);
      // A batch as large as a whole run's writes is written in pieces, so memory stays flat.
      if (lines.length >= WRITE_CHUNK) {
        fs.writeSync(this.fd, lines);
        lines = '';
      }
    });
    // The whole batch reaches the journal before any of it is applied (committed).
    fs.writeSync(this.fd, lines);
    if (options.sync !== 'soon' || performance.now() - this.syncedAt >= SYNC_INTERVAL_MS) this.sync();
    this.observer?.('intended', seqs);
    return seqs;
  }

  private sync(): void {
    fs.fdatasyncSync(this.fd);
    this.syncedAt = performance.now();
  }

  /** Marks operations with their outcome once their batch was committed. */
  settle(seqs: number[], results: OpResult[]): void {
    this.observer?.('settling', seqs);
    this.append({ t: 'done', seqs, results: results.map((r) => ({ status: r.status, ...(r.id !== undefined ? { id: String(r.id) } : {}), ...(r.error ? { error: String(redact(r.error)) } : {}) })) });
    this.observer?.('settled', seqs);
  }

  /** Records an undone operation (rollback is itself resumable). */
  undone(seq: number, status: 'undone' | 'not_applied', id?: string): void {
    this.append({ t: 'undo', seq, status, ...(id ? { id } : {}) });
    this.sync();
  }

  end(status: 'completed' | 'failed' | 'resumed' | 'rolled_back', message?: string, now: () => Date = () => new Date()): void {
    this.append({ t: 'end', status, at: now().toISOString(), ...(message ? { message: String(redact(message)) } : {}) });
    fs.fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd < 0) return;
    this.sync(); // whatever was deferred
    fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** The journal line of an operation (undefined members, such as a create's `before`, are left out). */
function opLine(seq: number, op: Operation, before: Record<string, unknown> | undefined): string {
  const entry: JournalEntry = {
    t: 'op', seq, system: op.system, action: op.action, id: op.id, fields: op.fields, replaces: op.replaces,
    before, entity: op.entity, reason: op.reason, link: op.link,
  };
  return JSON.stringify(entry) + '\n';
}

function targetKey(target: JournalTarget): string {
  return target.system === 'local' ? `local:${target.database}:${target.table}` : `airtable:${target.base_id}:${target.table}`;
}

/** A journaled operation with what is known of its outcome. */
export interface JournaledOp {
  seq: number;
  system: Operation['system'];
  action: Operation['action'];
  id?: string;
  fields: Record<string, unknown>;
  replaces: Record<string, unknown>;
  before?: Record<string, unknown>;
  entity: string;
  reason: string;
  link?: Operation['link'];
  /** Undefined while the outcome is unknown (intended, never marked). */
  result?: OpResult;
  undo?: 'undone' | 'not_applied';
  undoId?: string;
}

export interface JournalContents {
  file: string;
  runId: string;
  startedAt?: string;
  pipeline?: string;
  /** How the run was started beyond its pipeline (see RunSettings.invocation). */
  invocation?: Record<string, unknown>;
  targets: JournalTarget[];
  backups: string[];
  ops: JournaledOp[];
  lastSeq: number;
  /** The last `end` line, if any: a run without one was interrupted. */
  end?: { status: string; at: string; message?: string };
}

/** Reads a journal; a torn last line is ignored, any other unreadable line is an error. */
export function readJournal(file: string): JournalContents {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const contents: JournalContents = { file, runId: '', targets: [], backups: [], ops: [], lastSeq: 0 };
  const bySeq = new Map<number, JournaledOp>();
  lines.forEach((line, index) => {
    if (!line) return;
    let entry: JournalEntry;
    try {
      entry = JSON.parse(line) as JournalEntry;
    } catch {
      if (index >= lines.length - 2) return; // the torn last line of a crash
      throw new Error(`${file}:${index + 1}: the journal line is damaged; the journal cannot be trusted past it.`);
    }
    switch (entry.t) {
      case 'run':
        contents.runId = entry.run_id;
        contents.startedAt = entry.started_at;
        contents.pipeline = entry.pipeline;
        contents.invocation = entry.invocation;
        break;
      case 'target': {
        const { t: _t, ...target } = entry;
        contents.targets.push(target as JournalTarget);
        break;
      }
      case 'backup':
        contents.backups.push(entry.manifest);
        break;
      case 'op': {
        const { t: _t, ...op } = entry;
        const journaled: JournaledOp = { ...op };
        bySeq.set(entry.seq, journaled);
        contents.ops.push(journaled);
        contents.lastSeq = Math.max(contents.lastSeq, entry.seq);
        break;
      }
      case 'done':
        entry.seqs.forEach((seq, i) => {
          const op = bySeq.get(seq);
          if (op) op.result = entry.results[i];
        });
        break;
      case 'undo': {
        const op = bySeq.get(entry.seq);
        if (op) {
          op.undo = entry.status;
          op.undoId = entry.id;
        }
        break;
      }
      case 'resume':
        contents.end = undefined;
        break;
      case 'end':
        contents.end = { status: entry.status, at: entry.at, message: entry.message };
        break;
      default:
        break;
    }
  });
  return contents;
}
