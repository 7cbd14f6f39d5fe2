import fs from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createLogger, LOG_LEVELS, type LogFormat, type Logger, type LogLevel } from '../lib/core/log.js';
import { didYouMean } from '../lib/core/options.js';
import { packagePath } from '../lib/core/paths.js';

/** What the CLIs share: reading argv, logging setup from flags, Ctrl-C, usage mistakes, the exit. */

type Flags = NonNullable<ParseArgsConfig['options']>;

/** The flags given (by their kebab-case names) and the other arguments. */
export interface CommandLine {
  values: Record<string, string | boolean | Array<string | boolean> | undefined>;
  positionals: string[];
}

/**
 * Reads the command line the same way for every tool: flags are kebab-case, and snake_case is
 * taken for them too (`--dry_run` is `--dry-run`); `--version` prints the package's version; a
 * mistyped flag is named with the closest known one, and exits 2.
 */
export function parseCommandLine(flags: Flags, settings: { args?: string[]; allowPositionals?: boolean } = {}): CommandLine {
  const args = kebabCase(settings.args ?? process.argv.slice(2));
  const end = args.indexOf('--');
  if ((end === -1 ? args : args.slice(0, end)).includes('--version')) printVersion();
  try {
    return parseArgs({ args, options: flags, allowPositionals: settings.allowPositionals ?? false, strict: true });
  } catch (error) {
    usage(argvProblem(error as Error & { code?: string }, flags));
  }
}

/** `--snake_case` flags as `--kebab-case` (values, and everything after `--`, as given). */
export function kebabCase(args: string[]): string[] {
  const end = args.indexOf('--');
  return args.map((arg, index) => {
    if ((end !== -1 && index >= end) || !arg.startsWith('--')) return arg;
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    return name.replaceAll('_', '-') + (eq === -1 ? '' : arg.slice(eq));
  });
}

/** Node's parseArgs messages in the words of the other usage problems, with a "did you mean" for a typo. */
function argvProblem(error: Error & { code?: string }, flags: Flags): string {
  const quoted = /'([^']+)'/.exec(error.message)?.[1] ?? '';
  const known = [...Object.keys(flags).map((name) => `--${name}`), '--version'];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted}${didYouMean(quoted, known)}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = quoted.split(' ')[0];
      return /argument missing/.test(error.message) ? `${flag} needs a value` : `${flag} takes no value`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${quoted}"; flags start with --`;
    default:
      return error.message;
  }
}

/** `--version`: the package's version on stdout, exit 0. */
function printVersion(): never {
  const { version } = JSON.parse(fs.readFileSync(packagePath('package.json'), 'utf8')) as { version: string };
  process.stdout.write(`${version}\n`);
  process.exit(0);
}

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
