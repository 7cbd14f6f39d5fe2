import fs from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { ConfigError, type SourcePosition } from './errors.js';

/**
 * A YAML file parsed with positions, so every problem found later can point at `file:line:col`.
 * The file name in messages is as the user gave it (relative paths stay relative).
 */
export interface YamlSource {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

/**
 * The largest pipeline, configuration or field-mapping file read: hand-written files are a few
 * kilobytes, and parsing is the one step whose time and memory grow with the file, so a huge
 * one (a wrong path, a generated file) is refused before it is parsed.
 */
export const MAX_YAML_BYTES = 1024 * 1024;

/**
 * Reads a YAML file of at most MAX_YAML_BYTES; a larger one (or a device or pipe that gives
 * more) is a ConfigError naming the file and the limit, before anything is parsed.
 */
export function readYamlText(file: string, displayName = file, maxBytes = MAX_YAML_BYTES): string {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const stat = fs.fstatSync(fd);
    if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (stat.isFile() && stat.size > maxBytes) throw tooLarge(displayName, stat.size, maxBytes);
    // Read one byte past the limit, so a file that grows, a pipe or a device is bounded too.
    const buffer = Buffer.alloc(Math.min(maxBytes + 1, stat.isFile() ? stat.size + 1 : maxBytes + 1));
    let length = 0;
    for (let n; length < buffer.length && (n = fs.readSync(fd, buffer, length, buffer.length - length, null)) > 0; ) length += n;
    if (length > maxBytes) throw tooLarge(displayName, undefined, maxBytes);
    return buffer.subarray(0, length).toString('utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : String((error as Error).message);
    throw new ConfigError([{ message: `cannot read ${displayName}: ${why}` }], { cause: error });
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function tooLarge(displayName: string, size: number | undefined, maxBytes: number): ConfigError {
  const limit = `${Math.round(maxBytes / 1024)} KiB`;
  return new ConfigError([
    {
      position: { file: displayName, line: 1, col: 1 },
      message: `the file is ${size === undefined ? 'larger than' : `${size.toLocaleString('en')} bytes, over`} the limit of ${limit} for a pipeline, configuration or field-mapping file, so it was not read; hand-written ones are a few KiB: check that this is the file you meant`,
    },
  ]);
}

/** Reads and parses a YAML file (see readYamlText for the size limit); syntax errors become a ConfigError with their positions. */
export function readYaml(file: string, displayName = file): YamlSource {
  return parseYaml(readYamlText(file, displayName), displayName);
}

/** Parses YAML text with positions (see readYaml). */
export function parseYaml(text: string, file: string): YamlSource {
  const lines = new LineCounter();
  // The parser's own duplicate-key check compares each key with every earlier one (quadratic in
  // a map's size); duplicateKeyOffsets does the same check in one pass.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const source = { file, doc, lines };
  const problems = [
    ...doc.errors.map((e) => ({ offset: e.pos[0], message: e.message.split('\n')[0] })),
    ...(doc.errors.length ? [] : duplicateKeyOffsets(doc).map((offset) => ({ offset, message: 'Map keys must be unique' }))),
  ];
  if (problems.length) {
    throw new ConfigError(problems.map((p) => ({ position: positionAt(source, p.offset), message: `YAML syntax: ${p.message}` })));
  }
  return source;
}

/** Where each repeated key of every mapping in the document starts (scalar keys, compared by value). */
export function duplicateKeyOffsets(doc: Document): number[] {
  const offsets: number[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        if (seen.has(pair.key.value)) offsets.push(pair.key.range?.[0] ?? 0);
        else seen.add(pair.key.value);
      }
    },
  });
  return offsets;
}

/** The position of a byte offset. */
export function positionAt(source: YamlSource, offset: number): SourcePosition {
  const { line, col } = source.lines.linePos(offset);
  return { file: source.file, line, col };
}

/** The position where a node starts (or the file's start when there is no node). */
export function positionOf(source: YamlSource, node: Node | null | undefined): SourcePosition {
  return positionAt(source, node?.range?.[0] ?? 0);
}

/**
 * A mapping's pairs by key, built once per mapping: finding a key by scanning the items would
 * make checking every key of a large mapping quadratic.
 */
const pairIndexes = new WeakMap<YAMLMap, Map<unknown, Pair>>();
function pairOf(map: YAMLMap, key: unknown): Pair | undefined {
  let index = pairIndexes.get(map);
  if (!index) {
    index = new Map();
    for (const pair of map.items) {
      const k = isScalar(pair.key) ? pair.key.value : pair.key;
      if (!index.has(k)) index.set(k, pair as Pair);
    }
    pairIndexes.set(map, index);
  }
  return index.get(key);
}

/** The node at a path of keys and indexes, or the deepest one that exists on the way. */
export function nodeAt(source: YamlSource, keys: readonly (string | number)[]): Node | undefined {
  let node: unknown = source.doc.contents;
  for (const key of keys) {
    let next: unknown;
    if (isMap(node)) {
      const pair = pairOf(node, key);
      next = pair ? (pair.value ?? pair.key) : undefined;
    } else if (isSeq(node) && typeof key === 'number') {
      next = node.items[key];
    }
    if (!next) break;
    node = next;
  }
  return node as Node | undefined;
}

/** The node of a map's key (for "unknown key" messages, which point at the key itself). */
export function keyNodeAt(source: YamlSource, mapKeys: readonly (string | number)[], key: string): Node | undefined {
  const map = nodeAt(source, mapKeys);
  if (!isMap(map)) return map;
  return (pairOf(map, key)?.key as Node | undefined) ?? map;
}

/** Resolves a path written in a YAML file, relative to that file's directory. */
export function resolveFrom(file: string, target: string): string {
  return target === '-' || path.isAbsolute(target) ? target : path.resolve(path.dirname(file), target);
}
