import levenshtein from 'fast-levenshtein';
import type { Lead } from '../core/record.js';
import { ALWAYS_KEYED, fieldKey, isFreeMail, keyName } from './keys.js';
import { nameSimilarity, namesAgree } from './names.js';

/**
 * Fuzzy comparison of two leads: each weighted field gets a similarity in [0, 1] (Levenshtein
 * ratio of the fields' match keys; equality for emails, phones and domains; names as names.ts
 * compares them), and the score is the weighted mean over the fields both leads have.
 * Identifiers that contradict each other (two different LinkedIn profiles, two different work
 * emails) and names that cannot be one person rule a pair out whatever the score.
 */

/** What a fuzzy comparison needs of one lead: its fields' comparison keys and its identifiers. */
export interface Profile {
  /** Comparison key per weighted field (only fields with a value). */
  f: Record<string, string>;
  /** LinkedIn slug, when known. */
  li?: string;
  /** Work (not free-mail) email key, when known. */
  em?: string;
}

/** Field name → weight. Only the relative sizes matter. */
export type FieldWeights = Record<string, number>;

/** Weights for leads: the name carries most, the company and contact points confirm it. */
export const LEAD_WEIGHTS: FieldWeights = { name: 4, company: 3, company_website: 1.5, phone: 2, email: 2, title: 0.5 };

/** Fields compared for equality only: a near-miss phone or domain is another phone or domain. */
const EXACT = new Set(['email', 'phone', 'domain']);

/** The comparison profile of a lead from its match keys (computed by fingerprint) and fields. */
export function profileOf(record: Lead, keys: Record<string, string>, weights: FieldWeights, defaultCountry: string): Profile {
  const f: Record<string, string> = {};
  const person = typeof record.name === 'string' ? record.name : undefined;
  for (const field of Object.keys(weights)) {
    const name = keyName(field);
    const key = keys[name] ?? (ALWAYS_KEYED.has(name) ? undefined : fieldKey(field, record[field], defaultCountry, person));
    if (key !== undefined) f[field] = key;
  }
  const profile: Profile = { f };
  if (keys.linkedin) profile.li = keys.linkedin;
  if (keys.email && !isFreeMail(keys.email)) profile.em = keys.email;
  return profile;
}

/** Similarity of two keys of one field, in [0, 1]. */
export function fieldSimilarity(field: string, a: string, b: string): number {
  if (a === b) return 1;
  const key = keyName(field);
  if (EXACT.has(key)) return 0;
  if (key === 'name') return nameSimilarity(a, b);
  const longest = Math.max(a.length, b.length);
  return 1 - levenshtein.get(a, b) / longest;
}

/** True when two leads' identifiers or names cannot belong to one person. */
export function contradicts(a: Profile, b: Profile): boolean {
  if ((a.li !== undefined && b.li !== undefined && a.li !== b.li) || (a.em !== undefined && b.em !== undefined && a.em !== b.em)) return true;
  const [na, nb] = [a.f.name, b.f.name];
  return na !== undefined && nb !== undefined && !namesAgree(na, nb);
}

/** Fields two leads must share before a score means anything: one shared field is a coincidence. */
const MIN_SHARED_FIELDS = 2;
/**
 * The share of the total weight the shared fields must carry: a company and its website alone
 * describe everyone who works there, not one person.
 */
const MIN_SHARED_WEIGHT = 0.4;

/**
 * The weighted similarity of two leads, or 0 when they share fewer than MIN_SHARED_FIELDS
 * weighted fields or their identifiers contradict. Stops early once the threshold is out of reach.
 */
export function scorePair(a: Profile, b: Profile, weights: FieldWeights, threshold = 0): number {
  if (contradicts(a, b)) return 0;
  let total = 0;
  let shared = 0;
  const both: string[] = [];
  for (const field in a.f) {
    if (b.f[field] !== undefined) {
      both.push(field);
      total += weights[field] ?? 0;
    }
  }
  if (both.length < MIN_SHARED_FIELDS || total <= 0 || total < MIN_SHARED_WEIGHT * totalWeight(weights)) return 0;
  let score = 0;
  let lost = 0;
  for (const field of both) {
    const weight = weights[field] ?? 0;
    const similarity = fieldSimilarity(field, a.f[field]!, b.f[field]!);
    score += weight * similarity;
    lost += weight * (1 - similarity);
    if (lost / total > 1 - threshold) return 0;
    shared++;
  }
  return shared ? score / total : 0;
}

const totals = new WeakMap<FieldWeights, number>();
function totalWeight(weights: FieldWeights): number {
  let total = totals.get(weights);
  if (total === undefined) totals.set(weights, (total = Object.values(weights).reduce((sum, w) => sum + w, 0)));
  return total;
}
