import { metaOf, setField, type Lead } from '../core/record.js';
import { isEmpty, sameValue, timeOf } from '../sync/values.js';
import type { DuplicateGroup, ValueNotKept } from '../core/types.js';
import type { Cluster } from './cluster.js';
import { fieldKey, isFreeMail } from './keys.js';

/**
 * Resolving one system's members of a cluster: which record survives and which values it ends
 * with. Always within one system: a local survivor is resolved from local records only (they have
 * local-only columns Airtable lacks), an Airtable survivor from Airtable records only; making the
 * two systems agree is the diff stage's job.
 */

/**
 * How a cluster is resolved (dedupe's `resolution_strategy`): the survivor is the last modified,
 * the most complete and valid, the most complete with values picked field by field, or none.
 * The option's values, the `--conflict-strategy` flag and the configuration schema come from here.
 */
export const RESOLUTION_STRATEGIES = ['most_recent', 'highest_quality', 'merge', 'manual'] as const;
export type ResolutionStrategy = (typeof RESOLUTION_STRATEGIES)[number];

/** Which member's value a merge keeps when members disagree on a field (`field_precedence`). */
export const FIELD_RULES = ['most_recent', 'oldest', 'survivor', 'longest'] as const;
export type FieldRule = (typeof FIELD_RULES)[number];

export interface ResolutionSettings {
  strategy: ResolutionStrategy;
  /** Per-field rule for disagreements in a merge (default `most_recent`). */
  field_precedence: Record<string, FieldRule>;
  /** Fields a merge never writes (ids, timestamps, the Airtable link). */
  protected_fields: readonly string[];
  /** For reading phones when telling equivalent values apart. */
  default_country: string;
  /** Whether clusters with duplicates are described as DuplicateGroups (for the report or the review file). */
  describe_groups: boolean;
}

/** Two values that are one value written two ways (same match key: `ca.linkedin.com/in/x` and `linkedin.com/in/x/`). */
function equivalent(field: string, a: unknown, b: unknown, country: string): boolean {
  if (sameValue(a, b)) return true;
  // A value with no key at all (empty, blank, not text) is equivalent to none: the other's key,
  // which may take a phone parse, need not be worked out (a survivor's empty field is the common case).
  if (!mayHaveKey(a) || !mayHaveKey(b)) return false;
  const key = fieldKey(field, a, country);
  return key !== undefined && key === fieldKey(field, b, country);
}

/** False for a value `fieldKey` gives no key whatever the field: nothing, blank text, neither text nor a number. */
function mayHaveKey(value: unknown): boolean {
  if (typeof value === 'string') return value.trim() !== '';
  return typeof value === 'number';
}

/** When a record last changed: its source's modified time, else its own updated/created field. */
function modifiedTime(record: Lead): number {
  for (const value of [record._meta?.modified_at, record.updated_at, record.created_at, record._meta?.created_at]) {
    const t = timeOf(value);
    if (!Number.isNaN(t)) return t;
  }
  return Number.NEGATIVE_INFINITY;
}

function problemFields(record: Lead): Set<string> {
  return new Set((record._meta?.problems ?? []).map((p) => p.field).filter((f): f is string => typeof f === 'string'));
}

/**
 * Completeness and validity of a record: one point per non-empty field, none for a field with a
 * problem recorded (placeholder company, invalid email), a point more for a work email and for a
 * LinkedIn profile (the identifiers sales people need).
 */
export function qualityScore(record: Lead): number {
  const flawed = problemFields(record);
  let score = 0;
  for (const [field, value] of Object.entries(record)) {
    if (field === '_meta' || isEmpty(value) || flawed.has(field)) continue;
    score++;
  }
  const email = record._meta?.keys?.email;
  if (email && !isFreeMail(email)) score++;
  if (record._meta?.keys?.linkedin) score++;
  return score;
}

/** Tie-break that does not depend on input order: the record's identity. */
function byIdentity(a: { ident: string }, b: { ident: string }): number {
  return a.ident < b.ident ? -1 : a.ident > b.ident ? 1 : 0;
}

export interface Member {
  record: Lead;
  ident: string;
}

/** The survivor of one system's members under a strategy (`manual` and `merge` use quality). */
export function chooseSurvivor(members: readonly Member[], strategy: ResolutionStrategy): Member {
  const ranked = members.map((m) => ({ ...m, time: modifiedTime(m.record), quality: qualityScore(m.record) }));
  ranked.sort((a, b) => {
    if (strategy === 'most_recent') return b.time - a.time || b.quality - a.quality || byIdentity(a, b);
    return b.quality - a.quality || b.time - a.time || byIdentity(a, b);
  });
  return members.find((m) => m.ident === ranked[0]!.ident)!;
}

/** A record's own value of a field: a name such as `toString` or `__proto__` is a field like any other, never the prototype's. */
function ownValue(record: Lead, field: string): unknown {
  return Object.hasOwn(record, field) ? record[field] : undefined;
}

/**
 * Merge: the survivor's empty fields are filled from the others, and where members disagree the
 * field's rule picks the value (by default the most recently modified member's). Values with a
 * recorded problem lose to clean ones. Only fields these members hold are written, through
 * setField (rule `dedupe.merge`) so the audit log shows every change.
 */
export function mergeInto(survivor: Member, members: readonly Member[], settings: ResolutionSettings): void {
  resolveValues(survivor, members, settings, false);
}

/**
 * The other strategies keep the survivor's own values, but a field it lacks (null, absent, blank)
 * is filled from the others, the most recently modified member's clean value first (rule
 * `dedupe.fill`): deleting a duplicate must not take the only phone number with it.
 */
export function fillInto(survivor: Member, members: readonly Member[], settings: ResolutionSettings): void {
  resolveValues(survivor, members, settings, true);
}

function resolveValues(survivor: Member, members: readonly Member[], settings: ResolutionSettings, fillOnly: boolean): void {
  const fields = new Set<string>();
  for (const { record } of members) for (const field of Object.keys(record)) if (field !== '_meta') fields.add(field);
  const byRecency = [...members].sort((a, b) => modifiedTime(b.record) - modifiedTime(a.record) || byIdentity(a, b));
  const flaws = new Map(members.map((m) => [m.ident, problemFields(m.record)]));
  for (const field of fields) {
    if (settings.protected_fields.includes(field)) continue;
    const current = ownValue(survivor.record, field);
    if (fillOnly && !isEmpty(current)) continue;
    const filled = byRecency.filter((m) => !isEmpty(ownValue(m.record, field)));
    if (filled.length === 0) continue;
    const clean = filled.filter((m) => !flaws.get(m.ident)!.has(field));
    const candidates = clean.length ? clean : filled;
    const survivorClean = candidates.some((m) => m.ident === survivor.ident);
    if (survivorClean && candidates.every((m) => equivalent(field, ownValue(m.record, field), current, settings.default_country))) continue;
    const rule = fillOnly ? 'most_recent' : Object.hasOwn(settings.field_precedence, field) ? settings.field_precedence[field] : 'most_recent';
    let chosen: Member;
    if (rule === 'survivor' && survivorClean) continue;
    else if (rule === 'oldest') chosen = candidates[candidates.length - 1]!;
    else if (rule === 'longest')
      chosen = [...candidates].sort((a, b) => String(ownValue(b.record, field)).length - String(ownValue(a.record, field)).length)[0]!;
    else chosen = candidates[0]!;
    const value = ownValue(chosen.record, field);
    if (!equivalent(field, value, current, settings.default_country)) setField(survivor.record, field, value, fillOnly ? 'dedupe.fill' : 'dedupe.merge');
  }
  if (fillOnly) return;
  const sources = members.filter((m) => m !== survivor).map((m) => m.record._meta?.id ?? m.ident);
  metaOf(survivor.record).merged_from = sources;
}

/**
 * The values of one system's members, as they came in, that its survivor does not end with: each
 * non-empty value of a field a merge may write that differs from (is not one way of writing) the
 * survivor's resolved value, with the record that held it, so a person can recover it.
 */
function valuesNotKept(survivor: Member, group: readonly Member[], before: ReadonlyMap<Member, Lead>, settings: ResolutionSettings): ValueNotKept[] {
  const lost: ValueNotKept[] = [];
  for (const member of group) {
    const record = before.get(member)!;
    for (const field of Object.keys(record)) {
      if (field === '_meta' || settings.protected_fields.includes(field)) continue;
      const value = record[field];
      const kept = ownValue(survivor.record, field);
      if (isEmpty(value) || equivalent(field, value, kept, settings.default_country)) continue;
      lost.push({ system: member.record._meta?.source ?? '', id: idOf(member), field, value, kept: isEmpty(kept) ? null : kept, survivor: idOf(survivor) });
    }
  }
  return lost;
}

/** What resolving one cluster gives: its records, annotated, and the group for the report. */
export interface ResolvedCluster {
  records: Lead[];
  /** Present when some system holds more than one member (a real duplicate, not just a linked pair) and `describe_groups` is set. */
  group?: DuplicateGroup;
  /** The records whose fields resolution changed, not only annotated (merge survivors). */
  rewritten?: Lead[];
}

/** The value `_meta.duplicate_of` names a survivor by: its id in its system, else its identity. */
function idOf(member: Member): string {
  const id = member.record._meta?.id ?? member.record.id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : member.ident;
}

/** Fields and source of a record as it came in, for the report's `records`. */
function snapshot(record: Lead): Lead {
  const { _meta, ...fields } = record;
  const meta: Record<string, unknown> = {};
  if (_meta?.source) meta.source = _meta.source;
  if (_meta?.id !== undefined) meta.id = _meta.id;
  // When each was modified helps a person choose between the members of a group under review.
  if (_meta?.modified_at) meta.modified_at = _meta.modified_at;
  return { ...fields, _meta: meta };
}

/** Annotates a lead that has no duplicate: its own cluster, its survivor. */
export function annotateSingle(record: Lead, cluster: string): Lead {
  const meta = metaOf(record);
  meta.cluster = cluster;
  meta.survivor = true;
  meta.duplicate_of = null;
  meta.match = null;
  return record;
}

/** What resolution adds to `_meta` (`annotateSingle`, `resolveCluster`). */
export const ANNOTATIONS: ReadonlySet<string> = new Set(['cluster', 'survivor', 'duplicate_of', 'match', 'review']);

/**
 * Annotates every member (`_meta.cluster`, `survivor`, `duplicate_of`, `match`) and resolves each
 * system's duplicates by the strategy. `manual` changes no value and marks no record a duplicate
 * (a person decides; nothing gets deleted): the members get `_meta.review`.
 */
export function resolveCluster(cluster: Cluster, settings: ResolutionSettings): ResolvedCluster {
  if (cluster.members.length === 1) return { records: [annotateSingle(cluster.members[0]!, cluster.id)] };
  const members: Member[] = cluster.members.map((record, i) => ({ record, ident: cluster.idents[i]! }));
  // The records as they came in, for the report and the review file only.
  const before = settings.describe_groups ? new Map(members.map((m) => [m, snapshot(m.record)])) : undefined;
  const notKept: ValueNotKept[] = [];
  members.forEach(({ record }, i) => {
    const meta = metaOf(record);
    const reason = cluster.reasons[i];
    meta.cluster = cluster.id;
    meta.survivor = true;
    meta.duplicate_of = null;
    meta.match = reason ? { key: reason.key, score: Math.round(reason.score * 1000) / 1000 } : null;
  });
  const systems = new Map<string, Member[]>();
  for (const member of members) {
    const system = member.record._meta?.source ?? 'none';
    systems.set(system, [...(systems.get(system) ?? []), member]);
  }
  const survivors: Member[] = [];
  const duplicates: Member[] = [];
  let duplicated = false;
  let rewritten: Lead[] | undefined;
  for (const group of systems.values()) {
    const survivor = chooseSurvivor(group, settings.strategy);
    survivors.push(survivor);
    if (group.length < 2) continue;
    duplicated = true;
    for (const member of group) {
      if (member === survivor) continue;
      const meta = metaOf(member.record);
      if (settings.strategy === 'manual') {
        delete meta.survivor;
        meta.duplicate_of = idOf(survivor);
        continue;
      }
      meta.survivor = false;
      meta.duplicate_of = idOf(survivor);
      duplicates.push(member);
    }
    if (settings.strategy === 'manual') {
      for (const member of group) metaOf(member.record).review = true;
      continue;
    }
    const changes = survivor.record._meta?.changes?.length ?? 0;
    if (settings.strategy === 'merge') mergeInto(survivor, group, settings);
    else fillInto(survivor, group, settings);
    // A merge survivor always gains `merged_from`; a filled one only when a field was filled.
    if (settings.strategy === 'merge' || (survivor.record._meta?.changes?.length ?? 0) > changes) (rewritten ??= []).push(survivor.record);
    if (before) notKept.push(...valuesNotKept(survivor, group, before, settings));
  }
  const records = members.map((m) => m.record);
  if (!duplicated || !before) return { records, rewritten };
  return { records, rewritten, group: describeGroup(cluster, survivors, duplicates, [...before.values()], notKept, settings.strategy) };
}

/** The duplicate group of a resolved cluster, for the report and the review file (`records`: the members as they came in). */
function describeGroup(
  cluster: Cluster,
  survivors: Member[],
  duplicates: Member[],
  records: Lead[],
  notKept: ValueNotKept[],
  strategy: ResolutionStrategy,
): DuplicateGroup {
  const first = cluster.reasons.find((r) => r?.key !== 'fuzzy' && r !== undefined) ?? cluster.reasons.find((r) => r !== undefined);
  const scores = cluster.reasons.filter((r): r is NonNullable<typeof r> => r !== undefined).map((r) => r.score);
  const primary = survivors.find((m) => m.record._meta?.source === 'local') ?? survivors[0]!;
  return {
    kind: 'duplicate_group',
    cluster: cluster.id,
    matching_field: first?.key ?? 'fuzzy',
    matching_value: first?.value ?? '',
    records,
    primary_record: snapshot(primary.record),
    duplicate_records: duplicates.map((m) => snapshot(m.record)),
    resolution_strategy: strategy,
    confidence_score: scores.length ? Math.round(Math.min(...scores) * 1000) / 1000 : 1,
    values_not_kept: notKept,
  };
}
