import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { isMap, isPair, isScalar, parseDocument, type Node } from 'yaml';
import { loadConfig } from '../../lib/core/config.js';
import { FIELD_RULES } from '../../lib/match/resolution.js';
import { stages } from '../../stages/index.js';
import type { OptionSpec } from '../../lib/core/stage.js';
import { ROOT, tempDir } from '../helpers.js';

const SCHEMA = path.join(ROOT, 'config', 'maintenance.schema.json');
const CONFIG = path.join(ROOT, 'config', 'maintenance.yaml');

/** A configuration key whose values are a list declared in the code, and where the schema keeps them. */
interface Enumerated {
  key: string;
  values: readonly string[];
  /** The path to the key's schema (its `enum` is below it). */
  schemaPath: string[];
}

const schemaPathOf = (dotted: string): string[] => ['properties', 'maintenance_config', ...dotted.split('.').flatMap((key) => ['properties', key])];

/** Every stage option with a list of values that the configuration file can set, and the merge rules. */
function enumerated(): Enumerated[] {
  const byKey = new Map<string, Enumerated>();
  for (const stage of Object.values(stages)) {
    for (const spec of Object.values(stage.options as Record<string, OptionSpec>)) {
      if (spec.values && spec.config) byKey.set(spec.config, { key: spec.config, values: spec.values, schemaPath: schemaPathOf(spec.config) });
    }
  }
  const precedence = 'duplicate_detection.field_precedence';
  byKey.set(`${precedence}.*`, { key: `${precedence}.*`, values: FIELD_RULES, schemaPath: [...schemaPathOf(precedence), 'additionalProperties'] });
  return [...byKey.values()];
}

function at(node: unknown, keys: string[]): unknown {
  return keys.reduce<unknown>((n, key) => (n !== null && typeof n === 'object' ? (n as Record<string, unknown>)[key] : undefined), node);
}

/** The problems of a configuration file that sets one key (`a.b.*` sets a key below `a.b`), or [] when it loads. */
function problemsSetting(key: string, value: string): string[] {
  const keys = key.replace(/\*$/, 'company').split('.');
  const nested = keys.reduceRight<unknown>((inner, k) => ({ [k]: inner }), value);
  const file = path.join(tempDir(), 'config.yaml');
  fs.writeFileSync(file, JSON.stringify({ maintenance_config: nested }));
  try {
    loadConfig(file, 'config.yaml', {});
    return [];
  } catch (error) {
    return (error as Error).message.split('\n');
  }
}

/** The schema text with the enum of each key rewritten from its list, leaving the rest of the file as it is. */
function regenerated(text: string, keys: Enumerated[]): string {
  const doc = parseDocument(text);
  const edits: Array<{ from: number; to: number; json: string }> = [];
  for (const { key, values, schemaPath } of keys) {
    const node = doc.getIn([...schemaPath, 'enum'], true) as Node | undefined;
    if (!node?.range) throw new Error(`config/maintenance.schema.json has no enum for ${key}; add one`);
    if (JSON.stringify(node.toJSON()) === JSON.stringify(values)) continue;
    const [from, to] = node.range;
    const indent = /^ */.exec(text.slice(text.lastIndexOf('\n', from) + 1))![0];
    const json = text.slice(from, to).includes('\n')
      ? `[\n${values.map((v) => `${indent}  ${JSON.stringify(v)}`).join(',\n')}\n${indent}]`
      : `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;
    edits.push({ from, to, json });
  }
  for (const { from, to, json } of edits.sort((a, b) => b.from - a.from)) text = text.slice(0, from) + json + text.slice(to);
  return text;
}

/** The runs of two or more comma-separated snake_case words, one of them in `values`, in the comments of a key of config/maintenance.yaml. */
function listsInComments(dotted: string, values: readonly string[]): string[] {
  const doc = parseDocument(fs.readFileSync(CONFIG, 'utf8'));
  const keys = ['maintenance_config', ...dotted.split('.')];
  const parent = doc.getIn(keys.slice(0, -1), true);
  const pair = isMap(parent) ? parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === keys.at(-1)) : undefined;
  if (!pair) return [];
  const comments = [(pair.key as Node).commentBefore, (pair.value as Node | null)?.comment].filter(Boolean).join(' ');
  return (comments.match(/\b[a-z_]+(?:, [a-z_]+)+\b/g) ?? []).filter((list) => list.split(', ').some((word) => values.includes(word)));
}

describe('config/maintenance.schema.json', () => {
  it('allows exactly the values the code declares for each enumerated key (UPDATE_DOCS=1 rewrites its enums)', () => {
    const keys = enumerated();
    expect(keys.map((k) => k.key)).to.include.members(['duplicate_detection.resolution_strategy', 'synchronization.conflict_resolution']);
    const text = fs.readFileSync(SCHEMA, 'utf8');
    const wanted = regenerated(text, keys);
    if (process.env.UPDATE_DOCS && wanted !== text) fs.writeFileSync(SCHEMA, wanted);
    const schema = JSON.parse(fs.readFileSync(SCHEMA, 'utf8'));
    for (const { key, values, schemaPath } of keys) expect(at(schema, [...schemaPath, 'enum']), key).to.deep.equal([...values]);
  });

  it('lets a configuration file give each enumerated key each of its values, and names them for any other', () => {
    for (const { key, values } of enumerated()) {
      for (const value of values) expect(problemsSetting(key, value), `${key}: ${value}`).to.deep.equal([]);
      const [problem] = problemsSetting(key, 'not_a_value');
      expect(problem, key).to.match(new RegExp(`: must be one of ${values.join(', ')}$`));
    }
  });

  it('config/maintenance.yaml lists the same values in the comments of those keys', () => {
    for (const { key, values } of enumerated()) {
      for (const list of listsInComments(key.replace(/\.\*$/, ''), values)) expect(list, `the comment of ${key}`).to.equal(values.join(', '));
    }
  });
});
