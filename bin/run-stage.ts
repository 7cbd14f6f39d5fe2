#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { describeStage } from '../lib/core/describe.js';
import { runOneStage } from '../lib/maintenance/run-stage.js';
import { coerceOptionString, COMMON_OPTIONS, didYouMean } from '../lib/core/options.js';
import { stages } from '../stages/index.js';
import type { OptionSpec } from '../lib/core/stage.js';
import { interruptSignal, makeLogger, usage, finish } from './cli.js';

const HELP = `Usage: run-stage STAGE [--option value …] < input.jsonl > output.jsonl

Runs one stage over JSON Lines: reads stdin, writes stdout (a source stage reads its own input;
read-jsonl and write-jsonl are not added twice). Options are the stage's, by their names
(run-pipeline --describe STAGE lists them): --strip_meta, --batch_size 10, --fields a,b.
Defaults come from the bundled config/maintenance.yaml unless --config names another.

Options:
  --config FILE          the maintenance configuration to take defaults from
  --dry-run              writers apply nothing
  --rejects FILE         where rejected records go (default rejects.jsonl)
  --log-level LEVEL      error, warn (default), info or debug
  --log-format FORMAT    text (default) or json
  -h, --help             this text (with a STAGE: that stage's options)

Exit codes: 0 done, 1 the stage failed, 2 configuration or usage problem, 130 interrupted.
`;

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const name = argv[0];
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(HELP);
    return name ? 0 : 2;
  }
  const stage = Object.hasOwn(stages, name) ? stages[name] : undefined;
  if (!stage) usage(`unknown stage "${name}"${didYouMean(name, Object.keys(stages))}; run-pipeline --list-stages lists them`);
  const specs: Record<string, OptionSpec> = { ...stage.options, ...COMMON_OPTIONS };
  const general = {
    config: { type: 'string' },
    'dry-run': { type: 'boolean' },
    rejects: { type: 'string' },
    'log-level': { type: 'string' },
    'log-format': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  for (const arg of argv.slice(1)) {
    const key = /^--([^=]+)/.exec(arg)?.[1];
    if (key && !(key in general) && !(key in specs)) {
      usage(
        `unknown option --${key} for ${name}${didYouMean(key, Object.keys(specs))}; it takes ${Object.keys(specs)
          .map((k) => `--${k}`)
          .join(', ')}`,
      );
    }
  }
  const stageFlags = Object.fromEntries(Object.entries(specs).map(([key, spec]) => [key, { type: spec.type === 'boolean' ? 'boolean' : 'string' } as const]));
  let parsed;
  try {
    parsed = parseArgs({ args: argv.slice(1), strict: true, allowPositionals: false, options: { ...stageFlags, ...general } });
  } catch (error) {
    usage((error as Error).message);
  }
  if (parsed.values.help) {
    process.stdout.write(describeStage(stage));
    return 0;
  }
  const given: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(parsed.values)) {
    if (!(key in general)) given[key] = coerceOptionString(specs[key], raw as string | boolean);
  }
  const log = makeLogger((parsed.values['log-level'] as string | undefined) ?? 'warn', parsed.values['log-format'] as string | undefined);
  return runOneStage(
    name,
    given,
    {
      config: parsed.values.config as string | undefined,
      dryRun: Boolean(parsed.values['dry-run']),
      rejects: parsed.values.rejects as string | undefined,
      interruptSignal: () => interruptSignal(log),
    },
    log,
  );
}

finish(await main());
