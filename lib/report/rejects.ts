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
 */
export async function readRejects(file: string, runId: string, maxRows: number): Promise<RejectsSummary> {
  const summary: RejectsSummary = { file, count: 0, by_reason: {}, table: { rows: [], omitted: 0 } };
  if (!fs.existsSync(file)) return summary;
  const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (entry.run_id !== runId) continue;
    summary.count++;
    const stage = String(entry.stage ?? '');
    const reason = String(entry.reason ?? 'rejected');
    const key = `${stage} · ${reason}`;
    summary.by_reason[key] = (summary.by_reason[key] ?? 0) + 1;
    if (summary.table.rows.length >= maxRows) {
      summary.table.omitted++;
      continue;
    }
    summary.table.rows.push({ stage, reason, where: whereOf(entry), message: String(entry.message ?? '') });
  }
  return summary;
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
