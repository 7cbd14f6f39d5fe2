import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { captureDirectory, writeText } from './capture.js';
import type { Normaliser } from './normalise.js';

/** One command of a case: a tool of the checkout under test, run in the case's directory. */
export interface Command {
  /** A command-line tool: bin/<tool>.js of the checkout (bench/<tool>.js for `generate-leads`). */
  tool: string;
  args: string[];
  /** A file (relative to the case's directory, or absolute) given as standard input. */
  stdin?: string;
  /** A file in the case's directory that takes standard output; else it is kept as `NN-tool.stdout`. */
  stdout?: string;
  env?: Record<string, string>;
  /** Keeps running while the case's later commands run (the Airtable emulator); stopped at the end. */
  background?: boolean;
}

export interface Case {
  /** Also the case's directory under the output directory (`bench-25000/workers-1`). */
  name: string;
  /** Writes the case's own input files (pipelines, configurations) into its directory; returns their names. */
  setup?(dir: string): string[];
  /** Run in order; a function is called when its turn comes, with the case's directory. */
  commands: Array<Command | ((dir: string) => Command)>;
}

export interface Checkout {
  /** The dist directory whose tools run. */
  dist: string;
  /** Its checkout (the directory holding dist), for the spec fixtures. */
  root: string;
}

export interface RunContext {
  checkout: Checkout;
  /** Where the cases run: one directory per case. */
  workDir: string;
  outDir: string;
  normaliser: Normaliser;
}

/** The module every child process loads first: fixed randomness (deterministic.ts). */
const PRELOAD = new URL('./deterministic.js', import.meta.url).href;
const COMMAND_TIMEOUT_MS = 5 * 60 * 1000;

/** How often a case runs at most while its Airtable requests needed retrying. */
const ATTEMPTS = 3;

/**
 * Runs a case. A request to the Airtable emulator may fail on a busy machine (a connection reset,
 * a 429) and is retried by the tools with the same outcome, but the logs and reports count the
 * retries: such a run is done again, so that what is kept is a run without them.
 */
export async function runCase(item: Case, context: RunContext): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const out = path.join(context.outDir, item.name);
    fs.rmSync(path.join(context.workDir, 'cases', item.name), { recursive: true, force: true });
    fs.rmSync(out, { recursive: true, force: true });
    await runCaseOnce(item, context);
    if (attempt === ATTEMPTS || !requestsRetried(out)) return;
    process.stderr.write(`${item.name}: Airtable requests were retried; running the case again.\n`);
  }
}

function requestsRetried(out: string): boolean {
  return fs
    .readdirSync(out)
    .filter((file) => file.endsWith('.stderr'))
    .some((file) => /"(retried|rate_limited)":[1-9]/.test(fs.readFileSync(path.join(out, file), 'utf8')));
}

/** Runs a case's commands in a fresh directory, then writes what they printed and left there. */
async function runCaseOnce(item: Case, context: RunContext): Promise<void> {
  const dir = path.join(context.workDir, 'cases', item.name);
  fs.mkdirSync(dir, { recursive: true });
  const own = new Set(item.setup?.(dir) ?? []);
  const out = path.join(context.outDir, item.name);
  fs.mkdirSync(out, { recursive: true });
  const log: string[] = [];
  const env: Record<string, string> = {};
  const background: Array<{ child: ChildProcess; finished: Promise<Finished>; number: number; tool: string }> = [];
  try {
    for (const [index, entry] of item.commands.entries()) {
      const command = typeof entry === 'function' ? entry(dir) : entry;
      const number = String(index + 1).padStart(2, '0');
      const seed = `${item.name}#${number}`;
      log.push(`$ ${describe(command)}`);
      if (command.background) {
        const started = await startBackground(command, dir, context.checkout, { ...env, LEAD_IDENTITY_SEED: seed });
        Object.assign(env, started.env);
        background.push({ ...started, number: index + 1, tool: command.tool });
        continue;
      }
      const result = await runCommand(command, dir, context.checkout, { ...env, LEAD_IDENTITY_SEED: seed });
      log.push(`exit ${result.code}`);
      keepOutput(out, `${number}-${command.tool}`, result, command.stdout === undefined, context.normaliser);
    }
  } finally {
    for (const server of background) {
      server.child.kill('SIGTERM');
      const result = await server.finished;
      log.push(`stopped ${server.tool} (command ${server.number}): exit ${result.code}`);
      keepOutput(out, `${String(server.number).padStart(2, '0')}-${server.tool}`, result, true, context.normaliser);
    }
  }
  fs.writeFileSync(path.join(out, 'commands.txt'), context.normaliser.text(`${log.join('\n')}\n`));
  captureDirectory(dir, out, context.normaliser, own);
}

interface Finished {
  code: number | string;
  stdout: Buffer;
  stderr: Buffer;
}

function keepOutput(out: string, name: string, result: Finished, withStdout: boolean, normaliser: Normaliser): void {
  if (withStdout) writeText(path.join(out, `${name}.stdout`), result.stdout, normaliser);
  writeText(path.join(out, `${name}.stderr`), result.stderr, normaliser);
}

function describe(command: Command): string {
  const redirects = [command.stdin && `< ${command.stdin}`, command.stdout && `> ${command.stdout}`].filter(Boolean);
  const env = Object.entries(command.env ?? {}).map(([key, value]) => `${key}=${value}`);
  return [...env, command.tool, ...command.args, ...redirects].join(' ') + (command.background ? ' &' : '');
}

/** The environment of every command: the user's own data and settings left out, randomness fixed. */
function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(LEADS_|AIRTABLE_|DEMO_|SPEC_|BACKUP$|NODE_OPTIONS$|FORCE_COLOR$)/.test(key)) env[key] = value;
  }
  return { ...env, TZ: 'UTC', NO_COLOR: '1', NODE_OPTIONS: `--import=${PRELOAD}`, ...extra };
}

function scriptOf(tool: string, checkout: Checkout): string {
  return path.join(checkout.dist, tool === 'generate-leads' ? 'bench' : 'bin', `${tool}.js`);
}

function spawnTool(command: Command, dir: string, checkout: Checkout, env: Record<string, string>): { child: ChildProcess; finished: Promise<Finished> } {
  const stdin = command.stdin ? fs.openSync(path.resolve(dir, command.stdin), 'r') : 'ignore';
  const stdout = command.stdout ? fs.openSync(path.resolve(dir, command.stdout), 'w') : 'pipe';
  const child = spawn(process.execPath, [scriptOf(command.tool, checkout), ...command.args], {
    cwd: dir,
    env: baseEnv({ ...env, ...command.env }),
    stdio: [stdin, stdout, 'pipe'],
  });
  for (const fd of [stdin, stdout]) if (typeof fd === 'number') fs.closeSync(fd);
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  child.stdout?.on('data', (chunk: Buffer) => chunks.stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => chunks.stderr.push(chunk));
  const finished = new Promise<Finished>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code: code ?? `signal ${signal}`, stdout: Buffer.concat(chunks.stdout), stderr: Buffer.concat(chunks.stderr) }),
    );
  });
  return { child, finished };
}

async function runCommand(command: Command, dir: string, checkout: Checkout, env: Record<string, string>): Promise<Finished> {
  const { child, finished } = spawnTool(command, dir, checkout, env);
  const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
  try {
    return await finished;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts the Airtable emulator and waits for the line that says where it listens; the later
 * commands get its address, token and base in their environment.
 */
async function startBackground(command: Command, dir: string, checkout: Checkout, env: Record<string, string>) {
  const started = spawnTool(command, dir, checkout, env);
  const listening = await new Promise<RegExpMatchArray>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${command.tool} did not start: ${seen}`)), 30_000);
    started.child.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = /listening on (http:\/\/\S+) with base (\w+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    started.finished.then(() => reject(new Error(`${command.tool} ended before it listened: ${seen}`)), reject);
  });
  return { ...started, env: { AIRTABLE_ENDPOINT_URL: listening[1]!, AIRTABLE_BASE_ID: listening[2]!, AIRTABLE_TOKEN: 'emulator-token' } };
}
