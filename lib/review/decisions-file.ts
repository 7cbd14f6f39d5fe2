import { Ajv, type ErrorObject } from 'ajv';
import fs from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue, type SourcePosition } from '../core/errors.js';
import { packagePath } from '../core/paths.js';
import { duplicateKeyOffsets, keyNodeAt, nodeAt, positionOf, readYamlText, type YamlSource } from '../core/yaml-source.js';
import { checkDecisions } from './decisions-check.js';

/**
 * The decisions file (config/decisions.schema.json, version 1): what a person decided about the
 * groups and conflicts a run left for review. Read whole, checked whole: a file with any problem
 * is refused with every problem at its `file:line:col` and how to fix it, before anything is read
 * from either system, so a bad file changes nothing.
 */

export const DECISIONS_FORMAT = 'lead-maintenance-decisions';
export const DECISIONS_VERSION = 1;

/** A value a merge gives a field: a member's (`from`, its record key) or one typed by the reviewer. */
export type FieldChoice = { from: string } | { value: string | number | boolean | null };

interface DecisionBase {
  /** 1-based position in the file: the audit log names a decision `decision.<number>`. */
  number: number;
  /** `<source>:<id>` → version, as the reviewer saw the records. */
  seen: Record<string, string>;
  note?: string;
}

export interface MergeDecision extends DecisionBase {
  type: 'duplicates';
  action: 'merge';
  records: string[];
  survivor: string;
  values?: Record<string, FieldChoice>;
}

export interface ApartDecision extends DecisionBase {
  type: 'duplicates';
  action: 'not_duplicates';
  records: string[];
}

export interface ConflictDecision extends DecisionBase {
  type: 'conflict';
  local: string;
  airtable: string;
  field: string;
  choice: 'local' | 'airtable' | 'value';
  value?: string | number | boolean | null;
}

export type Decision = MergeDecision | ApartDecision | ConflictDecision;

/** The largest decisions file read: a few thousand decisions are well under it. */
const MAX_DECISIONS_BYTES = 64 * 1024 * 1024;

/** Reads and checks a decisions file; every problem is thrown together as a ConfigError (exit 2). */
export function readDecisionsFile(file: string, displayName = file): Decision[] {
  return parseDecisions(readYamlText(file, displayName, MAX_DECISIONS_BYTES), displayName);
}

/** Checks the text of a decisions file (see readDecisionsFile). */
export function parseDecisions(text: string, file: string): Decision[] {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new ConfigError([
      {
        position: syntaxPosition(body, file, error as Error),
        message: `${syntaxMessage(error as Error)}; a decisions file is JSON (see config/decisions.schema.json)`,
      },
    ]);
  }
  const source = positions(body, file);
  const issues: ConfigIssue[] = [];
  for (const offset of duplicateKeyOffsets(source.doc)) {
    issues.push({ position: positionAt(source, offset), message: 'this key is given twice in one object; keep one' });
  }
  const validate = validator();
  // `if` and `not` only wrap the errors of their branches, or are checked with a clearer message by checkDecisions.
  const errors = (validate(value) ? [] : (validate.errors ?? [])).filter((e) => e.keyword !== 'if' && e.keyword !== 'not');
  issues.push(...schemaIssues(source, errors));
  // Every problem at once: the decisions the schema passed are also checked for what it cannot say,
  // so fixing one problem does not uncover the next.
  const decisions = (value as { decisions?: unknown } | null)?.decisions;
  if (Array.isArray(decisions)) {
    const broken = new Set(errors.flatMap((e) => /^\/decisions\/(\d+)/.exec(e.instancePath)?.slice(1).map(Number) ?? []));
    issues.push(...checkDecisions({ decisions }, (keys) => positionOf(source, nodeAt(source, keys)), broken));
  }
  if (issues.length) throw new ConfigError(sortByPosition(issues));
  return (value as { decisions: Array<Omit<Decision, 'number'>> }).decisions.map((d, i) => ({ ...d, number: i + 1 }) as Decision);
}

/** The text parsed again for positions only (JSON is YAML): where each value is written. */
function positions(text: string, file: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  return { file, doc, lines };
}

function positionAt(source: YamlSource, offset: number): SourcePosition {
  const { line, col } = source.lines.linePos(offset);
  return { file: source.file, line, col };
}

/** Where JSON.parse stopped: V8 names the offset (`at position 42`); the end of the text when it ran out. */
function syntaxPosition(text: string, file: string, error: Error): SourcePosition {
  const match = /at position (\d+)/.exec(error.message);
  const offset = match ? Number(match[1]) : text.length;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { file, line, col: offset - before.lastIndexOf('\n') };
}

function syntaxMessage(error: Error): string {
  const message = error.message.replace(/ in JSON at position \d+.*$/, '').replace(/^JSON\.parse: /, '');
  return `JSON syntax: ${message === 'Unexpected end of JSON input' ? 'the file ends too early (a bracket or quote is not closed)' : message}`;
}

let compiled: ReturnType<Ajv['compile']> | undefined;
function validator(): ReturnType<Ajv['compile']> {
  compiled ??= new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(fs.readFileSync(packagePath('config', 'decisions.schema.json'), 'utf8')));
  return compiled;
}

/** How to fix a missing key, by its name. */
const MISSING_HINTS: Record<string, string> = {
  format: `add "format": "${DECISIONS_FORMAT}"`,
  version: `add "version": ${DECISIONS_VERSION}`,
  decisions: 'add "decisions": [ … ], the list of decisions',
  type: 'add "type": "duplicates" or "conflict"',
  records: "add the group's records, as the review line lists them (`local:12`, `airtable:rec…`)",
  seen: `copy the review line's "versions" into "seen"`,
  action: 'add "action": "merge" or "not_duplicates"',
  survivor: 'a merge names the record that stays: "survivor": one of "records"',
  local: "add the local lead's id (the review line's record_id before `|`, without `local:`)",
  airtable: "add the Airtable record's id (the review line's record_id after `|`, without `airtable:`)",
  field: `add "field": the review line's "field_name"`,
  choice: 'add "choice": "local", "airtable" or "value"',
  value: 'choice "value" needs the value: "value": "…"',
};

function schemaIssues(source: YamlSource, errors: ErrorObject[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const error of errors) {
    const keys = error.instancePath
      .split('/')
      .slice(1)
      .map((k) => (/^\d+$/.test(k) ? Number(k) : k.replace(/~1/g, '/').replace(/~0/g, '~')));
    const extra = error.keyword === 'additionalProperties' ? String((error.params as { additionalProperty: unknown }).additionalProperty) : undefined;
    const where = positionOf(source, extra === undefined ? nodeAt(source, keys) : keyNodeAt(source, keys, extra));
    const path = labelOf(extra === undefined ? keys : [...keys, extra]);
    issues.push({ position: where, path, message: schemaMessage(error) });
  }
  // One value that breaks a rule in both branches is told once.
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.position?.line}:${issue.position?.col}:${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function schemaMessage(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const key = String(params.missingProperty);
      return `"${key}" is missing: ${MISSING_HINTS[key] ?? `add "${key}"`}`;
    }
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      return `unknown key "${key}": remove it (config/decisions.schema.json lists the keys of each kind of decision)`;
    }
    case 'const':
      if (error.instancePath === '/format') return `must be "${DECISIONS_FORMAT}": this is not a decisions file, or not one of this tool`;
      if (error.instancePath === '/version')
        return `this reader knows decisions version ${DECISIONS_VERSION} only; write "version": ${DECISIONS_VERSION} (a newer version needs a newer lead-maintenance)`;
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'pattern':
      if (String(params.pattern).startsWith('^[0-9a-f]')) return `a version is 16 hex digits, as in the review line's "versions": copy it from there`;
      return 'a record is named `local:<id>` or `airtable:<record id>`, as in the review line\'s "versions"';
    case 'propertyNames':
      return 'every key of "seen" names a record, `local:<id>` or `airtable:<record id>`';
    case 'minItems':
      return 'a group has at least two records';
    case 'uniqueItems':
      return 'a record is listed twice; list each once';
    case 'minProperties':
    case 'maxProperties':
      return 'give exactly one of "from" (a record of the group) or "value" (the value to keep)';
    case 'type':
      return `must be ${String(params.type).replace(',', ' or ')}`;
    default:
      return error.message ?? 'is not valid';
  }
}

/** `decisions[2].seen`: the path of a value, as a person reads it. */
function labelOf(keys: ReadonlyArray<string | number>): string | undefined {
  let label = '';
  for (const key of keys) label += typeof key === 'number' ? `[${key}]` : label ? `.${key}` : key;
  return label || undefined;
}

function sortByPosition(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => (a.position?.line ?? 0) - (b.position?.line ?? 0) || (a.position?.col ?? 0) - (b.position?.col ?? 0));
}
