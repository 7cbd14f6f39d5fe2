import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * What every benchmark shares: its result shape, running a command in a child process with its
 * wall time and peak RSS, and medians. Speed and memory targets are ratios against a baseline
 * measured in the same run, never absolute times: machines differ, ratios travel.
 */

export interface Target {
  what: string;
  value: number;
  /** The rule, as text: `>= 0.9`, `<= 1.1`. */
  target: string;
  ok: boolean;
}

export interface BenchResult {
  name: string;
  figures: Record<string, number | string>;
  targets: Target[];
}

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
/** The repository root (bench/ compiles to dist/bench/). */
export const ROOT = path.resolve(BENCH_DIR, BENCH_DIR.includes(`${path.sep}dist${path.sep}`) ? '../..' : '..');

export function atLeast(what: string, value: number, min: number): Target {
  return { what, value: round(value), target: `>= ${min}`, ok: value >= min };
}

export function atMost(what: string, value: number, max: number): Target {
  return { what, value: round(value), target: `<= ${max}`, ok: value <= max };
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface Measured {
  ms: number;
  /** Peak resident set size of the child, in MiB (NaN when it cannot be measured here). */
  rssMb: number;
}

const GNU_TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/**
 * Runs a command with stdin/stdout redirected to files, and measures its wall time and peak RSS
 * (through GNU time when present, so the measurement covers exactly that process).
 */
export function measure(command: string, args: string[], io: { stdin?: string; stdout?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const [cmd, argv] = GNU_TIME ? [GNU_TIME, ['-f', '%M', command, ...args]] : [command, args];
    const stdin = io.stdin ? fs.openSync(io.stdin, 'r') : 'ignore';
    const stdout = io.stdout ? fs.openSync(io.stdout, 'w') : 'ignore';
    const started = performance.now();
    const child = spawn(cmd, argv, { stdio: [stdin, stdout, 'pipe'], env: { ...process.env, ...io.env } });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (typeof stdin === 'number') fs.closeSync(stdin);
      if (typeof stdout === 'number') fs.closeSync(stdout);
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      const kb = GNU_TIME ? Number(stderr.trim().split('\n').pop()) : NaN;
      resolve({ ms, rssMb: kb / 1024 });
    });
  });
}

/** True when the module is the process's entry point (a benchmark run on its own). */
export function isMain(url: string): boolean {
  return Boolean(process.argv[1]) && url === pathToFileURL(process.argv[1]).href;
}

/** Runs a benchmark on its own: prints its result as JSON, exit 1 when a target is missed. */
export function runAlone(bench: () => Promise<BenchResult>): void {
  bench().then(
    (result) => {
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      if (result.targets.some((t) => !t.ok)) process.exitCode = 1;
    },
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? error}\n`);
      process.exitCode = 1;
    },
  );
}

/**
 * Sets environment variables (undefined removes one) and returns the function that puts back
 * exactly what was there before.
 */
export function withEnv(vars: Record<string, string | undefined>): () => void {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [key, value] of Object.entries(vars)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  return () => {
    for (const [key, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

/**
 * Runs a benchmark so that nothing it sets leaks into the next one run in the same process: the
 * environment is put back as it was (variables added removed, changed ones restored) and so are
 * the working directory and the exit code.
 */
export async function isolated<T>(run: () => Promise<T>): Promise<T> {
  const env = { ...process.env };
  const cwd = process.cwd();
  const exitCode = process.exitCode;
  try {
    return await run();
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
    for (const [key, value] of Object.entries(env)) if (process.env[key] !== value) process.env[key] = value;
    if (process.cwd() !== cwd) process.chdir(cwd);
    process.exitCode = exitCode;
  }
}

/** Whether a command exists on this machine. */
export function hasCommand(name: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => fs.existsSync(path.join(dir, name)));
}
