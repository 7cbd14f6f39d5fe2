import cliProgress from 'cli-progress';
import type { Logger } from './log.js';

/** Progress of a long run: told about every record that leaves the pipeline. */
export interface Progress {
  tick(records: number): void;
  stop(): void;
}

export interface ProgressOptions {
  log: Logger;
  /** Draw a live line (records, records/s, elapsed) instead of log lines. */
  terminal: boolean;
  /** Off a terminal: a log line every this many records (and at most one a second). */
  interval: number;
  stream?: NodeJS.WritableStream;
  /** The clock in milliseconds; injectable for tests. */
  now?: () => number;
}

/** No progress output (library use, tests). */
export const NO_PROGRESS: Progress = { tick() {}, stop() {} };

/** A live bar on a terminal; off a terminal, a log line every `interval` records. */
export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? Date.now;
  const started = now();
  if (options.terminal) {
    const bar = new cliProgress.SingleBar({
      format: '{value} records | {rate} records/s | {duration_formatted}',
      stream: options.stream ?? process.stderr,
      fps: 5,
      hideCursor: true,
      clearOnComplete: false,
      noTTYOutput: false,
    });
    bar.start(0, 0, { rate: 0 });
    return {
      tick(records) {
        if (records % 256 !== 0) return;
        bar.setTotal(records);
        bar.update(records, { rate: rate(records, started, now()) });
      },
      stop() {
        bar.stop();
      },
    };
  }
  let lastLog = 0;
  let last = 0;
  return {
    tick(records) {
      last = records;
      if (records % options.interval !== 0) return;
      const time = now();
      if (time - lastLog < 1000) return;
      lastLog = time;
      options.log.info('Progress.', { records, records_per_second: rate(records, started, time), elapsed_s: Math.round((time - started) / 1000) });
    },
    stop() {
      if (last > 0 && lastLog > 0) options.log.info('Progress.', { records: last, records_per_second: rate(last, started, now()) });
    },
  };
}

function rate(records: number, started: number, time: number): number {
  const seconds = (time - started) / 1000;
  return seconds > 0 ? Math.round(records / seconds) : 0;
}
