import { metaOf, type Lead } from '../../core/record.js';
import { isEvent } from '../../core/types.js';
import { fingerprint, type KeySettings } from '../keys.js';
import { parkingRow } from './parking-row.js';
import type { DedupeSettings } from './protocol.js';

/**
 * A parking line: one record (or event) as the clustering thread takes it, its kind, a tab, then
 * its body.
 *
 * - `r`: a record's `parkingRow`, made where its keys are (a parallel run's worker threads), which
 *   the thread copies into its files as bytes;
 * - `u`: the same for a record that came without match keys and was fingerprinted there (counted);
 * - `e`: the JSON of an event (a duplicate group, an operation), which passes through;
 * - `j`: the JSON of a record or event as `add` sends it: the thread does the rest itself.
 */
export type LineKind = 'record' | 'unkeyed' | 'event' | 'json';

const KIND_LETTER: Record<LineKind, string> = { record: 'r', unkeyed: 'u', event: 'e', json: 'j' };
const [RECORD, UNKEYED, EVENT, JSON_LINE] = [KIND_LETTER.record, KIND_LETTER.unkeyed, KIND_LETTER.event, KIND_LETTER.json].map((l) => l.charCodeAt(0));
/** Where a line's body starts, after its kind and a tab. */
export const LINE_BODY = 2;

/** The parking line of a record or event, for the dedupe engine's `addLines` (what a parallel run's workers make). */
export function parkingLine(record: Lead, settings: DedupeSettings): string {
  if (isEvent(record)) return `${KIND_LETTER.event}\t${JSON.stringify(record)}`;
  const { keys, fingerprinted } = matchKeys(record, settings.keys);
  return `${fingerprinted ? KIND_LETTER.unkeyed : KIND_LETTER.record}\t${parkingRow(record, keys, settings.cluster)}`;
}

/** The parking line of a record or event sent as its JSON alone. */
export function jsonLine(record: Lead): string {
  return `${KIND_LETTER.json}\t${JSON.stringify(record)}`;
}

/** The kind of the parking line that starts at `bytes[start]`. */
export function lineKindAt(bytes: Uint8Array, start: number): LineKind {
  const letter = bytes[start];
  if (letter === RECORD) return 'record';
  if (letter === JSON_LINE) return 'json';
  if (letter === EVENT) return 'event';
  if (letter === UNKEYED) return 'unkeyed';
  throw new Error(`a parking line starts with ${JSON.stringify(String.fromCharCode(letter ?? 0))}: it was not made by parkingLine`);
}

/** A record's match keys; one that came without (fingerprint did not run before dedupe) is fingerprinted here. */
export function matchKeys(record: Lead, settings: KeySettings): { keys: Record<string, string>; fingerprinted: boolean } {
  const keys = record._meta?.keys as Record<string, string> | undefined;
  if (keys) return { keys, fingerprinted: false };
  return { keys: (metaOf(record).keys = fingerprint(record, settings)), fingerprinted: true };
}
