import { describeStage, listStages, stagesMarkdown } from '../../lib/core/describe.js';
import { runPipelineFile } from '../../lib/maintenance/run-pipeline.js';
import { coerceOptionString, COMMON_OPTIONS, didYouMean } from '../../lib/core/options.js';
import type { OptionSpec } from '../../lib/core/stage.js';
import { bundledPipelines, resolvePipelineFile } from '../../lib/core/paths.js';
import { stages } from '../../stages/index.js';
import { exitCodesHelp } from '../../lib/core/exit-codes.js';
import { interruptSignal, makeLogger, usage, finish, parseCommandLine } from '../cli.js';

const HELP = `Usage: run-pipeline FILE [options]

Runs a pipeline of stages described in a YAML file. A bare name that is not a file in the
working directory is looked up among the bundled pipelines (${bundledPipelines().join(', ')}).

Options:
  --dry-run              run everything, but writers apply nothing (they count what they would do)
  --check                check the pipeline and its configuration, run nothing
  --list-stages          list the stages (with --markdown: the README's table)
  --describe STAGE       show a stage's options, defaults and examples
  --rejects FILE         where rejected records go (default: the pipeline's rejects:, else rejects.jsonl)
  --set STAGE.OPTION=VALUE
                         override an option of every step of that stage (repeatable); a mapping
                         value (JSON) is merged key by key, e.g. --set diff.direction=to_airtable
  --log-level LEVEL      error, warn, info (default) or debug
  --log-format FORMAT    text (default) or json
  --version              the package's version
  -h, --help             this text

Flags are kebab-case (snake_case is taken too).

${exitCodesHelp('run-pipeline')}`;

async function main(): Promise<number> {
  const parsed = parseCommandLine(
    {
      'dry-run': { type: 'boolean' },
      check: { type: 'boolean' },
      'list-stages': { type: 'boolean' },
      markdown: { type: 'boolean' },
      describe: { type: 'string' },
      rejects: { type: 'string' },
      set: { type: 'string', multiple: true },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    { allowPositionals: true },
  );
  const { positionals } = parsed;
  const values = parsed.values as {
    'dry-run'?: boolean;
    check?: boolean;
    'list-stages'?: boolean;
    markdown?: boolean;
    describe?: string;
    rejects?: string;
    set?: string[];
    'log-level'?: string;
    'log-format'?: string;
    help?: boolean;
  };
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values['list-stages']) {
    process.stdout.write(values.markdown ? stagesMarkdown() : listStages());
    return 0;
  }
  if (values.describe !== undefined) {
    const stage = Object.hasOwn(stages, values.describe) ? stages[values.describe] : undefined;
    if (!stage) usage(`unknown stage "${values.describe}"${didYouMean(values.describe, Object.keys(stages))}; see --list-stages`);
    process.stdout.write(describeStage(stage));
    return 0;
  }
  if (positionals.length !== 1)
    usage(positionals.length ? `expected one pipeline file, got ${positionals.length}` : 'expected a pipeline file, e.g. run-pipeline full.yaml');
  const name = positionals[0];
  const file = resolvePipelineFile(name);
  if (!file)
    usage(
      `no pipeline file "${name}" here, and no bundled pipeline of that name${didYouMean(name, bundledPipelines())}; bundled: ${bundledPipelines().join(', ')}`,
    );

  const log = makeLogger(values['log-level'], values['log-format']);
  const overrides = parseSettings(values.set ?? []);
  return runPipelineFile(
    file,
    {
      overrides,
      check: values.check ?? false,
      dryRun: values['dry-run'] ?? false,
      rejects: values.rejects,
      interruptSignal: () => interruptSignal(log),
    },
    log,
  );
}

/** `--set stage.option=value` pairs as overrides, values typed by the option's declaration. */
function parseSettings(settings: string[]): Record<string, Record<string, unknown>> {
  const overrides: Record<string, Record<string, unknown>> = {};
  for (const setting of settings) {
    const match = /^([a-z0-9-]+)\.([a-z0-9_-]+)=(.*)$/s.exec(setting);
    if (!match) usage(`--set ${setting}: expected STAGE.OPTION=VALUE, e.g. --set diff.direction=to_airtable`);
    // The option as its YAML key: the command line takes it in kebab-case too.
    const [, stageName, given, text] = match;
    const option = given.replaceAll('-', '_');
    const stage = Object.hasOwn(stages, stageName) ? stages[stageName] : undefined;
    if (!stage) usage(`--set ${setting}: unknown stage "${stageName}"${didYouMean(stageName, Object.keys(stages))}`);
    const spec = ({ ...stage.options, ...COMMON_OPTIONS } as Record<string, OptionSpec>)[option];
    (overrides[stageName] ??= {})[option] = spec ? coerceOptionString(spec, text) : text;
  }
  return overrides;
}

finish(await main());
