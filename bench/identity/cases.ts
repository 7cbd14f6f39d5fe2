import fs from 'node:fs';
import path from 'node:path';
import type { Case, Checkout, Command } from './run.js';

/**
 * The cases of the identity check. Each JSON Lines input goes through every stage that reads
 * JSON Lines, once with one worker (the plain path) and once with the default worker count (the
 * parallel path; large inputs start worker threads); databases and Airtable go through the
 * bundled pipelines, by `db-maintenance` on the sample data and by `run-pipeline` against the
 * emulator started as its own process.
 */

/** Leads enough that the parallel path starts workers (its threshold is 8 MiB of input). */
export const LARGE_BENCH = 25_000;
export const SMALL_BENCH = 2_000;
export const BENCH_SEED = 7;

export interface Inputs {
  /** Plain generated leads, as `run-stage normalize < export.jsonl` gets them. */
  large: string;
  /** Generated leads tagged as read from the two systems (_meta.source, id, modified_at, original), so diff has work. */
  twoSystems: string;
}

type Step = Record<string, Record<string, unknown>>;

/** A pipeline file: JSON is YAML, so the steps are written as JSON objects. */
function pipelineFile(steps: Step[], settings: { rejects: string; config?: string }): string {
  const head = [settings.config ? `config: ${settings.config}` : undefined, `rejects: ${settings.rejects}`].filter(Boolean);
  return [...head, 'steps:', ...steps.map((step) => `  - ${JSON.stringify(step)}`), ''].join('\n');
}

const ONE_WORKER = 'maintenance_config:\n  performance:\n    enable_parallel_processing: false\n';

/** The two worker settings: one (the plain path) and the default (one per core). */
const WORKERS = [
  { label: 'workers-default', config: undefined, stageArgs: [] as string[] },
  { label: 'workers-1', config: 'one-worker.yaml', stageArgs: ['--config', 'one-worker.yaml'] },
];

/** read-jsonl, the per-record stages and dedupe, write-jsonl: the pipeline that runs on every core. */
function segmentSteps(input: string, output: string, dedupe: Record<string, unknown> = {}): Step[] {
  return [{ 'read-jsonl': { path: input } }, { normalize: {} }, { fingerprint: {} }, { dedupe }, { 'write-jsonl': { path: output } }];
}

/** Bench leads through run-stage, stage by stage, and through the segment pipeline, under one worker setting. */
function benchCase(name: string, input: string, workers: (typeof WORKERS)[number], options: { groups: boolean; downstream: boolean }): Case {
  const dedupe = options.groups ? { emit_groups: true } : {};
  const stage = (stageName: string, stdin: string, stdout: string, extra: string[] = []): Command => ({
    tool: 'run-stage',
    args: [stageName, ...workers.stageArgs, '--rejects', `rejects-${stageName}.jsonl`, ...extra],
    stdin,
    stdout,
  });
  const commands: Command[] = [
    stage('normalize', input, 'normalize.jsonl'),
    stage('fingerprint', 'normalize.jsonl', 'fingerprint.jsonl'),
    stage('dedupe', 'fingerprint.jsonl', 'dedupe.jsonl', options.groups ? ['--emit_groups'] : []),
    { tool: 'run-pipeline', args: ['segment.yaml'] },
  ];
  if (options.downstream) {
    commands.push(
      stage('diff', 'dedupe.jsonl', 'diff.jsonl'),
      stage('report', 'diff.jsonl', 'report.jsonl', ['--directory', 'reports']),
      stage('write-jsonl', 'dedupe.jsonl', 'write-jsonl.jsonl', ['--strip_meta']),
      stage('read-jsonl', input, 'read-jsonl.jsonl'),
    );
  }
  return {
    name: `${name}/${workers.label}`,
    setup: (dir) =>
      writeFiles(dir, {
        'one-worker.yaml': ONE_WORKER,
        'segment.yaml': pipelineFile(segmentSteps(input, 'segment.jsonl', dedupe), { rejects: 'rejects-segment.jsonl', config: workers.config }),
      }),
    commands,
  };
}

function writeFiles(dir: string, files: Record<string, string>): string[] {
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return Object.keys(files);
}

export function benchCases(inputs: Inputs): Case[] {
  return WORKERS.flatMap((workers) => [
    benchCase(`bench-${LARGE_BENCH}`, inputs.large, workers, { groups: false, downstream: false }),
    benchCase(`bench-${SMALL_BENCH}-two-systems`, inputs.twoSystems, workers, { groups: true, downstream: workers.config === undefined }),
  ]);
}

/** The spec fixtures that are JSON Lines inputs (an `.expected.` file is an output). */
export function fixtureFiles(checkout: Checkout): string[] {
  const root = path.join(checkout.root, 'spec', 'fixtures');
  return ['jsonl', 'match', 'normalize', 'report']
    .flatMap((folder) =>
      fs
        .readdirSync(path.join(root, folder))
        .sort()
        .map((file) => path.join(folder, file)),
    )
    .filter((file) => file.endsWith('.jsonl') && !file.includes('.expected.'))
    .map((file) => path.join(root, file));
}

/**
 * A fixture through every JSON Lines stage in one pipeline, each stage's output kept by a
 * write-jsonl after it; then through the segment pipeline with each worker setting.
 */
export function fixtureCase(file: string, checkout: Checkout): Case {
  const tap = (name: string): Step => ({ 'write-jsonl': { path: `${name}.jsonl` } });
  const chain: Step[] = [
    { 'read-jsonl': { path: file } },
    tap('read-jsonl'),
    { normalize: {} },
    tap('normalize'),
    { fingerprint: {} },
    tap('fingerprint'),
    { dedupe: { emit_groups: true } },
    tap('dedupe'),
    { diff: {} },
    tap('diff'),
    // An alert (rejected lines count as errors) must not stop the chain before its last stage.
    { report: { directory: 'reports', fail_on_alert: false } },
    { 'write-jsonl': { path: 'write-jsonl.jsonl', strip_meta: true } },
  ];
  const files: Record<string, string> = { 'one-worker.yaml': ONE_WORKER, 'chain.yaml': pipelineFile(chain, { rejects: 'rejects-chain.jsonl' }) };
  const commands: Command[] = [{ tool: 'run-pipeline', args: ['chain.yaml'] }];
  for (const workers of WORKERS) {
    files[`segment-${workers.label}.yaml`] = pipelineFile(segmentSteps(file, `segment-${workers.label}.jsonl`), {
      rejects: `rejects-segment-${workers.label}.jsonl`,
      config: workers.config,
    });
    commands.push({ tool: 'run-pipeline', args: [`segment-${workers.label}.yaml`] });
  }
  const name = path.relative(path.join(checkout.root, 'spec'), file).replace(/\.jsonl$/, '');
  // The report fixtures are what reaches the report stage (groups, operations): given to it directly too.
  if (name.startsWith(`fixtures${path.sep}report${path.sep}`))
    commands.push({ tool: 'run-stage', args: ['report', '--directory', 'reports-direct'], stdin: file, stdout: 'report-direct.jsonl' });
  return { name, setup: (dir) => writeFiles(dir, files), commands };
}

/** The sample database (create-sample-db) through read-sqlite, every JSON Lines stage, write-sqlite and report. */
export function sampleDatabaseCase(): Case {
  const tap = (name: string): Step => ({ 'write-jsonl': { path: `${name}.jsonl` } });
  const steps: Step[] = [
    { 'read-sqlite': { database: 'leads.db', state_file: 'sync-state.db' } },
    tap('read-sqlite'),
    { normalize: {} },
    tap('normalize'),
    { fingerprint: {} },
    tap('fingerprint'),
    { dedupe: { emit_groups: true, review_file: 'review/duplicates.jsonl' } },
    tap('dedupe'),
    { diff: { review_file: 'review/conflicts.jsonl' } },
    tap('diff'),
    { 'write-sqlite': { database: 'leads.db' } },
    tap('write-sqlite'),
    { report: { directory: 'reports' } },
  ];
  return {
    name: 'sample-database/local',
    setup: (dir) => writeFiles(dir, { 'local.yaml': pipelineFile(steps, { rejects: 'rejects.jsonl' }) }),
    commands: [
      { tool: 'create-sample-db', args: ['--out', 'leads.db', '--count', '1000', '--seed', '5'] },
      { tool: 'run-stage', args: ['read-sqlite', '--database', 'leads.db'], stdout: 'read-sqlite-before.jsonl' },
      { tool: 'run-pipeline', args: ['local.yaml'] },
      { tool: 'migrate-db', args: ['--database', 'leads.db', '--check'] },
      { tool: 'run-stage', args: ['read-sqlite', '--database', 'leads.db'], stdout: 'read-sqlite-after.jsonl' },
    ],
  };
}

const SAMPLE = ['--sample', '--data-dir', 'data'];

/** The id of the n-th run (in time order) journaled in a case's sample data. */
function runId(dir: string, n: number): string {
  const runs = fs.readdirSync(path.join(dir, 'data', '.lead-maintenance', 'runs')).sort();
  return runs[n]!;
}

/** The maintenance commands on the sample data (the emulated base runs inside db-maintenance). */
export function maintenanceCases(): Case[] {
  const command = (...args: string[]): Command => ({ tool: 'db-maintenance', args: [...args, ...SAMPLE] });
  return [
    {
      name: 'maintenance/full-then-undo',
      commands: [
        command('--full-maintenance', '--yes'),
        command('--status'),
        command('--full-maintenance', '--yes'),
        (dir) => command('--rollback', runId(dir, 0), '--yes'),
        (dir) => command('--restore', path.join('data', 'backups', runId(dir, 0)), '--yes'),
      ],
    },
    { name: 'maintenance/full-dry-run', commands: [command('--full-maintenance', '--dry-run')] },
    { name: 'maintenance/remove-duplicates', commands: [command('--remove-duplicates', '--yes')] },
    { name: 'maintenance/standardize-fields', commands: [command('--standardize-fields', '--yes')] },
    { name: 'maintenance/sync-data', commands: [command('--sync-data', '--yes')] },
  ];
}

/** The bundled pipelines by run-pipeline: full.yaml against the emulator as its own process, demo.yaml. */
export function pipelineCases(): Case[] {
  return [
    {
      name: 'pipelines/full-on-emulator',
      commands: [
        { tool: 'db-maintenance', args: ['--backup-only', '--yes', ...SAMPLE] },
        { tool: 'airtable-emulator', args: ['--port', '0', '--data', 'data/airtable-base.db'], background: true },
        (dir) => ({ tool: 'run-pipeline', args: ['full.yaml'], env: { LEADS_DB: path.join(dir, 'data', 'leads.db'), LEADS_DATA_DIR: path.join(dir, 'data') } }),
        { tool: 'run-stage', args: ['read-airtable'], stdout: 'read-airtable-after.jsonl' },
      ],
    },
    {
      name: 'pipelines/demo',
      commands: [
        (dir) => ({
          tool: 'run-pipeline',
          args: ['demo.yaml'],
          env: {
            DEMO_OUTPUT: path.join(dir, 'demo-leads.jsonl'),
            DEMO_ANNOTATED: path.join(dir, 'demo-leads-annotated.jsonl'),
            LEADS_REJECTS: path.join(dir, 'rejects.jsonl'),
          },
        }),
      ],
    },
  ];
}
