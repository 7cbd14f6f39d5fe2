import path from 'node:path';
import levenshtein from 'fast-levenshtein';
import { isMap, isScalar, LineCounter, parseDocument, type Node, type YAMLMap } from 'yaml';
import { ConfigError, type ConfigIssue } from './errors.js';
import { packagePath } from './paths.js';
import { duplicateKeyOffsets, readYamlText } from './yaml-source.js';
import { own, setOwn } from './own.js';

/** The local side of `config/field-mapping.yaml`: where leads live in the database and how its columns are named. */
export interface LocalMapping {
  /** The table holding leads. */
  table: string;
  /** Its primary-key column (text uuid in the default schema; an INTEGER key also works). */
  id_column: string;
  /** The last-modified column, or null when the table has none (incremental reads then need `where`). */
  modified_column: string | null;
  /** The creation-time column, or null when the table has none. */
  created_column: string | null;
  /** Column → canonical field, for columns not named as the field (`full_name: name`). Other columns keep their names. */
  columns: Record<string, string>;
  /** The file the mapping was read from, named in messages that ask to fix it. */
  file?: string;
}

/** The mapping file as messages name it: the user's own, else the bundled one. */
export function mappingName(file: string | undefined): string {
  if (!file) return 'config/field-mapping.yaml';
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** The mapping for the default schema. */
export const DEFAULT_LOCAL_MAPPING: LocalMapping = {
  table: 'leads',
  id_column: 'id',
  modified_column: 'updated_at',
  created_column: 'created_at',
  columns: {},
};

/** `config/field-mapping.yaml`, loaded and checked. */
export interface FieldMapping {
  /** Canonical field → Airtable field name. */
  database_to_airtable: Record<string, string>;
  /** Airtable field name → canonical field. */
  airtable_to_database: Record<string, string>;
  /** Where leads live in the local database. */
  local: LocalMapping;
  /** The file it was read from. */
  file: string;
}

/** The package's own `config/field-mapping.yaml`. */
export function defaultFieldMappingPath(): string {
  return packagePath('config', 'field-mapping.yaml');
}

/**
 * Loads and checks a field-mapping file. Every problem is reported at once, each as
 * `file:line:col path: message`, in one ConfigError.
 */
export function loadFieldMapping(file: string = defaultFieldMappingPath()): FieldMapping {
  let text: string;
  try {
    text = readYamlText(file);
  } catch (error) {
    if ((error as ConfigError).issues?.[0]?.position) throw error; // too large: the message says so
    throw new ConfigError(
      [{ message: `Cannot read the field mapping ${file}: ${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}` }],
      { cause: error },
    );
  }
  return parseFieldMapping(text, file);
}

const SECTIONS = ['database_to_airtable', 'airtable_to_database', 'local'] as const;
const LOCAL_KEYS = ['table', 'id_column', 'modified_column', 'created_column', 'columns'] as const;

/** Parses and checks the text of a field-mapping file; `file` is named in errors. */
export function parseFieldMapping(text: string, file: string): FieldMapping {
  const lineCounter = new LineCounter();
  // Repeated keys are found in one pass (duplicateKeyOffsets): the parser's own check is quadratic.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false });
  const issues: ConfigIssue[] = [];
  const at = (node: Node | null | undefined, pathText: string, message: string): void => {
    const offset = node?.range?.[0];
    const pos = offset === undefined ? undefined : lineCounter.linePos(offset);
    issues.push({ position: pos ? { file, line: pos.line, col: pos.col } : undefined, path: pathText, message });
  };
  for (const error of doc.errors) {
    const pos = lineCounter.linePos(error.pos[0]);
    issues.push({ position: { file, line: pos.line, col: pos.col }, message: error.message.split('\n')[0]! });
  }
  if (!issues.length) {
    for (const offset of duplicateKeyOffsets(doc)) {
      const pos = lineCounter.linePos(offset);
      issues.push({ position: { file, line: pos.line, col: pos.col }, message: 'Map keys must be unique' });
    }
  }
  if (issues.length) throw new ConfigError(issues);

  const result: FieldMapping = { database_to_airtable: {}, airtable_to_database: {}, local: { ...DEFAULT_LOCAL_MAPPING, columns: {} }, file };
  const root = doc.contents;
  const top = isMap(root) ? (root.get('field_mapping', true) as Node | undefined) : undefined;
  if (!isMap(top)) {
    at(root, 'field_mapping', 'The file must hold a field_mapping: map with database_to_airtable, airtable_to_database and local.');
    throw new ConfigError(issues);
  }
  unknownKeys(top, SECTIONS, 'field_mapping', at);

  for (const section of ['database_to_airtable', 'airtable_to_database'] as const) {
    const node = top.get(section, true) as Node | undefined;
    if (!isMap(node)) {
      at(node ?? top, `field_mapping.${section}`, `field_mapping.${section} must be a map of field names to field names.`);
      continue;
    }
    result[section] = stringMap(node, `field_mapping.${section}`, at);
  }
  checkInverse(top, result, at);

  const local = top.get('local', true) as Node | undefined;
  if (local !== undefined) {
    if (!isMap(local)) at(local, 'field_mapping.local', 'field_mapping.local must be a map (table, id_column, modified_column, created_column, columns).');
    else readLocal(local, result.local, at);
  }
  if (issues.length) throw new ConfigError(issues);
  return result;
}

type At = (node: Node | null | undefined, path: string, message: string) => void;

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function unknownKeys(map: YAMLMap, known: readonly string[], prefix: string, at: At): void {
  for (const pair of map.items) {
    const key = keyText(pair.key);
    if (known.includes(key)) continue;
    const nearest = [...known].sort((a, b) => levenshtein.get(key, a) - levenshtein.get(key, b))[0]!;
    const hint = levenshtein.get(key, nearest) <= 3 ? ` Did you mean '${nearest}'?` : ` Known keys: ${known.join(', ')}.`;
    at(pair.key as Node, `${prefix}.${key}`, `Unknown key '${key}'.${hint}`);
  }
}

function stringMap(map: YAMLMap, prefix: string, at: At): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of map.items) {
    const key = keyText(pair.key);
    const value = isScalar(pair.value) ? pair.value.value : undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      at((pair.value ?? pair.key) as Node, `${prefix}.${key}`, `The field name for '${key}' must be a non-empty string.`);
    } else {
      setOwn(out, key, value);
    }
  }
  return out;
}

/** The two directions must agree, or a sync would write a value back under another name. */
function checkInverse(top: YAMLMap, mapping: FieldMapping, at: At): void {
  const forward = top.get('database_to_airtable', true);
  const backward = top.get('airtable_to_database', true);
  for (const [field, airtable] of Object.entries(mapping.database_to_airtable)) {
    const back = own<string>(mapping.airtable_to_database, airtable);
    if (back !== undefined && back !== field) {
      const node = isMap(forward) ? (forward.get(field, true) as Node) : undefined;
      at(
        node,
        `field_mapping.database_to_airtable.${field}`,
        `'${field}' goes to Airtable field '${airtable}', but airtable_to_database maps '${airtable}' back to '${back}'. Make the two sections agree.`,
      );
    }
  }
  for (const [airtable, field] of Object.entries(mapping.airtable_to_database)) {
    const there = own<string>(mapping.database_to_airtable, field);
    if (there !== undefined && there !== airtable && own(mapping.airtable_to_database, there) !== field) {
      const node = isMap(backward) ? (backward.get(airtable, true) as Node) : undefined;
      at(
        node,
        `field_mapping.airtable_to_database.${airtable}`,
        `'${airtable}' comes back as '${field}', but database_to_airtable sends '${field}' to '${there}'. Make the two sections agree.`,
      );
    }
  }
}

function readLocal(map: YAMLMap, local: LocalMapping, at: At): void {
  unknownKeys(map, LOCAL_KEYS, 'field_mapping.local', at);
  for (const key of ['table', 'id_column'] as const) {
    const node = map.get(key, true) as Node | undefined;
    if (node === undefined) continue;
    const value = isScalar(node) ? node.value : undefined;
    if (typeof value === 'string' && value.trim() !== '') local[key] = value;
    else at(node, `field_mapping.local.${key}`, `local.${key} must be a non-empty string.`);
  }
  for (const key of ['modified_column', 'created_column'] as const) {
    const node = map.get(key, true) as Node | undefined;
    if (node === undefined) continue;
    const value = isScalar(node) ? node.value : undefined;
    if (value === null) local[key] = null;
    else if (typeof value === 'string' && value.trim() !== '') local[key] = value;
    else at(node, `field_mapping.local.${key}`, `local.${key} must be a column name, or null when the table has no such column.`);
  }
  const columns = map.get('columns', true) as Node | undefined;
  if (columns === undefined) return;
  if (!isMap(columns)) {
    at(columns, 'field_mapping.local.columns', 'local.columns must be a map of column name to field name, e.g. full_name: name.');
    return;
  }
  local.columns = stringMap(columns, 'field_mapping.local.columns', at);
  const seen = new Map<string, string>();
  for (const pair of columns.items) {
    const column = keyText(pair.key);
    if (!Object.hasOwn(local.columns, column)) continue;
    const field = local.columns[column]!;
    const other = seen.get(field);
    if (other !== undefined)
      at(
        pair.key as Node,
        `field_mapping.local.columns.${column}`,
        `Columns '${other}' and '${column}' both map to field '${field}'. Map each column to its own field.`,
      );
    seen.set(field, column);
  }
}

/**
 * The problems of every field-mapping file the steps will read (the one a step names, else the
 * package's own), each file read once: so `--check` and the start of a run catch a broken
 * mapping, instead of the stage that loads it when data is already moving.
 */
export function fieldMappingIssues(steps: ReadonlyArray<{ stage: { options: object }; options: Record<string, unknown> }>): ConfigIssue[] {
  const files = new Set<string>();
  for (const step of steps) {
    if (!Object.hasOwn(step.stage.options, 'field_mapping')) continue;
    const file = step.options.field_mapping;
    files.add(typeof file === 'string' && file ? file : defaultFieldMappingPath());
  }
  const issues: ConfigIssue[] = [];
  for (const file of files) {
    try {
      loadFieldMapping(file);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      issues.push(...error.issues);
    }
  }
  return issues;
}
