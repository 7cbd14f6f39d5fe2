import { addPattern, comparePair, fitModel, type FieldValues, type PatternCounts, type TrainedModel } from '../model/index.js';
import { BLOCK_PREFIX, keyName } from '../keys.js';
import { Buckets, blockHash, sharedKeys } from './buckets.js';
import type { TrainingSettings } from './cluster-settings.js';
import { blockMemberAt, keyText, memberProfile } from './parking-row.js';

/**
 * Training the learned model on the parked records, before any pair is scored, with memory that
 * does not grow with the input: blocks are read bucket by bucket (a hash partition, so the first
 * buckets are a random share of all blocks) until enough pairs are counted. Each pair's comparison
 * pattern is counted (the distinct patterns are few, whatever the pairs' number) into the session of
 * its block's field (as Splink counts a blocking rule's pairs); u and term frequencies come from a sample of the
 * records met, the ones whose identity hashes lowest. Nothing depends on the order records arrived
 * in, so one thread and many train the same model.
 */

/** Pairs counted before training stops reading buckets. */
const TRAINING_PAIRS = 150_000;
/** Records kept for u and term frequencies. */
const SAMPLE_SIZE = 10_000;
/** Random pairs of the sample for u. */
const RANDOM_PAIRS = 200_000;

/** Trains a model on the blocks of `records` parked records (blocks past `maxBlock` left out). */
export function trainOnBlocks(blocks: Buckets, settings: TrainingSettings, records: number, maxBlock: number): TrainedModel {
  const names = settings.fields.map((f) => f.field);
  const sessions = new Map<string, PatternCounts>(settings.sessions.map((field) => [field, new Map()]));
  const sample = new LowestHashes(SAMPLE_SIZE, settings.seed);
  let pairs = 0;
  let read = 0;
  while (read < Buckets.COUNT && pairs < TRAINING_PAIRS) {
    const text = blocks.read(read++);
    for (let start = 0; start < text.length; start = text.indexOf('\n', start) + 1) {
      const member = blockMemberAt(text, start);
      const profile = memberProfile(text, member, names);
      sample.offer(member.ident!, profile.f);
    }
    for (const [hash, starts] of sharedKeys(text)) {
      if (starts.length > maxBlock) continue;
      pairs += countBlock(text, Number(hash), starts, names, settings, sessions);
    }
  }
  return fitModel(settings.fields, {
    sample: sample.values(),
    sessions,
    sessionFields: settings.sessions,
    records,
    coverage: read / Buckets.COUNT,
    random_pairs: RANDOM_PAIRS,
    seed: settings.seed,
  });
}

/** Counts the patterns of a block's pairs into its field's session; returns how many pairs it counted. */
function countBlock(text: string, hash: number, starts: number[], names: string[], settings: TrainingSettings, sessions: Map<string, PatternCounts>): number {
  const members = starts.map((start) => blockMemberAt(text, start));
  const profiles = members.map((m) => memberProfile(text, m, names));
  const field = blockField(hash, profiles[0]!.f, settings.sessions);
  if (field === undefined) return 0;
  const session = sessions.get(field)!;
  for (let i = 0; i < members.length; i++) {
    for (let j = i + 1; j < members.length; j++) {
      const [x, y] = members[i]!.ident! < members[j]!.ident! ? [profiles[i]!.f, profiles[j]!.f] : [profiles[j]!.f, profiles[i]!.f];
      addPattern(session, comparePair(settings.fields, x, y));
    }
  }
  return (members.length * (members.length - 1)) / 2;
}

/** The field whose block key has this hash, given one member's values (the block keys are the fields' match keys). */
function blockField(hash: number, values: FieldValues, fields: readonly string[]): string | undefined {
  return fields.find((field) => values[field] !== undefined && blockHash(keyText(BLOCK_PREFIX + keyName(field), values[field]!)) === hash);
}

/**
 * The `size` records whose identities hash lowest (a seeded FNV-1a): a random sample that is the
 * same whatever order the records are offered in. Memory stays within twice `size`.
 */
class LowestHashes {
  private entries: { hash: number; ident: string; values: FieldValues }[] = [];
  private readonly seen = new Set<string>();
  /** The highest hash kept at the last trim: a record hashing above it can no longer be in the sample. */
  private cutoff = Infinity;

  constructor(
    private readonly size: number,
    private readonly seed: number,
  ) {}

  offer(ident: string, values: FieldValues): void {
    if (this.seen.has(ident)) return;
    const hash = identityHash(ident, this.seed);
    if (hash > this.cutoff) return;
    this.seen.add(ident);
    this.entries.push({ hash, ident, values });
    if (this.entries.length >= 2 * this.size) this.trim();
  }

  values(): FieldValues[] {
    this.trim();
    return this.entries.map((e) => e.values);
  }

  private trim(): void {
    this.entries.sort((x, y) => x.hash - y.hash || (x.ident < y.ident ? -1 : x.ident > y.ident ? 1 : 0));
    for (const dropped of this.entries.splice(this.size)) this.seen.delete(dropped.ident);
    if (this.entries.length >= this.size) this.cutoff = this.entries[this.size - 1]!.hash;
  }
}

function identityHash(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
