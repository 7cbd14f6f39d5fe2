import type { Logger } from './log.js';
import { StatusLine, type TerminalStream } from './terminal.js';

/** Progress of a long run: told about the records that leave the pipeline. */
export interface Progress {
  tick(records: number): void;
  /**
   * Follows a count it reads itself (what the run's stages have moved so far), so the progress
   * moves while a stage such as dedupe holds every record before passing any on.
   */
  watch?(count: () => number): void;
  stop(): void;
}

export interface ProgressOptions {
  log: Logger;
  /** Draw a live line (records, records/s, elapsed) at the bottom of the terminal instead of log lines. */
  terminal: boolean;
  /** Off a terminal: a log line every this many records (and at most one a second). */
  interval: number;
  /** Off a terminal: a log line at least this often while the count moves, however slowly. */
  logEveryMs?: number;
  /** How often the count is read and the live line redrawn. */
  refreshMs?: number;
  stream?: TerminalStream;
  /** The clock in milliseconds; injectable for tests. */
  now?: () => number;
}

/** No progress output (library use, tests). */
export const NO_PROGRESS: Progress = { tick() {}, stop() {} };

/** A live line on a terminal (log lines print above it); off a terminal, a log line every `interval` records. */
export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? Date.now;
  const started = now();
  let ticked = 0;
  let watched: (() => number) | undefined;
  const count = (): number => Math.max(ticked, watched?.() ?? 0);
  const show = options.terminal ? liveLine(options.stream ?? process.stderr, started, now) : logLines(options, started, now);
  let timer: NodeJS.Timeout | undefined;
  return {
    tick(records) {
      ticked = records;
      show.update(count(), false);
    },
    watch(read) {
      watched = read;
      show.update(count(), false);
      // The timer must not keep a finished process alive.
      timer ??= setInterval(() => show.update(count(), false), options.refreshMs ?? 200).unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      show.update(count(), true);
    },
  };
}

interface Shown {
  update(records: number, final: boolean): void;
}

/** On a terminal: the status line, redrawn at most five times a second; the final one stays as a line. */
function liveLine(stream: TerminalStream, started: number, now: () => number): Shown {
  const status = new StatusLine(stream);
  let drawn = Number.NEGATIVE_INFINITY;
  let stopped = false;
  return {
    update(records, final) {
      if (stopped) return;
      const time = now();
      if (!final && time - drawn < 200) return;
      drawn = time;
      status.show(`${records} records | ${rate(records, started, time)} records/s | ${elapsed(time - started)}`);
      if (final) {
        stopped = true;
        status.finish();
      }
    },
  };
}

/** Off a terminal: a log line at each multiple of `interval` (at most one a second), or every `logEveryMs` while the count moves. */
function logLines(options: ProgressOptions, started: number, now: () => number): Shown {
  const interval = Math.max(1, options.interval);
  const every = options.logEveryMs ?? 10_000;
  let lastLog = started;
  let logged = 0;
  let next = interval;
  return {
    update(records, final) {
      const time = now();
      if (final) {
        if (records > 0 && logged > 0 && records > logged) options.log.info('Progress.', { records, records_per_second: rate(records, started, time) });
        return;
      }
      const due = (records >= next && time - lastLog >= 1000) || (records > logged && time - lastLog >= every);
      if (!due) return;
      lastLog = time;
      logged = records;
      next = (Math.floor(records / interval) + 1) * interval;
      options.log.info('Progress.', { records, records_per_second: rate(records, started, time), elapsed_s: Math.round((time - started) / 1000) });
    },
  };
}

function rate(records: number, started: number, time: number): number {
  const seconds = (time - started) / 1000;
  return seconds > 0 ? Math.round(records / seconds) : 0;
}

/** `42s`, `3m 07s`, `1h 02m`. */
function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}
