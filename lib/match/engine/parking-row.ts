import type { Lead } from '../../core/record.js';
import { identityOf } from '../cluster.js';
import { BLOCK_PREFIX, isFreeMail } from '../keys.js';
import { isWeakKey } from '../phone-key.js';
import { profileOf, type FieldWeights, type Profile } from '../similarity.js';
import { blockHash, bucketOfKey, bucketOfHash } from './buckets.js';
import type { ClusterSettings } from './cluster-settings.js';
import { annotatableAsText } from './splice.js';

/**
 * The parking row: a record as the clustering parks it, and the rows and entries it is filed as.
 * This module alone knows their layouts; everything else asks it by name.
 *
 * A parking row is one line of tab-separated fields, worked out where the record's keys are (a
 * parallel run's worker threads, else the clustering thread) and laid out so that the clustering
 * thread copies its parts into its files as UTF-8 bytes and decodes nothing (`fileParkingRow`):
 *
 * - how many strong keys (`ClusterSettings.strong_keys`) the record has; for each, its bucket and
 *   the key (name, NUL, value);
 * - the strong tail, which ends each of its strong-key rows: identity, LinkedIn slug, name key;
 * - the block tail, which ends each of its block rows: the hashes of its blocking keys joined by
 *   commas, identity, comparison profile (`PROFILE` slots; one empty field when it has no blocks);
 * - its ids entry: LinkedIn slug, work (not free-mail) email;
 * - its records entry: `!` when its annotations cannot be spliced into its JSON, its identity as
 *   JSON, a tab and its JSON.
 *
 * Text fields are escaped (`escapeField`); JSON never holds a raw tab or newline.
 */

/** The fields of a strong-key row in its bucket: the key and seq the bucket puts first, then the strong tail. */
const STRONG_ROW = { key: 0, seq: 1, identity: 2, linkedin: 3, name: 4 } as const;
const STRONG_TAIL_FIELDS = STRONG_ROW.name - STRONG_ROW.seq;

/** The fields of a block row in its bucket: the block hash and seq the bucket puts first, then the block tail. */
const BLOCK_ROW = { hash: 0, seq: 1, hashes: 2, identity: 3, profile: 4 } as const;
/** The slots of a comparison profile, from its first: LinkedIn slug, work email, then one per weighted field (`=` and the key, or empty). */
const PROFILE = { linkedin: 0, workEmail: 1, firstField: 2 } as const;
const FILLED_SLOT = '=';

/** The fields of an ids entry. */
const IDS_ENTRY_FIELDS = 2;
/** The first byte of a records entry whose annotations cannot be spliced into its JSON. */
const NOT_SPLICEABLE = '!';
const NOT_SPLICEABLE_BYTE = NOT_SPLICEABLE.charCodeAt(0);

const TAB = 9;
const COMMA = 44;

/** Where `fileParkingRow` files a row's parts: bucket files for rows, record files for entries. */
export interface ParkingFiles {
  strong: BucketSink;
  blocks: BucketSink;
  ids: EntrySink;
  records: EntrySink;
}
interface BucketSink {
  add(bucket: number, src: Uint8Array, headStart: number, headEnd: number, seq: string, tailStart: number, tailEnd: number): void;
}
interface EntrySink {
  appendBytes(src: Uint8Array, start: number, end: number): number;
}

/** The parking row of a record with its match keys (`json`: its JSON, when the caller has it already). */
export function parkingRow(record: Lead, keys: Record<string, string>, settings: ClusterSettings, json = JSON.stringify(record)): string {
  const identity = identityOf(record);
  const ident = escapeField(identity);
  const linkedin = keys.linkedin ? escapeField(keys.linkedin) : '';
  const email = keys.email;
  const workEmail = email && !isFreeMail(email) ? escapeField(email) : '';
  let strong = '';
  let count = 0;
  for (const name of settings.strong_keys) {
    const value = keys[name];
    // A lower-confidence key (a phone's bare digits) describes, it does not identify.
    if (value === undefined || isWeakKey(value)) continue;
    const key = keyText(name, value);
    strong += `${bucketOfKey(key)}\t${escapeField(key)}\t`;
    count++;
  }
  let hashes = '';
  for (const name in keys) if (name.startsWith(BLOCK_PREFIX)) hashes += `${hashes ? ',' : ''}${blockHash(keyText(name, keys[name]!))}`;
  const profile = hashes ? profileText(profileOf(record, keys, settings.weights, settings.default_country), settings.weights) : '';
  const strongTail = `${ident}\t${linkedin}\t${keys.name ? escapeField(keys.name) : ''}`;
  const blockTail = `${hashes}\t${ident}\t${profile}`;
  const entry = `${annotatableAsText(record) ? '' : NOT_SPLICEABLE}${JSON.stringify(identity)}\t${json}`;
  return `${count}\t${strong}${strongTail}\t${blockTail}\t${linkedin}\t${workEmail}\t${entry}`;
}

/** A match key as one text (strong keys and blocks are grouped by it): its name, NUL, its value. */
export function keyText(name: string, value: string): string {
  return `${name}\u0000${value}`;
}

/** The name and value of a `keyText`. */
export function keyParts(text: string): [name: string, value: string] {
  const cut = text.indexOf('\u0000');
  return [text.slice(0, cut), text.slice(cut + 1)];
}

/** How many tab-separated slots a comparison profile has for these weights. */
export function profileSlots(weights: FieldWeights): number {
  return PROFILE.firstField + Object.keys(weights).length;
}

/**
 * A comparison profile as its slots. The field names are not written: read back, they are the
 * weights' own strings, so every profile's object takes the same shape.
 */
function profileText(profile: Profile, weights: FieldWeights): string {
  let text = `${profile.li === undefined ? '' : escapeField(profile.li)}\t${profile.em === undefined ? '' : escapeField(profile.em)}`;
  for (const field in weights) {
    const value = profile.f[field];
    text += value === undefined ? '\t' : `\t${FILLED_SLOT}${escapeField(value)}`;
  }
  return text;
}

/**
 * Files the parking row `row[start, end)` (UTF-8 bytes) of record number `seq`: a strong-key row
 * per strong key, a block row per block, its ids entry and its records entry, each part copied as
 * it is. `slots` is `profileSlots` of the settings the row was made with.
 */
export function fileParkingRow(row: Uint8Array, start: number, end: number, seq: string, slots: number, files: ParkingFiles): void {
  const countEnd = tabAt(row, start);
  let count = decimalAt(row, start, countEnd);
  const firstKey = countEnd + 1;
  const strongTail = skipFields(row, firstKey, 2 * count);
  const blockTail = skipFields(row, strongTail, STRONG_TAIL_FIELDS);
  for (let key = firstKey; count > 0; count--) {
    const bucketEnd = tabAt(row, key);
    const keyEnd = tabAt(row, bucketEnd + 1);
    files.strong.add(decimalAt(row, key, bucketEnd), row, bucketEnd + 1, keyEnd, seq, strongTail, blockTail - 1);
    key = keyEnd + 1;
  }
  const hashesEnd = tabAt(row, blockTail);
  const hasBlocks = hashesEnd > blockTail;
  // After the hashes: the identity, then the profile's slots (one empty field without blocks).
  const idsEntry = skipFields(row, hashesEnd + 1, 1 + (hasBlocks ? slots : 1));
  for (let hash = blockTail; hash < hashesEnd; ) {
    let next = hash;
    while (row[next] !== COMMA && next < hashesEnd) next++;
    files.blocks.add(bucketOfHash(decimalAt(row, hash, next)), row, hash, next, seq, blockTail, idsEntry - 1);
    hash = next + 1;
  }
  const idsEnd = skipFields(row, idsEntry, IDS_ENTRY_FIELDS) - 1;
  files.ids.appendBytes(row, idsEntry, idsEnd);
  files.records.appendBytes(row, idsEnd + 1, end);
}

/** A strong-key row as read back from its bucket. */
export interface StrongRow {
  seq: number;
  ident: string;
  li?: string;
  nm?: string;
}

/** The strong-key row that starts at `start` of a bucket's text. */
export function strongRowAt(text: string, start: number): StrongRow {
  const fields = text.slice(start, text.indexOf('\n', start)).split('\t');
  const [seq, ident, li, nm] = [fields[STRONG_ROW.seq]!, fields[STRONG_ROW.identity]!, fields[STRONG_ROW.linkedin], fields[STRONG_ROW.name]];
  return { seq: Number(seq), ident: unescapeField(ident), li: li ? unescapeField(li) : undefined, nm: nm ? unescapeField(nm) : undefined };
}

/**
 * One record of a block, read from its block row: its seq at once; its block hashes when a pair
 * needs them (only when both records of the pair have several), its identity and profile when
 * first compared.
 */
export interface BlockMember {
  start: number;
  seq: number;
  /** Where its block hashes are in the bucket text, and whether there are several. */
  hashesAt: number;
  several: boolean;
  hashes?: number[];
  ident?: string;
  profile?: Profile;
}

/** The block row that starts at `start` of a bucket's text (block hash and seq, the first two fields). */
export function blockMemberAt(text: string, start: number): BlockMember {
  const seqAt = text.indexOf('\t', start) + 1;
  const hashesAt = text.indexOf('\t', seqAt) + 1;
  const comma = text.indexOf(',', hashesAt);
  return { start, seq: Number(text.slice(seqAt, hashesAt - 1)), hashesAt, several: comma !== -1 && comma < text.indexOf('\t', hashesAt) };
}

/** A block member's block hashes, read from its row on first use (digit by digit: they are integers below 2^53). */
export function memberHashes(text: string, member: BlockMember): number[] {
  if (member.hashes) return member.hashes;
  const hashes: number[] = [];
  let value = 0;
  for (let at = member.hashesAt; at < text.length; at++) {
    const c = text.charCodeAt(at);
    if (c === COMMA || c === TAB) {
      hashes.push(value);
      value = 0;
      if (c === TAB) break;
    } else {
      value = value * 10 + c - 48;
    }
  }
  return (member.hashes = hashes);
}

/** A block member's profile (and identity), read from its row on first use; `fields` are the weights' names in order. */
export function memberProfile(text: string, member: BlockMember, fields: readonly string[]): Profile {
  if (member.profile) return member.profile;
  const values = text.slice(member.start, text.indexOf('\n', member.start)).split('\t');
  const profile: Profile = { f: {} };
  const linkedin = values[BLOCK_ROW.profile + PROFILE.linkedin];
  const workEmail = values[BLOCK_ROW.profile + PROFILE.workEmail];
  if (linkedin) profile.li = unescapeField(linkedin);
  if (workEmail) profile.em = unescapeField(workEmail);
  for (let i = 0; i < fields.length; i++) {
    const slot = values[BLOCK_ROW.profile + PROFILE.firstField + i];
    if (slot) profile.f[fields[i]!] = unescapeField(slot.slice(FILLED_SLOT.length));
  }
  member.ident = unescapeField(values[BLOCK_ROW.identity]!);
  return (member.profile = profile);
}

/** Adds the identifiers of an ids entry to an entity's sets of LinkedIn slugs and work emails. */
export function addIdentifiers(entry: string, ids: { li: Set<string>; em: Set<string> }): void {
  const tab = entry.indexOf('\t');
  if (tab > 0) ids.li.add(unescapeField(entry.slice(0, tab)));
  if (tab < entry.length - 1) ids.em.add(unescapeField(entry.slice(tab + 1)));
}

/** A records entry read back: the record's identity, its JSON, and whether its annotations can be spliced into the JSON. */
export interface RecordEntry {
  ident: string;
  json: string;
  spliceable: boolean;
}

export function readRecordEntry(entry: string): RecordEntry {
  const tab = entry.indexOf('\t');
  const spliceable = !entry.startsWith(NOT_SPLICEABLE);
  return { ident: identityFromJson(entry.slice(spliceable ? 0 : NOT_SPLICEABLE.length, tab)), json: entry.slice(tab + 1), spliceable };
}

/** An identity from its JSON: without a backslash, the text between the quotes is the identity. */
function identityFromJson(json: string): string {
  return json.includes('\\') ? (JSON.parse(json) as string) : json.slice(1, -1);
}

/**
 * Where the parts of a records entry given as UTF-8 bytes are: the identity's JSON is
 * `[identityStart, identityEnd)`, the record's JSON runs from `jsonStart` to the end. One instance
 * is read again and again, so nothing is allocated per record.
 */
export class RecordEntryLayout {
  spliceable = false;
  identityStart = 0;
  identityEnd = 0;
  jsonStart = 0;

  read(entry: Uint8Array): this {
    this.spliceable = entry[0] !== NOT_SPLICEABLE_BYTE;
    this.identityStart = this.spliceable ? 0 : NOT_SPLICEABLE.length;
    this.identityEnd = entry.indexOf(TAB);
    this.jsonStart = this.identityEnd + 1;
    return this;
  }
}

/**
 * Field text inside a tab-separated line: tabs, newlines and backslashes escaped. Keys and ids
 * almost never hold one, so the test is the common cost.
 */
export function escapeField(text: string): string {
  return SPECIAL.test(text) ? text.replace(SPECIALS, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : '\\n')) : text;
}
const SPECIAL = /[\\\t\n]/;
const SPECIALS = /[\\\t\n]/g;

export function unescapeField(text: string): string {
  return text.includes('\\') ? text.replace(/\\(.)/gs, (_m, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c)) : text;
}

/** Where the next tab is, from `at` on (a row's fields are short: a loop beats a native call). */
function tabAt(row: Uint8Array, at: number): number {
  while (row[at] !== TAB) {
    if (at >= row.length) throw new Error('a parking row ended early: it was not made by parkingRow for these settings');
    at++;
  }
  return at;
}

/** Where the field `count` fields after the one at `at` starts. */
function skipFields(row: Uint8Array, at: number, count: number): number {
  for (; count > 0; count--) at = tabAt(row, at) + 1;
  return at;
}

/** The decimal number in `row[start, end)`. */
function decimalAt(row: Uint8Array, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + row[i]! - 48;
  return value;
}
