import { describeStage } from '../../lib/core/describe.js';
import { runOneStage } from '../../lib/maintenance/run-stage.js';
import { coerceOptionString, COMMON_OPTIONS, didYouMean } from '../../lib/core/options.js';
import { stages } from '../../stages/index.js';
import type { OptionSpec } from '../../lib/core/stage.js';
import { exitCodesHelp } from '../../lib/core/exit-codes.js';
import { interruptSignal, kebabCase, makeLogger, parseCommandLine, usage, finish } from '../cli.js';

const HELP = `Usage: run-stage STAGE [--option value …] < input.jsonl > output.jsonl

Runs one stage over JSON Lines: reads stdin, writes stdout (a source stage reads its own input;
read-jsonl and write-jsonl are not added twice). Options are the stage's, by their names in
kebab-case (run-stage STAGE --help lists them): --strip-meta, --batch-size 10, --fields a,b.
Their YAML names (--batch_size) are taken too. Defaults come from the bundled
config/maintenance.yaml unless --config names another.

Options:
  --config FILE          the maintenance configuration to take defaults from
  --dry-run              writers apply nothing
  --rejects FILE         where rejected records go (default rejects.jsonl)
  --log-level LEVEL      error, warn (default), info or debug
  --log-format FORMAT    text (default) or json
  --version              the package's version
  -h, --help             this text (with a STAGE: that stage's options)

${exitCodesHelp('run-stage')}`;

const GENERAL = {
  config: { type: 'string' },
  'dry-run': { type: 'boolean' },
  rejects: { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A stage option's flag: its YAML name in kebab-case. */
const flagOf = (option: string): string => option.replaceAll('_', '-');

async function main(): Promise<number> {
  const argv = kebabCase(process.argv.slice(2));
  const name = argv[0];
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(HELP);
    return name ? 0 : 2;
  }
  if (name.startsWith('-')) {
    parseCommandLine(GENERAL, { args: argv });
    usage(`expected a stage first, e.g. run-stage normalize ${name}`);
  }
  const stage = Object.hasOwn(stages, name) ? stages[name] : undefined;
  if (!stage) usage(`unknown stage "${name}"${didYouMean(name, Object.keys(stages))}; run-pipeline --list-stages lists them`);
  const specs: Record<string, OptionSpec> = { ...stage.options, ...COMMON_OPTIONS };
  const flags = Object.keys(specs).map(flagOf);
  for (const arg of argv.slice(1)) {
    const key = /^--([^=]+)/.exec(arg)?.[1];
    if (key && key !== 'version' && !(key in GENERAL) && !flags.includes(key)) {
      usage(
        `unknown option --${key} for ${name}${didYouMean(
          `--${key}`,
          flags.map((f) => `--${f}`),
        )}; it takes ${flags.map((f) => `--${f}`).join(', ')}`,
      );
    }
  }
  const stageFlags = Object.fromEntries(
    Object.entries(specs).map(([key, spec]) => [flagOf(key), { type: spec.type === 'boolean' ? 'boolean' : 'string' } as const]),
  );
  const { values } = parseCommandLine({ ...stageFlags, ...GENERAL }, { args: argv.slice(1) });
  if (values.help) {
    process.stdout.write(`${describeStage(stage)}\nOn the command line: ${flags.map((f) => `--${f}`).join(', ')}\n`);
    return 0;
  }
  const given: Record<string, unknown> = {};
  for (const [flag, raw] of Object.entries(values)) {
    const option = flag.replaceAll('-', '_');
    if (!(flag in GENERAL)) given[option] = coerceOptionString(specs[option], raw as string | boolean);
  }
  const log = makeLogger((values['log-level'] as string | undefined) ?? 'warn', values['log-format'] as string | undefined);
  return runOneStage(
    name,
    given,
    {
      config: values.config as string | undefined,
      dryRun: Boolean(values['dry-run']),
      rejects: values.rejects as string | undefined,
      interruptSignal: () => interruptSignal(log),
    },
    log,
  );
}

finish(await main());
