import fs from 'node:fs';
import type { Operation } from './operation.js';
import type { JournalEntry, JournalTarget, OpResult } from './journal-lines.js';

/** Reading a run journal back: --resume and --rollback, and a resumed run's writer (journal.ts). */
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
  /** Why the run failed (its last `failed` end line), kept when a rollback's end line follows. */
  failure?: { at: string; message?: string };
}

/** The length of a file up to the end of its last complete line. */
export function wholeLinesLength(file: string, size: number): number {
  const fd = fs.openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(64 * 1024);
    for (let end = size; end > 0; ) {
      const start = Math.max(0, end - chunk.length);
      fs.readSync(fd, chunk, 0, end - start, start);
      const at = chunk.subarray(0, end - start).lastIndexOf(10);
      if (at !== -1) return start + at + 1;
      end = start;
    }
    return 0;
  } finally {
    fs.closeSync(fd);
  }
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
        if (entry.status === 'failed') contents.failure = { at: entry.at, message: entry.message };
        break;
      default:
        break;
    }
  });
  return contents;
}
