import fs from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ConfigError, type ConfigIssue, type SourcePosition } from './errors.js';

/**
 * A YAML file parsed with positions, so every problem found later can point at `file:line:col`.
 * The file name in messages is as the user gave it (relative paths stay relative).
 */
export interface YamlSource {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

/** Reads and parses a YAML file; syntax errors become a ConfigError with their positions. */
export function readYaml(file: string, displayName = file): YamlSource {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String((error as Error).message);
    throw new ConfigError([{ message: `cannot read ${displayName}: ${why}` }], { cause: error });
  }
  return parseYaml(text, displayName);
}

/** Parses YAML text with positions (see readYaml). */
export function parseYaml(text: string, file: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const source = { file, doc, lines };
  if (doc.errors.length) {
    throw new ConfigError(doc.errors.map((e) => ({
      position: positionAt(source, e.pos[0]),
      message: `YAML syntax: ${e.message.split('\n')[0]}`,
    })));
  }
  return source;
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

/** The node at a path of keys and indexes, or the deepest one that exists on the way. */
export function nodeAt(source: YamlSource, keys: readonly (string | number)[]): Node | undefined {
  let node: unknown = source.doc.contents;
  for (const key of keys) {
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
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
  const pair = map.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
  return (pair?.key as Node | undefined) ?? map;
}

/** An issue at a path of a YAML source. */
export function issueAt(source: YamlSource, keys: readonly (string | number)[], path: string | undefined, message: string): ConfigIssue {
  return { position: positionOf(source, nodeAt(source, keys)), path, message };
}

/** Resolves a path written in a YAML file, relative to that file's directory. */
export function resolveFrom(file: string, target: string): string {
  return target === '-' || path.isAbsolute(target) ? target : path.resolve(path.dirname(file), target);
}
