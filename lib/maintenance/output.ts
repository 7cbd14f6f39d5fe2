import { configValue, type LoadedConfig } from '../core/config.js';
import { ConfigError, exitCodeOf, StageError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { createProgress, type Progress } from '../core/progress.js';
import { redactText } from '../core/redact.js';
import type { RunError, RunSummary } from '../core/runner.js';

/** What the commands show on stderr: progress, the end-of-run summary, errors as exit codes. */

/**
 * Progress on stderr: a live line on a terminal, elsewhere a log line every
 * `performance.progress_update_interval` records of the run's configuration.
 */
export function makeProgress(log: Logger, config: LoadedConfig): Progress {
  const interval = configValue(config, 'performance.progress_update_interval');
  return createProgress({ log, terminal: Boolean(process.stderr.isTTY), interval: typeof interval === 'number' && interval > 0 ? interval : 1000 });
}

/** The per-stage counts at the end of a run, on stderr. */
export function printSummary(summary: RunSummary, log: Logger, partial = false): void {
  log.info(partial ? 'Run stopped; counts so far.' : 'Run finished.', {
    run_id: summary.runId,
    records_out: summary.records_out,
    rejected: summary.rejected,
    elapsed_ms: summary.elapsed_ms,
    ...(summary.dryRun ? { dry_run: true } : {}),
  });
  const rows = summary.stages.map((s) => [
    s.stage,
    String(s.received),
    String(s.sent),
    Object.entries(s.dropped)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || '0',
    String(s.rejected),
    String(s.errored),
    `${s.elapsed_ms} ms`,
  ]);
  const header = ['stage', 'received', 'sent', 'dropped', 'rejected', 'errored', 'elapsed'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stderr.write([line(header), ...rows.map(line)].join('\n') + '\n');
  const operations = Object.entries(summary.operations)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  if (operations) process.stderr.write(`operations: ${operations}\n`);
  if (summary.rejects_file) process.stderr.write(`${summary.rejected} rejected record(s) written to ${summary.rejects_file}\n`);
}

/** Prints an error as the user should see it (no stack trace for known kinds) and returns the exit code. */
export function reportError(error: unknown, log: Logger): number {
  const run = error as RunError;
  const code = exitCodeOf(error);
  if (run?.summary) printSummary(run.summary, log, true);
  if (error instanceof ConfigError) {
    process.stderr.write(`${redactText(error.message)}\n${error.issues.length} configuration problem(s); nothing was run.\n`);
  } else if (code === 130) {
    process.stderr.write('Interrupted.\n');
  } else if (error instanceof StageError) {
    log.error(`${error.message}`);
  } else {
    log.error(`Unexpected failure: ${(error as Error)?.message ?? String(error)}`, { stack: (error as Error)?.stack });
  }
  return code;
}
