import { seededRandom } from '../lib/core/random.js';
import type { Lead } from '../lib/core/record.js';
import {
  companyVariant,
  entityOf,
  FIRST,
  iso,
  LAST,
  linkedinVariant,
  mix,
  phoneVariant,
  PLAIN,
  typo,
  type Entity,
  type GeneratedLead,
  type Rng,
} from './generate-leads.js';

export interface BigEmployerOptions {
  seed?: number;
  /** Share of the people who have a second record, without email or LinkedIn (default 0.3). */
  duplicateShare?: number;
}

const DAY = 86_400_000;

/**
 * One employer with `count` leads, the case where the company and website blocks are far past
 * `max_block_size`: a share of the people have a second record that lacks email and LinkedIn, its
 * name with a typo in half of them, its phone in another format or missing. Every person has a
 * distinct name, a work email, a LinkedIn profile and a phone, so a person can tell every pair
 * apart. Same arguments, same records; the people come first, their second records after.
 */
export function* generateBigEmployer(count: number, options: BigEmployerOptions = {}): Generator<GeneratedLead> {
  const seed = options.seed ?? 1;
  const people = Math.ceil(count / (1 + (options.duplicateShare ?? 0.3)));
  const names = FIRST.length * LAST.length;
  if (people > names) throw new RangeError(`generateBigEmployer: at most ${names} distinct people, not ${people}`);
  // A stride prime to the number of names spreads the people over first and last names alike.
  const person = (p: number): Entity => {
    const k = (p * 7919) % names;
    return { ...entityOf(seed, p, 1), first: FIRST[k % FIRST.length]!, last: LAST[Math.floor(k / FIRST.length)]! };
  };
  for (let p = 0; p < people; p++) yield { record: original(person(p), seededRandom(mix(seed, p)), p), entity: `e${p}` };
  for (let p = 0; people + p < count; p++) {
    yield { record: secondRecord(person(p), seededRandom(mix(seed ^ 0x2545f491, p)), people + p), entity: `e${p}` };
  }
}

function original(e: Entity, rng: Rng, position: number): Lead {
  const [first, last] = [PLAIN.get(e.first)!, PLAIN.get(e.last)!];
  return {
    id: `lead-${position}`,
    name: `${e.first} ${e.last}`,
    email: `${first}.${last}@${e.domain}`,
    company: companyVariant(rng, e),
    title: e.title,
    linkedin_url: linkedinVariant(rng, `${first}-${last}-${position.toString(16)}`, rng() < 0.3),
    company_website: `https://${e.domain}`,
    phone: phoneVariant(rng, e.phone),
    created_at: iso(e.createdMs),
    updated_at: iso(e.createdMs + Math.floor(rng() * 60 * DAY)),
  };
}

function secondRecord(e: Entity, rng: Rng, position: number): Lead {
  const name = rng() < 0.5 ? `${e.first} ${e.last}` : rng() < 0.5 ? `${typo(rng, e.first)} ${e.last}` : `${e.first} ${typo(rng, e.last)}`;
  const created = e.createdMs + Math.floor(rng() * 200 * DAY);
  return {
    id: `lead-${position}`,
    name,
    email: null,
    company: companyVariant(rng, e),
    title: rng() < 0.65 ? e.title : null,
    linkedin_url: null,
    company_website: rng() < 0.65 ? `www.${e.domain}` : null,
    phone: rng() < 0.5 ? phoneVariant(rng, e.phone) : null,
    created_at: iso(created),
    updated_at: iso(created + Math.floor(rng() * 60 * DAY)),
  };
}
