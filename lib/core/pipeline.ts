import path from 'node:path';
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { configValue, DEFAULT_CONFIG_FILE, loadConfig, NO_CONFIG, substituteScalars, type LoadedConfig } from './config.js';
import { ConfigError, type ConfigIssue, type SourcePosition } from './errors.js';
import { fieldMappingIssues } from './field-mapping.js';
import { checkOptionValue, COMMON_OPTIONS, didYouMean } from './options.js';
import { displayPath } from './paths.js';
import { stages } from './registry.js';
import type { OptionSpec, Stage } from './stage.js';
import { keyNodeAt, nodeAt, positionOf, readYaml, resolveFrom, type YamlSource } from './yaml-source.js';
import { setOwn } from './own.js';

/** A pipeline ready to run: every step's stage found and its options resolved and checked. */
export interface Pipeline {
  /** The YAML file, when the pipeline came from one. */
  file?: string;
  description?: string;
  config: LoadedConfig;
  /** Where rejected records go (JSONL, appended). */
  rejects: string;
  steps: PipelineStep[];
}

export interface PipelineStep {
  stage: Stage<any>;
  /** Options with defaults applied, paths resolved, `on_error` included. */
  options: Record<string, unknown>;
  position?: SourcePosition;
}

/** Where a step's given options came from, so a bad value can be located. */
export interface OptionSource {
  /** Position of an option given by the step (`path` is dotted from the option's name). */
  locate(path: string): SourcePosition | undefined;
  /** Directory that relative `path` options resolve from. */
  baseDir: string;
  /** Label used in messages: the step's stage name, or `steps[3].stage` style. */
  label: string;
}

const TOP_LEVEL_KEYS = ['description', 'config', 'rejects', 'steps'];

/**
 * Reads a pipeline YAML file and checks everything before any data moves: top-level keys, stage
 * names, option names and types, `${VAR}` references, the config file, each stage's own checks.
 * All problems are thrown together as one ConfigError, each as `file:line:col step.option: message`.
 */
export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** The file's name in messages (default: relative to the working directory). */
  displayName?: string;
  /** Option values that win over the file and the config, by stage name (`--set diff.direction=to_airtable`); mappings are merged key by key. */
  overrides?: Record<string, Record<string, unknown>>;
  /** Stages to leave out (`--no-backup` leaves out `backup`). */
  skip?: readonly string[];
  /** A configuration file to use instead of the pipeline's `config:` (`--config FILE`). */
  configFile?: string;
}

export function loadPipeline(file: string, options: LoadOptions = {}): Pipeline {
  const env = withDataDirectory(options.env ?? process.env);
  const source = readYaml(file, options.displayName ?? displayPath(file));
  const issues: ConfigIssue[] = [];
  const root = source.doc.contents as Node | null;
  if (!isMap(root)) throw new ConfigError([{ position: positionOf(source, root), message: 'a pipeline is a mapping with a `steps:` list' }]);

  for (const pair of root.items) {
    const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
    if (!TOP_LEVEL_KEYS.includes(key)) {
      issues.push({
        position: positionOf(source, pair.key as Node),
        path: key,
        message: `unknown key${didYouMean(key, TOP_LEVEL_KEYS)}; a pipeline has ${TOP_LEVEL_KEYS.join(', ')}`,
      });
    }
  }
  const top = substituteScalars(source, root, [], env, []) as Record<string, unknown>;

  let config = NO_CONFIG;
  if (options.configFile !== undefined) {
    try {
      config = loadConfig(path.resolve(options.configFile), displayPath(path.resolve(options.configFile)), env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      issues.push(...error.issues);
    }
  } else if (top.config !== undefined) {
    if (typeof top.config !== 'string') issues.push(at(source, ['config'], 'config', 'must be the path of a configuration file'));
    else {
      try {
        const configFile = resolveFrom(file, top.config);
        config = loadConfig(configFile, displayPath(configFile), env);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        issues.push(...error.issues);
      }
    }
  }

  const stepsNode = nodeAt(source, ['steps']);
  const steps: PipelineStep[] = [];
  if (top.steps === undefined)
    issues.push({ position: positionOf(source, root), path: 'steps', message: 'a pipeline needs a `steps:` list of `stage-name: options`' });
  else if (!isSeq(stepsNode) || !Array.isArray(top.steps)) issues.push(at(source, ['steps'], 'steps', 'must be a list of `stage-name: options`'));
  else {
    stepsNode.items.forEach((item, index) => {
      const step = readStep(source, path.dirname(file), item as Node, index, env, config, issues, options.overrides ?? {});
      if (step && !options.skip?.includes(step.stage.name)) steps.push(step);
    });
    if (stepsNode.items.length === 0) issues.push(at(source, ['steps'], 'steps', 'is empty; list at least one stage'));
    issues.push(...overrideIssues(options.overrides ?? {}, steps));
    issues.push(...fieldMappingIssues(steps));
    const firstIssue = issues.length === 0 ? firstStepIssue(steps) : undefined;
    if (firstIssue) issues.push({ ...firstIssue, position: steps[0].position });
  }

  const rejects = typeof top.rejects === 'string' ? resolveFrom(file, top.rejects) : path.resolve('rejects.jsonl');
  if (top.rejects !== undefined && typeof top.rejects !== 'string') issues.push(at(source, ['rejects'], 'rejects', 'must be a file path'));
  if (top.description !== undefined && typeof top.description !== 'string') issues.push(at(source, ['description'], 'description', 'must be text'));
  if (issues.length) throw new ConfigError(sortIssues(issues));
  return { file, description: top.description as string | undefined, config, rejects, steps };
}

/**
 * `LEADS_DATA_DIR`, where the bundled pipelines keep what they write, is `data/` in the working
 * directory unless set, so a run never writes into the installed package.
 */
function withDataDirectory(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return env.LEADS_DATA_DIR ? env : { ...env, LEADS_DATA_DIR: path.resolve('data') };
}

function readStep(
  source: YamlSource,
  baseDir: string,
  item: Node,
  index: number,
  env: NodeJS.ProcessEnv,
  config: LoadedConfig,
  issues: ConfigIssue[],
  overrides: Record<string, Record<string, unknown>>,
): PipelineStep | undefined {
  const keys: (string | number)[] = ['steps', index];
  let name: string;
  let given: Record<string, unknown> = {};
  if (isScalar(item) && typeof item.value === 'string') name = item.value;
  else if (isMap(item) && item.items.length === 1) {
    name = String(isScalar(item.items[0].key) ? item.items[0].key.value : item.items[0].key);
    const value = substituteScalars(source, item.items[0].value as Node, [...keys, name], env, issues, keys.length);
    if (value !== null && (typeof value !== 'object' || Array.isArray(value))) {
      issues.push(at(source, [...keys, name], name, 'options must be a mapping of option: value (or nothing)'));
      return undefined;
    }
    given = (value ?? {}) as Record<string, unknown>;
  } else {
    issues.push(at(source, keys, `steps[${index}]`, 'a step is a single-key mapping `stage-name: { options }`'));
    return undefined;
  }
  const stage = Object.hasOwn(stages, name) ? stages[name] : undefined;
  if (!stage) {
    issues.push({
      position: positionOf(source, isMap(item) ? (item.items[0].key as Node) : item),
      path: `steps[${index}]`,
      message: `unknown stage "${name}"${didYouMean(name, Object.keys(stages))}; see run-pipeline --list-stages`,
    });
    return undefined;
  }
  const where: OptionSource = {
    label: name,
    baseDir,
    locate: (dotted) => {
      const parts = dotted.split('.');
      const node =
        parts.length === 1 && !Object.hasOwn(given, parts[0])
          ? undefined
          : parts.length === 1
            ? keyNodeAt(source, [...keys, name], parts[0])
            : nodeAt(source, [...keys, name, ...parts]);
      return node ? positionOf(source, node) : undefined;
    },
  };
  // Unknown options point at their key; values point at the value.
  const valueWhere: OptionSource = {
    ...where,
    locate: (dotted) => (Object.hasOwn(given, dotted.split('.')[0]) ? positionOf(source, nodeAt(source, [...keys, name, ...dotted.split('.')])) : undefined),
  };
  const resolved = resolveOptions(stage, given, { ...valueWhere, unknownAt: where.locate }, config, issues, overrides[name]);
  return { stage, options: resolved, position: positionOf(source, item) };
}

/** A pipeline starts with a source: nothing else has records to give. */
export function firstStepIssue(steps: PipelineStep[]): ConfigIssue | undefined {
  const first = steps[0];
  if (!first || first.stage.kind === 'source') return undefined;
  return {
    path: first.stage.name,
    message: `is a ${first.stage.kind}, so it cannot come first: start with a source (${Object.values(stages)
      .filter((s) => s.kind === 'source')
      .map((s) => s.name)
      .join(', ')})`,
  };
}

/** Problems in reading order: by file, then line, then column. */
function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  const key = (i: ConfigIssue): [string, number, number] => [i.position?.file ?? '', i.position?.line ?? 0, i.position?.col ?? 0];
  return [...issues].sort((a, b) => {
    const [fa, la, ca] = key(a);
    const [fb, lb, cb] = key(b);
    return fa === fb ? la - lb || ca - cb : fa < fb ? -1 : 1;
  });
}

function at(source: YamlSource, keys: (string | number)[], dotted: string, message: string): ConfigIssue {
  return { position: positionOf(source, nodeAt(source, keys)), path: dotted, message };
}

/**
 * Applies defaults (step value, then config file, then the declared default), checks types and
 * the stage's own `check`, and resolves relative paths. Used by the YAML loader, `run-stage` and
 * `createStage` alike, so an option means the same everywhere.
 */
export function resolveOptions(
  stage: Stage<any>,
  given: Record<string, unknown>,
  where: OptionSource & { unknownAt?: (dotted: string) => SourcePosition | undefined },
  config: LoadedConfig,
  issues: ConfigIssue[],
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const specs: Record<string, OptionSpec> = { ...stage.options, ...COMMON_OPTIONS };
  const known = Object.keys(specs);
  // Own properties only: `constructor` or `__proto__` is `in` every object, and would pass as known.
  const overridden = new Set(Object.keys(overrides).filter((k) => Object.hasOwn(specs, k)));
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(specs, key)) {
      issues.push({
        position: (where.unknownAt ?? where.locate)(key),
        path: `${where.label}.${key}`,
        message: `unknown option${didYouMean(key, known)}; ${stage.name} takes ${known.join(', ')}`,
      });
    }
  }
  const options: Record<string, unknown> = {};
  const fromConfig = new Set<string>();
  for (const [name, spec] of Object.entries(specs)) {
    let value = Object.hasOwn(given, name) ? given[name] : undefined;
    if (value === undefined && spec.config) {
      value = configValue(config, spec.config);
      if (value !== undefined) fromConfig.add(name);
    }
    // The configuration's field mapping reaches every stage that maps fields, so one file configures them all.
    if (value === undefined && name === 'field_mapping' && spec.type === 'path' && config.fieldMappingFile) value = config.fieldMappingFile;
    if (value === undefined) value = structuredClone(spec.default);
    if (overridden.has(name)) {
      value = mergeOverride(value, overrides[name]);
      fromConfig.delete(name);
    }
    const problem = checkOptionValue(spec, value);
    if (problem) {
      issues.push(
        overridden.has(name)
          ? { path: `${where.label}.${name}`, message: `${problem} (given on the command line)` }
          : fromConfig.has(name)
            ? { position: config.locate(spec.config!), path: `${where.label}.${name}`, message: `${problem} (from ${spec.config} in the config file)` }
            : { position: where.locate(name), path: `${where.label}.${name}`, message: problem },
      );
      continue;
    }
    if (spec.type === 'path' && typeof value === 'string' && value !== '-') {
      value = Object.hasOwn(given, name)
        ? path.resolve(where.baseDir, value)
        : fromConfig.has(name) && config.file
          ? resolveFrom(config.file, value)
          : path.resolve(value);
    }
    options[name] = value;
  }
  if (issues.length === 0 && stage.check) {
    for (const problem of stage.check(options)) {
      const name = problem.path.split('.')[0];
      const spec = specs[name];
      const position =
        fromConfig.has(name) && spec?.config ? config.locate([spec.config, ...problem.path.split('.').slice(1)].join('.')) : where.locate(problem.path);
      issues.push({ position, path: `${where.label}.${problem.path}`, message: problem.message });
    }
  }
  return options;
}

/** Command-line overrides must name a stage of the pipeline and options it has; each mistake is told once. */
function overrideIssues(overrides: Record<string, Record<string, unknown>>, steps: PipelineStep[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [name, options] of Object.entries(overrides)) {
    const step = steps.find((s) => s.stage.name === name);
    if (!step) {
      issues.push({
        path: name,
        message: `is given on the command line, but the pipeline has no ${name} step${didYouMean(
          name,
          steps.map((s) => s.stage.name),
        )}`,
      });
      continue;
    }
    const known = Object.keys({ ...step.stage.options, ...COMMON_OPTIONS });
    for (const key of Object.keys(options)) {
      if (!known.includes(key))
        issues.push({
          path: `${name}.${key}`,
          message: `unknown option (given on the command line)${didYouMean(key, known)}; ${name} takes ${known.join(', ')}`,
        });
    }
  }
  return issues;
}

/** An override replaces a value, except that mappings are merged key by key (deeply). */
function mergeOverride(base: unknown, override: unknown): unknown {
  const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isMapping(base) || !isMapping(override)) return structuredClone(override);
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) setOwn(out, key, mergeOverride(Object.hasOwn(base, key) ? base[key] : undefined, value));
  return out;
}

/** The bundled configuration, for `run-stage` and library use when no `config:` is named. */
export function defaultConfig(): LoadedConfig {
  return loadConfig(DEFAULT_CONFIG_FILE, 'config/maintenance.yaml');
}
