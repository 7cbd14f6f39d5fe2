import { ConfigError } from '../core/errors.js';
import { EXIT, type MaintenanceCommand, type MaintenanceOverrides } from './commands.js';
import { runOnce, type RunSettings } from './run.js';

/** Scheduling (`--every DURATION`): a command run again and again, unattended, with a pause between runs. */

/** `90s`, `30m`, `6h`, `1d` → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(text.trim());
  if (!match) throw new ConfigError([{ message: `--every ${text}: expected a duration such as 30m, 6h or 1d` }]);
  const ms = Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  if (ms < 1000) throw new ConfigError([{ message: `--every ${text}: at least 1s` }]);
  return ms;
}

/** Waits, unless interrupted; true when the wait ran out. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** `--every`: as given (for the log) and in milliseconds. */
export interface Schedule {
  text: string;
  ms: number;
}

/**
 * Runs a command, and with a schedule again after each pause, until a run does not succeed or
 * Ctrl-C stops it; each run reads the configuration afresh.
 */
export async function runOnSchedule(
  command: MaintenanceCommand,
  overrides: MaintenanceOverrides,
  settings: RunSettings,
  every: Schedule | undefined,
): Promise<number> {
  const { log, signal } = settings;
  for (;;) {
    const code = await runOnce(command, overrides, settings);
    if (every === undefined || code !== EXIT.ok || signal.aborted) return code;
    log.info(`Next run in ${every.text}.`);
    if (!(await sleep(every.ms, signal))) return EXIT.interrupted;
  }
}
