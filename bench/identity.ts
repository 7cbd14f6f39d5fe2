/**
 * The byte-identity check for a change that must not change behaviour. It runs every stage and
 * the bundled pipelines through the command-line tools of one checkout's dist (as child
 * processes, so it runs the same on the code before and after a refactor), on generated bench
 * leads, the spec fixtures and the sample database, and writes every output (JSON Lines,
 * rejects, reports, journals, SQLite rows in primary-key order, what each command printed and its
 * exit code) into one directory per case. Randomness is fixed in every process
 * (identity/deterministic.ts) and the clock's traces are normalised (identity/normalise.ts), so
 * two runs of the same code write the same bytes.
 *
 *   node dist/bench/identity.js --out DIR [--dist CHECKOUT/dist] [--only REGEXP] [--jobs N]
 *   node dist/bench/identity.js --compare DIR_A DIR_B
 *
 * `--compare` prints each case as identical or different (with the first differing line) and
 * exits 1 when any case differs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  benchCases,
  BENCH_SEED,
  fixtureCase,
  fixtureFiles,
  LARGE_BENCH,
  maintenanceCases,
  pipelineCases,
  sampleDatabaseCase,
  SMALL_BENCH,
  type Inputs,
} from './identity/cases.js';
import { compareOutputs } from './identity/compare.js';
import { createNormaliser } from './identity/normalise.js';
import { runCase, type Case, type Checkout, type RunContext } from './identity/run.js';

const USAGE = `Usage: identity --out DIR [--dist CHECKOUT/dist] [--only REGEXP] [--jobs N]
       identity --compare DIR_A DIR_B
Runs every stage and the bundled pipelines with the tools of a checkout's dist (default: the one
holding this script) and writes their normalised outputs under DIR, one directory per case; or
compares two such directories case by case (exit 1 when any case differs).`;

const OWN_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      compare: { type: 'boolean' },
      dist: { type: 'string' },
      only: { type: 'string' },
      jobs: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.compare && positionals.length === 2 && !values.out) return compare(positionals[0]!, positionals[1]!);
  if (values.out && !values.compare && positionals.length === 0) {
    const jobs = Number(values.jobs ?? 3);
    if (!Number.isInteger(jobs) || jobs < 1) throw new Error('--jobs must be a whole number of at least 1');
    return write(path.resolve(values.out), path.resolve(values.dist ?? OWN_DIST), values.only, jobs);
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

function compare(a: string, b: string): number {
  const results = compareOutputs(a, b);
  for (const result of results)
    process.stdout.write(`${result.identical ? 'identical' : 'DIFFERENT'}  ${result.name}${result.difference ? `\n  ${result.difference}` : ''}\n`);
  const different = results.filter((result) => !result.identical).length;
  process.stdout.write(`${results.length - different} of ${results.length} case(s) identical.\n`);
  return different || results.length === 0 ? 1 : 0;
}

async function write(outDir: string, dist: string, only: string | undefined, jobs: number): Promise<number> {
  if (fs.existsSync(outDir) && fs.readdirSync(outDir).length) throw new Error(`${outDir} is not empty: give a new directory`);
  if (!fs.existsSync(path.join(dist, 'bin', 'run-stage.js'))) throw new Error(`${dist} holds no bin/run-stage.js: give a checkout's dist`);
  const checkout: Checkout = { dist, root: path.dirname(dist) };
  const startedAt = Date.now();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lead-identity-'));
  const normaliser = createNormaliser({ startedAt, paths: pathsToHide(workDir, checkout.root) });
  const context: RunContext = { checkout, workDir, outDir, normaliser };
  try {
    await timed('inputs', () => runCase(inputsCase(), context));
    const inputs = prepareInputs(context);
    const filter = only ? new RegExp(only) : undefined;
    const cases = allCases(inputs, checkout).filter((item) => !filter || filter.test(item.name));
    await inPool(cases, jobs, (item) => timed(item.name, () => runCase(item, context)));
    process.stderr.write(`${cases.length + 1} case(s) written to ${outDir} in ${Math.round((Date.now() - startedAt) / 1000)} s.\n`);
    return 0;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/** Paths that differ between checkouts and runs, with what replaces them (their real paths too). */
function pathsToHide(workDir: string, root: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [dir, name] of [
    [workDir, '<work>'],
    [root, '<checkout>'],
  ] as const) {
    pairs.push([dir, name]);
    const real = fs.realpathSync(dir);
    if (real !== dir) pairs.push([real, name]);
  }
  return pairs;
}

/** The bench leads, made by the checkout's own generator (a fixed seed). */
function inputsCase(): Case {
  return {
    name: 'inputs',
    commands: [
      { tool: 'generate-leads', args: [String(LARGE_BENCH), '--seed', String(BENCH_SEED)], stdout: `bench-${LARGE_BENCH}.jsonl` },
      { tool: 'generate-leads', args: [String(SMALL_BENCH), '--seed', String(BENCH_SEED)], stdout: `bench-${SMALL_BENCH}.jsonl` },
    ],
  };
}

/**
 * The two-systems leads: every third generated lead as if read from Airtable, the others as if
 * from the local database, with the `_meta` the readers give (source, id, times, original).
 */
function prepareInputs(context: RunContext): Inputs {
  const dir = path.join(context.workDir, 'cases', 'inputs');
  const lines = fs
    .readFileSync(path.join(dir, `bench-${SMALL_BENCH}.jsonl`), 'utf8')
    .split('\n')
    .filter(Boolean);
  const tagged = lines.map((line, i) => {
    const { id, ...fields } = JSON.parse(line) as Record<string, unknown>;
    const airtable = i % 3 === 2;
    const meta = {
      source: airtable ? 'airtable' : 'local',
      id: airtable ? `rec${i.toString(36).padStart(14, '0')}` : id,
      modified_at: fields.updated_at,
      created_at: fields.created_at,
      original: fields,
    };
    return `${JSON.stringify({ ...fields, _meta: meta })}\n`;
  });
  const twoSystems = path.join(dir, `bench-${SMALL_BENCH}-two-systems.jsonl`);
  fs.writeFileSync(twoSystems, tagged.join(''));
  fs.copyFileSync(twoSystems, path.join(context.outDir, 'inputs', path.basename(twoSystems)));
  return { large: path.join(dir, `bench-${LARGE_BENCH}.jsonl`), twoSystems };
}

/** Every case, the longest first so the pool ends together. */
function allCases(inputs: Inputs, checkout: Checkout): Case[] {
  const [fullThenUndo, ...maintenance] = maintenanceCases();
  const [onEmulator, ...pipelines] = pipelineCases();
  return [
    fullThenUndo!,
    onEmulator!,
    ...benchCases(inputs),
    ...maintenance,
    sampleDatabaseCase(),
    ...pipelines,
    ...fixtureFiles(checkout).map((file) => fixtureCase(file, checkout)),
  ];
}

async function timed(name: string, run: () => Promise<void>): Promise<void> {
  const started = Date.now();
  await run();
  process.stderr.write(`${name}: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

/** Runs `work` over the items, at most `jobs` at a time, in order of start. */
async function inPool<T>(items: T[], jobs: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, lane));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`identity: ${(error as Error).message}\n`);
    process.exitCode = 2;
  },
);
