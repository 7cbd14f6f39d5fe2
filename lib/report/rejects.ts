import fs from 'node:fs';
import readline from 'node:readline';
import type { Bounded, Counts } from './collect.js';

/** One rejected record or line, as the report's table shows it. */
export interface RejectRow {
  stage: string;
  reason: string;
  /** File and line, or the record's id: where to look. */
  where: string;
  message: string;
}

export interface RejectsSummary {
  file: string;
  count: number;
  by_reason: Counts;
  table: Bounded<RejectRow>;
}

/**
 * Reads this run's entries of the rejects file (it is appended to by every run, so entries of
 * other runs are skipped), line by line: counts by `stage · reason`, and the first `maxRows` rows.
 *
 * A resumed run keeps its run id and reads its input again, so a record the first attempt
 * rejected is rejected again: counting both would double the run's rejects and could raise the
 * error-rate alert on its own. When entries of an earlier attempt come before `attempt`'s, each
 * distinct reject (stage, reason, where, message) counts as often as the attempt that rejected it
 * most, and a reject only an earlier attempt wrote (a write that is not tried again) still counts.
 */
export async function readRejects(file: string, runId: string, maxRows: number, attempt?: string): Promise<RejectsSummary> {
  const summary: RejectsSummary = { file, count: 0, by_reason: {}, table: { rows: [], omitted: 0 } };
  if (!fs.existsSync(file)) return summary;
  const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  // Only kept once an earlier attempt's entry is seen: a run that was not resumed needs no keys.
  let attempts: AttemptCounts | undefined;
  let first = true;
  for await (const line of lines) {
    if (!line.trim()) continue;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (entry.run_id !== runId) continue;
    if (first && attempt !== undefined && entry.attempt !== attempt) attempts = new AttemptCounts();
    first = false;
    const row = { stage: String(entry.stage ?? ''), reason: String(entry.reason ?? 'rejected'), where: whereOf(entry), message: String(entry.message ?? '') };
    if (attempts && !attempts.countsAgain(String(entry.attempt ?? ''), row)) continue;
    summary.count++;
    const key = `${row.stage} · ${row.reason}`;
    summary.by_reason[key] = (summary.by_reason[key] ?? 0) + 1;
    if (summary.table.rows.length >= maxRows) {
      summary.table.omitted++;
      continue;
    }
    summary.table.rows.push(row);
  }
  return summary;
}

/** Per distinct reject, the most times one attempt wrote it, and the times the attempt being read has. */
class AttemptCounts {
  private most = new Map<string, number>();
  private current = new Map<string, number>();
  private attempt: string | undefined;

  /** Whether this entry is one more than any attempt so far wrote of it. Attempts come one after another in the file. */
  countsAgain(attempt: string, row: RejectRow): boolean {
    if (attempt !== this.attempt) {
      this.attempt = attempt;
      this.current = new Map();
    }
    const key = JSON.stringify([row.stage, row.reason, row.where, row.message]);
    const times = (this.current.get(key) ?? 0) + 1;
    this.current.set(key, times);
    if (times <= (this.most.get(key) ?? 0)) return false;
    this.most.set(key, times);
    return true;
  }
}

function whereOf(entry: Record<string, unknown>): string {
  if (entry.file) return `${String(entry.file)}${entry.line ? `:${String(entry.line)}` : ''}`;
  const record = entry.record as { _meta?: { source?: string; id?: unknown; line?: number }; id?: unknown; system?: string; kind?: string } | undefined;
  if (record?.kind === 'operation') return `${record.system}:${String(record.id ?? '(new)')}`;
  const meta = record?._meta;
  if (meta?.id !== undefined) return `${meta.source ? `${meta.source}:` : ''}${String(meta.id)}`;
  if (record?.id !== undefined) return String(record.id);
  if (meta?.line !== undefined || entry.line !== undefined) return `line ${String(meta?.line ?? entry.line)}`;
  return '';
}
