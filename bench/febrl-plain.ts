import { learnedScorer } from '../lib/match/scorer.js';
import { fieldSpecsOf, trainModel, type FieldValues } from '../lib/match/model/index.js';
import type { Lead } from '../lib/core/record.js';
import type { LabelledLead } from './febrl.js';

/**
 * FEBRL with a plain, untuned mapping, as a new user would map a person table: the name, the
 * address as one `location`, the date of birth and the social security number as extra columns.
 * The learned model is trained on each file without its truth and scored here on its own
 * blocking (exact name token, date of birth or SSN), before it is wired into the engine.
 */

const ADDRESS = ['street_number', 'address_1', 'address_2', 'suburb', 'postcode', 'state'];

/** A FEBRL row as a plain lead: name, location, date_of_birth, soc_sec_id (empty parts left out). */
export function plainLead(record: Lead): Lead {
  const join = (names: string[]) =>
    names
      .map((n) => record[n])
      .filter((v) => typeof v === 'string' && v)
      .join(' ') || null;
  return {
    id: record.id,
    name: join(['given_name', 'surname']),
    location: join(ADDRESS),
    date_of_birth: record.date_of_birth ?? null,
    soc_sec_id: record.soc_sec_id ?? null,
  };
}

/** The plain columns, each compared as its name says (name, address, date, exact): nothing declared, nothing tuned. */
const PLAIN_FIELDS = fieldSpecsOf(['name', 'location', 'date_of_birth', 'soc_sec_id']).specs;

/** The weighted (today's) scoring of the same mapping: every column weighs the same. */
export const PLAIN_WEIGHTED_SETTINGS = {
  fingerprint: { matching_fields: [], blocking_fields: ['name', 'location', 'date_of_birth', 'soc_sec_id'] },
  dedupe: { matching_fields: [], field_weights: { name: 1, location: 1, date_of_birth: 1, soc_sec_id: 1 } },
};

/** The match probability at or above which the learned model joins a pair (Splink's usual 0.9). */
const LEARNED_THRESHOLD = 0.9;

export interface PairQuality {
  precision: number;
  recall: number;
  f1: number;
  pair_completeness: number;
}

/** Trains on the plain leads, scores the blocked pairs, clusters those at the threshold, and measures pairwise quality. */
export function learnedQuality(leads: LabelledLead[]): PairQuality {
  const values: FieldValues[] = leads.map(({ record }) => {
    const plain = plainLead(record);
    return Object.fromEntries(PLAIN_FIELDS.map(({ field }) => [field, typeof plain[field] === 'string' ? (plain[field] as string) : undefined]));
  });
  const { model } = trainModel(values, PLAIN_FIELDS, { sessions: ['name', 'date_of_birth', 'soc_sec_id'] });
  const scorer = learnedScorer(model);
  const parent = leads.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  let covered = 0;
  for (const [i, j] of candidatePairs(values)) {
    if (leads[i]!.entity === leads[j]!.entity) covered++;
    if (scorer.score({ f: values[i] as Record<string, string> }, { f: values[j] as Record<string, string> }) >= LEARNED_THRESHOLD) parent[find(i)] = find(j);
  }
  const pairs = (n: number) => (n * (n - 1)) / 2;
  const count = (key: (i: number) => string) => {
    const sizes = new Map<string, number>();
    for (let i = 0; i < leads.length; i++) sizes.set(key(i), (sizes.get(key(i)) ?? 0) + 1);
    return [...sizes.values()].reduce((s, n) => s + pairs(n), 0);
  };
  const truth = count((i) => leads[i]!.entity);
  const found = count((i) => String(find(i)));
  const correct = count((i) => `${find(i)}\u0000${leads[i]!.entity}`);
  const precision = found ? correct / found : 1;
  const recall = truth ? correct / truth : 1;
  const round = (x: number) => Math.round(x * 10_000) / 10_000;
  return {
    precision: round(precision),
    recall: round(recall),
    f1: round(precision + recall ? (2 * precision * recall) / (precision + recall) : 0),
    pair_completeness: round(truth ? covered / truth : 1),
  };
}

/** The distinct pairs sharing a name token, a date of birth or an SSN (blocks of at most 200). */
function candidatePairs(values: FieldValues[]): Set<[number, number]> {
  const blocks = new Map<string, number[]>();
  values.forEach((v, i) => {
    const keys = [...new Set(v.name?.toLowerCase().split(/\s+/) ?? [])].map((t) => `n:${t}`).concat([`d:${v.date_of_birth ?? ''}`, `s:${v.soc_sec_id ?? ''}`]);
    for (const key of keys) {
      if (key.length <= 2) continue;
      const block = blocks.get(key) ?? [];
      block.push(i);
      blocks.set(key, block);
    }
  });
  const seen = new Set<number>();
  const result = new Set<[number, number]>();
  for (const block of blocks.values()) {
    if (block.length > 200) continue;
    for (let a = 0; a < block.length; a++) {
      for (let b = a + 1; b < block.length; b++) {
        const [i, j] = block[a]! < block[b]! ? [block[a]!, block[b]!] : [block[b]!, block[a]!];
        if (seen.has(i * values.length + j)) continue;
        seen.add(i * values.length + j);
        result.add([i, j]);
      }
    }
  }
  return result;
}
