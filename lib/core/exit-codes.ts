/**
 * The exit codes of every command-line tool, in one table: each tool's `--help` and the README's
 * table are generated from it, so what is documented is what the tools return.
 */

/** The command-line tools of the package. */
export const TOOLS = ['run-pipeline', 'run-stage', 'db-maintenance', 'airtable-emulator', 'create-sample-db', 'migrate-db'] as const;
export type Tool = (typeof TOOLS)[number];

interface ExitCode {
  code: number;
  meaning: string;
  /** The tools that can end with it. */
  tools: readonly Tool[];
}

const RUNNERS: readonly Tool[] = ['run-pipeline', 'run-stage', 'db-maintenance'];

export const EXIT_CODES = {
  ok: { code: 0, meaning: 'done', tools: TOOLS },
  failed: { code: 1, meaning: 'failed: the run or the command did not complete (the error says why)', tools: TOOLS },
  config: {
    code: 2,
    meaning: 'configuration or usage problem (a mistyped flag, a bad setting, a missing database); nothing was run',
    tools: TOOLS,
  },
  rolledBack: { code: 3, meaning: 'the run failed and was rolled back', tools: ['db-maintenance'] },
  alert: { code: 4, meaning: 'an alert was raised (error rate, backup, integrity, incomplete rollback)', tools: RUNNERS },
  needsConfirmation: { code: 5, meaning: 'confirmation needed (use --yes)', tools: ['db-maintenance'] },
  interrupted: { code: 130, meaning: 'interrupted (Ctrl-C stops cleanly and prints the counts so far)', tools: RUNNERS },
} as const satisfies Record<string, ExitCode>;

/** The codes by name, as the commands return them. */
export const EXIT = Object.fromEntries(Object.entries(EXIT_CODES).map(([name, entry]) => [name, entry.code])) as {
  readonly [K in keyof typeof EXIT_CODES]: (typeof EXIT_CODES)[K]['code'];
};

function codesOf(tool: Tool): ExitCode[] {
  return Object.values(EXIT_CODES as Record<string, ExitCode>).filter((entry) => entry.tools.includes(tool));
}

/** The `Exit codes:` paragraph of a tool's `--help`, one code a line. */
export function exitCodesHelp(tool: Tool): string {
  return `Exit codes:\n${codesOf(tool)
    .map((entry) => `  ${String(entry.code).padEnd(4)} ${entry.meaning}`)
    .join('\n')}\n`;
}

/** The README's table: every code, what it means, and which tools return it. */
export function exitCodesMarkdown(): string {
  const rows = Object.values(EXIT_CODES as Record<string, ExitCode>).map(
    (entry) => `| ${entry.code} | ${entry.meaning} | ${entry.tools.length === TOOLS.length ? 'all' : entry.tools.map((t) => `\`${t}\``).join(', ')} |`,
  );
  return ['| code | meaning | tools |', '| --- | --- | --- |', ...rows].join('\n') + '\n';
}
