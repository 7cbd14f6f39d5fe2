import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Duplex, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { stageStream } from '../lib/core/adapter.js';
import { NO_CONFIG, type LoadedConfig } from '../lib/core/config.js';
import { closeRun, newCounters, openRun, stageContext, type RunSettings } from '../lib/core/context.js';
import { ConfigError, type ConfigIssue } from '../lib/core/errors.js';
import { loadPipeline } from '../lib/core/pipeline.js';
import { resolveOptions } from '../lib/core/pipeline.js';
import type { Lead } from '../lib/core/record.js';
import type { StreamItem } from '../lib/core/types.js';
import type { OnErrorPolicy, Stage, StageCounters } from '../lib/core/stage.js';
import { stages } from '../stages/index.js';

/** The repository root (compiled specs run from dist/, fixtures live in the sources). */
export const ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));
function findRoot(dir: string): string {
  return fs.existsSync(path.join(dir, 'package.json')) && !dir.endsWith(`${path.sep}dist`) ? dir : findRoot(path.dirname(dir));
}

/** A fixture file's path: `fixture('pipelines', 'bad-stage.yaml')`. */
export function fixture(...parts: string[]): string {
  return path.join(ROOT, 'spec', 'fixtures', ...parts);
}

/** A fresh temporary directory, removed after the current test file. */
export function tempDir(prefix = 'spec-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
const tempDirs: string[] = [];
process.on('exit', () => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Builds a lead with sensible defaults. */
export function lead(fields: Partial<Lead> = {}): Lead {
  return { name: 'Ada Lovelace', email: 'ada@example.org', company: 'Analytical Engines Ltd', ...fields };
}

export interface StageRun {
  output: Lead[];
  counters: StageCounters;
  /** Entries written to the rejects file. */
  rejects: Array<Record<string, unknown>>;
}

/**
 * Runs one stage (by name or spec) over `records` through the same adapter a pipeline uses,
 * with options resolved and checked as in a pipeline file.
 */
export async function runStage(
  stage: string | Stage<any>,
  options: Record<string, unknown>,
  records: StreamItem[] | AsyncIterable<StreamItem>,
  settings: RunSettings & { config?: LoadedConfig } = {},
): Promise<StageRun> {
  const spec = typeof stage === 'string' ? stages[stage] : stage;
  if (!spec) throw new Error(`no stage ${String(stage)}`);
  const issues: ConfigIssue[] = [];
  const resolved = resolveOptions(spec, options, { label: spec.name, baseDir: process.cwd(), locate: () => undefined }, settings.config ?? NO_CONFIG, issues);
  if (issues.length) throw new ConfigError(issues);
  const rejectsFile = settings.rejects ?? path.join(tempDir('rejects-'), 'rejects.jsonl');
  // Run journals go to a temporary directory, not beside the working directory.
  const run = openRun({ stateDir: tempDir('state-'), ...settings, rejects: rejectsFile, config: settings.config ?? NO_CONFIG });
  const counters = newCounters(spec.name);
  run.counters = [counters];
  const output: Lead[] = [];
  try {
    const ctx = stageContext(run, spec.name, 0, counters, resolved.on_error as OnErrorPolicy);
    const instance = await spec.create(resolved, ctx);
    // A source reads its own input; anything else reads `records`.
    const first = spec.kind === 'source';
    const stream = stageStream(instance, ctx, counters, first);
    const sink = new Writable({
      objectMode: true,
      write(record, _e, cb) {
        output.push(record);
        cb();
      },
    });
    if (first) await pipeline(stream as Readable, sink);
    else await pipeline(Readable.from(records as Iterable<Lead>), stream as Duplex, sink);
  } finally {
    await closeRun(run);
  }
  const rejects = fs.existsSync(rejectsFile)
    ? fs
        .readFileSync(rejectsFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
  return { output, counters, rejects };
}

/** Feeds `text` as a stream of chunks of `size` bytes (splitting multi-byte characters too). */
export function chunked(text: string | Buffer, size: number): Readable {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks);
}

/** Writes JSONL lines to a file and returns its path. */
export function writeJsonl(dir: string, name: string, records: unknown[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

/**
 * Loads a fixture pipeline as `run-pipeline` would from the repository root and returns its
 * configuration problems, one line each (`file:line:col step.option: message`). Fails the test
 * when the pipeline loads without a problem.
 */
export function pipelineProblems(file: string, env: NodeJS.ProcessEnv = {}): string[] {
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    loadPipeline(file, { env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message.split('\n');
  } finally {
    process.chdir(cwd);
  }
  throw new Error(`${file} loaded without a problem`);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one of the package's bins as a user would, in a child process. */
export function cli(bin: string, args: string[], options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'bin', `${bin}.js`), ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
