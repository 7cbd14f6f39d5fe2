import type { LineBytes } from '../../core/jsonl.js';
import type { Lead } from '../../core/record.js';
import { ANNOTATIONS, annotateSingle } from '../resolution.js';

/**
 * Annotating a record on its JSON text instead of parsing, annotating and serializing it again:
 * most records have no duplicate, and their annotations are a fixed text around the cluster id.
 * Every function here gives exactly the text `JSON.stringify` gives of the annotated record (the
 * spec proves it for every strategy and for odd records); the record-level logic stays in
 * resolution.ts, which knows nothing of this.
 */

/**
 * What `annotateSingle` adds, as JSON text before and after the cluster id: worked out once from
 * `annotateSingle` itself, so a change there cannot leave the text behind.
 */
const [SINGLE_HEAD, SINGLE_TAIL] = ((): [string, string] => {
  const marker = '\u0000';
  const start = JSON.stringify({ _meta: { m: 0 } }).slice(0, -2);
  const text = JSON.stringify(annotateSingle({ _meta: { m: 0 } }, marker));
  const at = text.indexOf(JSON.stringify(marker));
  return [text.slice(start.length, at), text.slice(at + JSON.stringify(marker).length)];
})();
const SINGLE_HEAD_BYTES = Buffer.from(SINGLE_HEAD);
const SINGLE_LINE_END_BYTES = Buffer.from(`${SINGLE_TAIL}\n`);

/**
 * Whether annotations can be added to the record's JSON text, `JSON.stringify(record)`: its
 * `_meta` is its last property and an object with properties, none of them an annotation yet. The
 * annotations are then new properties at the end of `_meta`, so they go just before the text's two
 * closing braces, the same text as parsing, annotating and serializing.
 */
export function annotatableAsText(record: Lead): boolean {
  const meta = record._meta as Record<string, unknown> | undefined;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return false;
  // Property order is JSON.stringify's own: integer-like names first, then the rest as added.
  let last: string | undefined;
  for (const name in record) last = name;
  if (last !== '_meta') return false;
  let empty = true;
  for (const name in meta) {
    if (ANNOTATIONS.has(name) || meta[name] === undefined) return false;
    empty = false;
  }
  return !empty;
}

/**
 * The JSON of a record without duplicates once annotated (`annotateSingle`), from its JSON and its
 * cluster id as JSON: spliced into the text when `annotatableAsText` held for the record, else by
 * parsing and serializing it again.
 */
export function annotateSingleJson(json: string, clusterJson: string, spliceable: boolean): string {
  if (spliceable) return json.slice(0, -2) + SINGLE_HEAD + clusterJson + SINGLE_TAIL;
  return JSON.stringify(annotateSingle(JSON.parse(json) as Lead, JSON.parse(clusterJson) as string));
}

/**
 * `annotateSingleJson` on UTF-8 bytes, for a record whose `annotatableAsText` held: adds the line
 * of the annotated record to `lines` from its JSON `src[jsonStart, jsonEnd)` and its cluster id as
 * JSON `src[idStart, idEnd)`, never decoded or encoded.
 */
export function addAnnotatedSingle(lines: LineBytes, src: Uint8Array, jsonStart: number, jsonEnd: number, idStart: number, idEnd: number): void {
  // The record's JSON without its two closing braces, then the rest (a few dozen bytes) copied
  // together: each part added on its own costs more than its bytes.
  lines.addBytes(src, jsonStart, jsonEnd - 2);
  const rest = SINGLE_HEAD_BYTES.length + idEnd - idStart + SINGLE_LINE_END_BYTES.length;
  if (rest > annotation.length) annotation = Buffer.allocUnsafe(rest);
  let at = 0;
  for (let i = 0; i < SINGLE_HEAD_BYTES.length; i++) annotation[at++] = SINGLE_HEAD_BYTES[i]!;
  for (let i = idStart; i < idEnd; i++) annotation[at++] = src[i]!;
  for (let i = 0; i < SINGLE_LINE_END_BYTES.length; i++) annotation[at++] = SINGLE_LINE_END_BYTES[i]!;
  lines.addBytes(annotation, 0, at);
}

/** Where `addAnnotatedSingle` puts together what follows a record's JSON. */
let annotation = Buffer.allocUnsafe(256);

/**
 * The JSON of a record that resolution annotated and changed no further (not in
 * `ResolvedCluster.rewritten`), from its JSON as it came when `annotatableAsText` held for it: its
 * annotations spliced in before the two closing braces, the same text as `JSON.stringify` gives.
 */
export function annotatedJson(json: string, record: Lead): string {
  const meta = record._meta as Record<string, unknown>;
  let tail = '';
  for (const name in meta) if (ANNOTATIONS.has(name)) tail += `,"${name}":${JSON.stringify(meta[name])}`;
  return `${json.slice(0, -2)}${tail}}}`;
}
