/**
 * The three kinds of failure (STYLE.md): a configuration problem found before data moves (exit 2),
 * a run-time failure of a stage (exit 1), and a problem with one record (handled by `on_error`).
 * Library code throws these; only `bin/` maps them to exit codes.
 */

/** Where in a file a problem is: 1-based line and column. */
export interface SourcePosition {
  file: string;
  line: number;
  col: number;
}

/** One configuration problem: `file:line:col step.option: message`. */
export interface ConfigIssue {
  position?: SourcePosition;
  /** Dotted path of what is wrong, e.g. `read-jsonl.path` or `steps[2]`. */
  path?: string;
  message: string;
}

/** Formats an issue as `file:line:col path: message`. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.position ? `${issue.position.file}:${issue.position.line}:${issue.position.col} ` : '';
  const path = issue.path ? `${issue.path}: ` : '';
  return `${where}${path}${issue.message}`;
}

/** The most problems a ConfigError's message lists; `issues` keeps them all. */
export const MAX_LISTED_ISSUES = 100;

/** Every configuration problem found, reported together before any data moves. Exit code 2. */
export class ConfigError extends Error {
  readonly exitCode = 2;
  constructor(
    readonly issues: ConfigIssue[],
    options?: { cause?: unknown },
  ) {
    // A file with thousands of bad keys gets the first hundred, not megabytes of the same message.
    const listed = issues.slice(0, MAX_LISTED_ISSUES).map(formatIssue);
    if (issues.length > MAX_LISTED_ISSUES) listed.push(`… and ${issues.length - MAX_LISTED_ISSUES} more problem(s).`);
    super(listed.join('\n'), options);
    this.name = 'ConfigError';
  }
}

/** A stage failed while data was moving (or a record failed under `on_error: fail`). Exit code 1. */
export class StageError extends Error {
  readonly exitCode: number = 1;
  constructor(
    readonly stage: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${stage}: ${message}`, options);
    this.name = 'StageError';
  }
}

/**
 * A stage's setting names something that is not there (a database file that does not exist):
 * a configuration problem the user fixes in the settings, found as the stage starts. Exit code 2.
 */
export class StageSetupError extends StageError {
  override readonly exitCode: number = 2;
  constructor(stage: string, message: string, options?: { cause?: unknown }) {
    super(stage, message, options);
    this.name = 'StageSetupError';
  }
}

/** A problem with one record; the stage's `on_error` policy decides what happens to it. */
export class RecordError extends Error {
  constructor(
    message: string,
    readonly reason = 'invalid_record',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RecordError';
  }
}

/**
 * The run finished, but past an alerting threshold (error rate, failed writes, a failed integrity
 * check): the alert was raised and the run fails with its own exit code, 4, so a scheduler can
 * tell "ran, but needs a person" from a crash (1) or a bad configuration (2).
 */
export class AlertError extends StageError {
  override readonly exitCode: number = 4;
  constructor(
    stage: string,
    message: string,
    readonly alerts: ReadonlyArray<{ kind: string; message: string }>,
    options?: { cause?: unknown },
  ) {
    super(stage, message, options);
    this.name = 'AlertError';
  }
}

/** The run was stopped by Ctrl-C (or another abort). Exit code 130. */
export class AbortedError extends Error {
  readonly exitCode = 130;
  constructor(message = 'Run interrupted.') {
    super(message);
    this.name = 'AbortedError';
  }
}

/** The exit code for an error thrown out of the library. */
export function exitCodeOf(error: unknown): number {
  if (error && typeof error === 'object' && 'exitCode' in error && typeof error.exitCode === 'number') return error.exitCode;
  return 1;
}
