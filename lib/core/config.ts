import { Ajv, type ErrorObject } from 'ajv';
import fs from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { ConfigError, type ConfigIssue, type SourcePosition } from './errors.js';
import { substituteEnv } from './env.js';
import { parseFieldMapping } from './field-mapping.js';
import { didYouMean } from './options.js';
import { displayPath, packagePath } from './paths.js';
import { keyNodeAt, nodeAt, positionOf, readYaml, resolveFrom, type YamlSource } from './yaml-source.js';
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
  /**
   * The file holding the field mapping it gives (itself, for an inline `field_mapping:`, or its
   * `field_mapping_file:`); undefined: the package's config/field-mapping.yaml.
   */
  fieldMappingFile?: string;
  /** Where a dotted path below `maintenance_config` is written in the file. */
  locate(dotted: string): SourcePosition | undefined;
}

/** An empty configuration: every option takes its declared default. */
export const NO_CONFIG: LoadedConfig = { values: {}, locate: () => undefined };

/** The configuration bundled with the package. */
export const DEFAULT_CONFIG_FILE = packagePath('config', 'maintenance.yaml');

/** What a configuration file may hold at its top level. */
const TOP_LEVEL_KEYS = ['maintenance_config', 'field_mapping', 'field_mapping_file'];

/**
 * Reads, substitutes and validates a configuration file; all problems are thrown together. A file
 * other than the bundled one is the user's: what it leaves out takes the bundled default (a deep
 * merge; lists are replaced whole), and it may hold the field mapping itself (`field_mapping:`,
 * the shape of config/field-mapping.yaml) or name a mapping file (`field_mapping_file:`, relative
 * to the configuration file).
 */
export function loadConfig(file: string, displayName = file, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const source = readYaml(file, displayName);
  const issues: ConfigIssue[] = [];
  const raw = substituteScalars(source, source.doc.contents as Node, [], env, issues);
  const top = (raw ?? {}) as Record<string, unknown>;
  if (raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new ConfigError([
      {
        position: positionOf(source, source.doc.contents as Node),
        message: 'a configuration file is a mapping with maintenance_config: (and field_mapping: or field_mapping_file:)',
      },
    ]);
  }
  for (const key of Object.keys(top)) {
    if (TOP_LEVEL_KEYS.includes(key)) continue;
    issues.push({
      position: positionOf(source, keyNodeAt(source, [], key)),
      path: key,
      message: `unknown key${didYouMean(key, TOP_LEVEL_KEYS)}; a configuration file has ${TOP_LEVEL_KEYS.join(', ')}`,
    });
  }
  const validate = schemaValidator();
  if (!validate({ maintenance_config: top.maintenance_config ?? {} })) {
    for (const error of validate.errors ?? []) issues.push(schemaIssue(source, error));
  }
  const fieldMappingFile = mappingFileOf(source, file, top, issues);
  // In reading order: a mapping held in another file comes after this one's problems.
  const order = (i: ConfigIssue): [number, number, number] => [i.position?.file === source.file ? 0 : 1, i.position?.line ?? 0, i.position?.col ?? 0];
  issues.sort((a, b) => {
    const [fa, la, ca] = order(a);
    const [fb, lb, cb] = order(b);
    return fa - fb || la - lb || ca - cb;
  });
  if (issues.length) throw new ConfigError(issues);
  const own = (top.maintenance_config ?? {}) as Record<string, unknown>;
  const locateOwn = (dotted: string): SourcePosition | undefined => positionOf(source, nodeAt(source, ['maintenance_config', ...dotted.split('.')]));
  if (path.resolve(file) === path.resolve(DEFAULT_CONFIG_FILE)) return { values: own, file, fieldMappingFile, locate: locateOwn };
  const defaults = bundledDefaults(env);
  return {
    values: deepMerge(defaults.values, own) as Record<string, unknown>,
    file,
    fieldMappingFile,
    // A value the user's file gives points there; one it left out, at the bundled default.
    locate: (dotted) => (hasPath(own, dotted) ? locateOwn(dotted) : defaults.locate(dotted)),
  };
}

let bundled: LoadedConfig | undefined;
/** The bundled configuration (config/maintenance.yaml), read once. */
export function bundledDefaults(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  bundled ??= loadConfig(DEFAULT_CONFIG_FILE, 'config/maintenance.yaml', env);
  return bundled;
}

/** The field mapping a configuration file holds or names, checked now so its problems come with the rest. */
function mappingFileOf(source: YamlSource, file: string, top: Record<string, unknown>, issues: ConfigIssue[]): string | undefined {
  const inline = top.field_mapping !== undefined;
  const named = top.field_mapping_file;
  if (inline && named !== undefined) {
    issues.push({
      position: positionOf(source, keyNodeAt(source, [], 'field_mapping_file')),
      path: 'field_mapping_file',
      message: 'give the field mapping here (field_mapping:) or name its file (field_mapping_file:), not both',
    });
    return undefined;
  }
  let mappingFile: string;
  let shownAs: string;
  if (inline) {
    mappingFile = file;
    shownAs = source.file;
  } else if (named !== undefined) {
    if (typeof named !== 'string' || named.trim() === '') {
      issues.push({
        position: positionOf(source, nodeAt(source, ['field_mapping_file'])),
        path: 'field_mapping_file',
        message: 'must be the path of a field-mapping file, relative to this file',
      });
      return undefined;
    }
    mappingFile = resolveFrom(file, named);
    shownAs = displayPath(mappingFile);
    if (!fs.existsSync(mappingFile)) {
      issues.push({
        position: positionOf(source, nodeAt(source, ['field_mapping_file'])),
        path: 'field_mapping_file',
        message: `${shownAs} does not exist (paths are relative to this file)`,
      });
      return undefined;
    }
  } else {
    return undefined;
  }
  try {
    parseFieldMapping(fs.readFileSync(mappingFile, 'utf8'), shownAs);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...error.issues);
  }
  return mappingFile;
}

/** Mappings merged key by key; anything else (lists included) is replaced. */
function deepMerge(base: unknown, over: unknown): unknown {
  const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isMapping(base) || !isMapping(over)) return over === undefined ? structuredClone(base) : structuredClone(over);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(over)) out[key] = deepMerge(base[key], value);
  return out;
}

function hasPath(values: Record<string, unknown>, dotted: string): boolean {
  let node: unknown = values;
  for (const key of dotted.split('.')) {
    // Lists are the user's whole (never merged), so an index into one is theirs too.
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
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
  const keys = error.instancePath
    .split('/')
    .slice(1)
    .map((k) => (/^\d+$/.test(k) ? Number(k) : k.replace(/~1/g, '/').replace(/~0/g, '~')));
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
  const message = error.keyword === 'enum' ? `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}` : (error.message ?? 'is not valid');
  return { position: positionOf(source, nodeAt(source, keys)), path: dotted || undefined, message };
}

/** Converts a YAML node to plain values, substituting `${VAR}` in strings and noting unset ones. */
export function substituteScalars(
  source: YamlSource,
  node: Node | null | undefined,
  keys: (string | number)[],
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
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
