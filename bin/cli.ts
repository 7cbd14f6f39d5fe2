import { createLogger, LOG_LEVELS, type LogFormat, type Logger, type LogLevel } from '../lib/core/log.js';

/** What the CLIs share: logging setup from flags, Ctrl-C, usage mistakes, the exit. */

export function makeLogger(level: string | undefined, format: string | undefined): Logger {
  if (level !== undefined && !LOG_LEVELS.includes(level as LogLevel)) usage(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  if (format !== undefined && format !== 'text' && format !== 'json') usage('--log-format must be text or json');
  return createLogger({ level: (level as LogLevel) ?? 'info', format: (format as LogFormat) ?? 'text' });
}

/**
 * Ctrl-C aborts the run cleanly (the runner stops the streams and prints partial counts); a
 * second Ctrl-C exits at once.
 */
export function interruptSignal(log: Logger): AbortSignal {
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(130);
    log.warn('Interrupted; stopping the run (press Ctrl-C again to quit at once).');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}

/** A command-line mistake: message, hint, exit 2. */
export function usage(message: string): never {
  process.stderr.write(`${message}\nRun with --help for usage.\n`);
  process.exit(2);
}

/**
 * Ends the process with `code` once stdout has drained. Exiting explicitly matters after an
 * interrupted run: an open stdin (a pipe that never ends) would otherwise keep the process alive.
 */
export function finish(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.exit(code));
}
