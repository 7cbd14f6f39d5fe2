import { Ajv, type ErrorObject } from 'ajv';
import fs from 'node:fs';
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { ConfigError, type ConfigIssue, type SourcePosition } from './errors.js';
import { substituteEnv } from './env.js';
import { didYouMean } from './options.js';
import { packagePath } from './paths.js';
import { keyNodeAt, nodeAt, positionOf, readYaml, type YamlSource } from './yaml-source.js';
import { setOwn } from './own.js';

/**
 * The maintenance configuration file (`config/maintenance.yaml`, the seed's schema). Its sections
 * give the defaults of stage options (`OptionSpec.config`). Values keep their YAML positions so a
 * problem found in a value that came from here points into this file.
 */
export interface LoadedConfig {
  /** The contents below `maintenance_config`, `${VAR}` references substituted. */
  values: Record<string, unknown>;
  /** The file it was read from, when any. */
  file?: string;
  /** Where a dotted path below `maintenance_config` is written in the file. */
  locate(dotted: string): SourcePosition | undefined;
}

/** An empty configuration: every option takes its declared default. */
export const NO_CONFIG: LoadedConfig = { values: {}, locate: () => undefined };

/** The configuration bundled with the package. */
export const DEFAULT_CONFIG_FILE = packagePath('config', 'maintenance.yaml');

/** Reads, substitutes and validates a configuration file; all problems are thrown together. */
export function loadConfig(file: string, displayName = file, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const source = readYaml(file, displayName);
  const issues: ConfigIssue[] = [];
  const raw = substituteScalars(source, source.doc.contents as Node, [], env, issues);
  for (const error of schemaValidator()(raw) ? [] : schemaValidator().errors ?? []) {
    issues.push(schemaIssue(source, error));
  }
  if (issues.length) throw new ConfigError(issues);
  const values = ((raw as { maintenance_config?: Record<string, unknown> } | null)?.maintenance_config ?? {});
  return {
    values,
    file,
    locate: (dotted) => positionOf(source, nodeAt(source, ['maintenance_config', ...dotted.split('.')])),
  };
}

/** The value at a dotted path below `maintenance_config`, or undefined. */
export function configValue(config: LoadedConfig, dotted: string): unknown {
  let node: unknown = config.values;
  for (const key of dotted.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

let validator: ReturnType<Ajv['compile']> | undefined;
function schemaValidator(): ReturnType<Ajv['compile']> {
  if (!validator) {
    const schema = JSON.parse(fs.readFileSync(packagePath('config', 'maintenance.schema.json'), 'utf8'));
    validator = new Ajv({ allErrors: true, strict: false, verbose: true }).compile(schema);
  }
  return validator;
}

function schemaIssue(source: YamlSource, error: ErrorObject): ConfigIssue {
  const keys = error.instancePath.split('/').slice(1).map((k) => (/^\d+$/.test(k) ? Number(k) : k.replace(/~1/g, '/').replace(/~0/g, '~')));
  const dotted = keys.join('.');
  if (error.keyword === 'additionalProperties') {
    const extra = String(error.params.additionalProperty);
    const known = Object.keys((error.parentSchema as { properties?: object })?.properties ?? {});
    return {
      position: positionOf(source, keyNodeAt(source, keys, extra)),
      path: dotted ? `${dotted}.${extra}` : extra,
      message: `unknown key${didYouMean(extra, known)}; known keys: ${known.join(', ')}`,
    };
  }
  const message = error.keyword === 'enum'
    ? `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`
    : error.message ?? 'is not valid';
  return { position: positionOf(source, nodeAt(source, keys)), path: dotted || undefined, message };
}

/** Converts a YAML node to plain values, substituting `${VAR}` in strings and noting unset ones. */
export function substituteScalars(
  source: YamlSource, node: Node | null | undefined, keys: (string | number)[], env: NodeJS.ProcessEnv, issues: ConfigIssue[],
  /** How many leading keys to leave out of the path in messages (`steps.0.` before a step's name). */
  labelFrom = 0,
): unknown {
  if (!node) return null;
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
      setOwn(out, key, substituteScalars(source, pair.value as Node, [...keys, key], env, issues, labelFrom));
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((item, i) => substituteScalars(source, item as Node, [...keys, i], env, issues, labelFrom));
  if (isScalar(node)) {
    if (typeof node.value !== 'string') return node.value;
    const { value, missing } = substituteEnv(node.value, env);
    for (const name of missing) {
      issues.push({
        position: positionOf(source, node),
        path: keys.slice(labelFrom).join('.') || undefined,
        message: `environment variable ${name} is not set; set it, or give a default as \${${name}:-value}`,
      });
    }
    return value;
  }
  return node.toJSON();
}
