import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline/promises';
import { AirtableApiError } from '../../airtable/errors.js';
import { ConfigError, StageError, type ConfigIssue } from '../../core/errors.js';
import { parseFieldMapping } from '../../core/field-mapping.js';
import { didYouMean } from '../../core/options.js';
import { connectBase, inspectLocal, inspectRemote, localTables, openLocal, remoteTables } from './inspect.js';
import { propose, type Proposal } from './propose.js';
import { renderProposal } from './render.js';
import { OTHER_TOKEN_NAMES } from '../user-config.js';

/** The file `--init` writes when not told otherwise, and the one db-maintenance then reads. */
export const DEFAULT_CONFIG_NAME = 'lead-maintenance.yaml';

/** Asks the user to pick one of `choices`; resolves to the one picked. */
export type Ask = (question: string, choices: readonly string[]) => Promise<string>;

export interface InitOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Where to write (`--config FILE`); `./lead-maintenance.yaml` by default. */
  out?: string;
  /** `--table`: the local table. */
  table?: string;
  /** `--airtable-table`: the Airtable table (name or id). */
  airtableTable?: string;
  /** How to ask which table when there are several; without it, several tables is an error naming them. */
  ask?: Ask;
  /** Where the summary and the next commands go (stderr for the CLI). */
  print: (text: string) => void;
  /** Write nothing: hand the proposal to `show` (stdout for the CLI), even when the file exists. */
  dryRun?: boolean;
  show?: (text: string) => void;
  now?: () => Date;
  signal?: AbortSignal;
}

export interface InitResult {
  file: string;
  proposal: Proposal;
}

/**
 * `db-maintenance --init`: looks at the local lead table and the Airtable table, proposes how
 * their columns and fields map to the canonical lead fields, and writes the proposal as a
 * commented configuration file. It never overwrites a file, and writes nothing when anything is
 * missing or ambiguous (a ConfigError, exit 2, that says what to set or which flag to give).
 */
export async function init(options: InitOptions): Promise<InitResult> {
  const given = options.out ?? DEFAULT_CONFIG_NAME;
  const file = path.resolve(options.cwd, given);
  const exists = (): ConfigError =>
    new ConfigError([
      { path: 'init', message: `${given} already exists; --init never overwrites it. Edit it, or move it away and run --init again for a new proposal.` },
    ]);
  if (!options.dryRun && fs.existsSync(file)) throw exists();
  const access = required(options.env);

  const db = openLocal(path.resolve(options.cwd, access.database));
  const base = connectBase(access, options.signal);
  try {
    const tables = await remoteTables(base.client);
    const issues: ConfigIssue[] = [];
    const localName = await choose(
      localTables(db),
      options.table,
      { what: `The database ${access.database}`, flag: '--table', ask: options.ask, caseless: true },
      issues,
    );
    const remoteName = await choose(
      tables.map((t) => t.name),
      tables.find((t) => t.id === options.airtableTable)?.name ?? options.airtableTable,
      { what: `The Airtable base ${access.baseId}`, flag: '--airtable-table', ask: options.ask, caseless: false },
      issues,
    );
    if (issues.length) throw new ConfigError(issues);
    const local = inspectLocal(db, access.database, localName!);
    const remote = await inspectRemote(base.client, tables.find((t) => t.name === remoteName)!);
    const proposal = propose(local, remote);

    const config = given === DEFAULT_CONFIG_NAME && path.dirname(file) === path.resolve(options.cwd) ? '' : ` --config ${shellWord(given)}`;
    const commands = { dryRun: `db-maintenance${config} --full-maintenance --dry-run`, live: `db-maintenance${config} --full-maintenance` };
    const text = renderProposal(proposal, { commands, now: (options.now ?? (() => new Date()))() });
    // The proposal must load as it is (bar an id column not found, which the user names).
    if (proposal.bookkeeping.id) parseFieldMapping(text, given);
    if (options.dryRun) {
      options.show?.(text);
      options.print(summary(given, proposal, commands, false));
      return { file, proposal };
    }
    try {
      fs.writeFileSync(file, text, { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw exists();
      throw new ConfigError([{ path: 'init', message: `Cannot write ${given}: ${(error as Error).message}` }], { cause: error });
    }
    options.print(summary(given, proposal, commands));
    return { file, proposal };
  } catch (error) {
    throw error instanceof AirtableApiError ? unreachable(error) : error;
  } finally {
    base.close();
    db.close();
  }
}

/** A refused token or base is the user's to fix (exit 2); an outage is a failure (exit 1). Either way, one line. */
function unreachable(error: AirtableApiError): Error {
  const message = `${error.message} ${error.status === null ? 'Check AIRTABLE_ENDPOINT_URL and the network' : 'Check AIRTABLE_TOKEN and AIRTABLE_BASE_ID'}; nothing was written.`;
  return error.status !== null && error.status >= 400 && error.status < 500 && !error.rateLimited
    ? new ConfigError([{ message }], { cause: error })
    : new StageError('init', message, { cause: error });
}

/** The variables --init needs, all checked at once. */
function required(env: NodeJS.ProcessEnv): { database: string; token: string; baseId: string; endpointUrl?: string } {
  const issues: ConfigIssue[] = [];
  const database = env.LEADS_DB?.trim();
  const token = env.AIRTABLE_TOKEN?.trim();
  const baseId = env.AIRTABLE_BASE_ID?.trim();
  if (!database) issues.push({ message: 'LEADS_DB is not set: set it to your SQLite lead database file.' });
  if (!token) {
    const other = OTHER_TOKEN_NAMES.find((name) => env[name]?.trim());
    issues.push({
      message: `AIRTABLE_TOKEN is not set${other ? ` (${other} is, but this tool reads AIRTABLE_TOKEN)` : ''}: export a personal access token (pat…) with the scopes data.records:read, data.records:write and schema.bases:read.`,
    });
  }
  if (!baseId) issues.push({ message: 'AIRTABLE_BASE_ID is not set: set it to your base id (app…, in the base URL after airtable.com/).' });
  else if (!/^app[A-Za-z0-9]{14}$/.test(baseId))
    issues.push({ message: `AIRTABLE_BASE_ID '${baseId}' is not an Airtable base id; it looks like app followed by 14 letters or digits.` });
  if (issues.length) throw new ConfigError(issues);
  return { database: database!, token: token!, baseId: baseId!, endpointUrl: env.AIRTABLE_ENDPOINT_URL?.trim() || undefined };
}

/** The table to map: the one given, the only one, or the one the user picks; else an issue naming them. */
async function choose(
  names: string[],
  given: string | undefined,
  how: { what: string; flag: string; ask?: Ask; caseless: boolean },
  issues: ConfigIssue[],
): Promise<string | undefined> {
  const listing = names.map((n) => `'${n}'`).join(', ');
  if (given !== undefined) {
    const found = names.find((n) => n === given) ?? (how.caseless ? names.find((n) => n.toLowerCase() === given.toLowerCase()) : undefined);
    if (!found)
      issues.push({ path: how.flag, message: `${how.what} has no table '${given}'${didYouMean(given, names)}; its tables are: ${listing || '(none)'}.` });
    return found;
  }
  if (names.length === 1) return names[0];
  if (names.length === 0) {
    issues.push({ path: how.flag, message: `${how.what} has no tables. --init maps an existing table of leads; check the variable that points at it.` });
    return undefined;
  }
  if (how.ask) return how.ask(`${how.what} has ${names.length} tables. Which one holds the leads?`, names);
  issues.push({ path: how.flag, message: `${how.what} has ${names.length} tables: ${listing}. Say which one holds the leads with ${how.flag} NAME.` });
  return undefined;
}

/** What was written, what was left out, and what to run next. */
function summary(given: string, p: Proposal, commands: { dryRun: string; live: string }, written = true): string {
  const book = p.bookkeeping;
  const times = [
    book.id && `'${book.id.name}' as the id`,
    book.modified && `'${book.modified.name}' as the modified time`,
    book.created && `'${book.created.name}' as the creation time`,
  ].filter(Boolean);
  const out = [
    `${written ? 'Wrote' : 'Dry run, nothing written; would write'} ${given}: table '${p.local.table}' (${p.columns.mapped.length} of ${p.local.columns.length} columns mapped to lead fields${times.length ? `, ${times.join(', ')}` : ''}) and Airtable table '${p.airtable.table}' (${p.fields.mapped.length} of ${p.airtable.columns.length} fields mapped); ${p.synced.length} field(s) kept in step.`,
  ];
  const left = [...p.columns.leftOut.map((l) => `local '${l.source}'`), ...p.fields.leftOut.map((l) => `Airtable '${l.source}'`)];
  if (left.length) out.push(`Not mapped (listed as comments in the file): ${left.join(', ')}.`);
  if (!p.bookkeeping.id) out.push(`No id column found in '${p.local.table}': name one in local.id_column before running.`);
  if (written) out.push('Read the file and correct what is wrong, then:', `  ${commands.dryRun}`, `  ${commands.live}`);
  return `${out.join('\n')}\n`;
}

/** A path as a shell word: quoted when it holds anything but letters, digits and `._/-`. */
function shellWord(text: string): string {
  return /^[\w./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

/** Asks on the terminal (stdin, stderr): a number from the list or a table's name. */
export const askOnTerminal: Ask = async (question, choices) => {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    process.stderr.write(`${question}\n${choices.map((c, i) => `  ${i + 1}. ${c}`).join('\n')}\n`);
    for (let tries = 0; tries < 3; tries++) {
      const answer = (await rl.question('Number or name: ')).trim();
      const picked = /^\d+$/.test(answer) ? choices[Number(answer) - 1] : choices.find((c) => c === answer);
      if (picked !== undefined) return picked;
      process.stderr.write(`'${answer}' is not one of them.\n`);
    }
    throw new ConfigError([{ path: 'init', message: 'No table chosen; nothing was written.' }]);
  } finally {
    rl.close();
  }
};
