import { own } from '../core/own.js';
import { metaOf, setField, type Lead, type SourceSystem } from '../core/record.js';
import type { DecisionOutcome, DuplicateGroup, ValueNotKept } from '../core/types.js';
import { linkOf } from '../sync/links.js';
import { isEmpty, sameValue } from '../sync/values.js';
import type { ApartDecision, ConflictDecision, Decision, MergeDecision } from './decisions-file.js';
import { conflictKey, groupKey, type SettledEntry } from './memory.js';
import { recordKey, recordVersion, versionsOf } from './version.js';

/**
 * Applying a person's decisions to the records of a run (the `decisions` stage), between dedupe
 * and diff: a merge makes its group one entity whose survivor in each system holds the chosen
 * values and whose other members are duplicates (diff deletes them, as after any merge); a
 * conflict decision gives both records the chosen value (diff then writes it where it differs).
 * Each change is made under the rule `decision.<number>`, so the audit log names the decision. A
 * decision whose records are gone or changed since the review (`seen`) is stale: left alone.
 */

/**
 * What each applied decision chose, as values (a merge's by field, a conflict's for its field; none
 * for "not duplicates"), by decision number. Kept beside the run's journal, so that --resume of an
 * interrupted run applies the same values to records the run already changed, or deleted.
 */
export type ChosenValues = Record<string, Record<string, unknown>>;

export interface ApplySettings {
  link_field: string;
  /** Fields a merge never writes (the link field is always one of them). */
  protected_fields: readonly string[];
}

/** The rule (and audit-log name) of a decision's changes. */
export function decisionRule(decision: Decision): string {
  return `decision.${decision.number}`;
}

/** The records a decision is about, by key. */
function keysOf(decision: Decision): string[] {
  return decision.type === 'conflict' ? [`local:${decision.local}`, `airtable:${decision.airtable}`] : decision.records;
}

export class DecisionApplier {
  private readonly wanted = new Set<string>();
  /** The records decisions name, in arrival order, with their versions as they arrived. */
  private readonly parked = new Map<string, { record: Lead; version: string }>();
  readonly outcomes: DecisionOutcome[] = [];
  private readonly settledEntries: SettledEntry[] = [];
  /** By decision number, the keys (groupKey) of the groups dedupe proposed for review in this run that the decision covers. */
  private readonly proposed = new Map<number, string[]>();
  /**
   * Airtable records a decision's local record links to that the decision does not name, by key,
   * with that local record's key: counterparts created since the review, above all by an
   * interrupted run of these same decisions (--resume). They belong to their local record's lead.
   */
  private readonly counterparts = new Map<string, string>();
  /** The values chosen by the interrupted attempt of this run (--resume), by decision number. */
  private resumed: ChosenValues = {};
  private readonly chosen: ChosenValues = {};

  constructor(
    private readonly decisions: readonly Decision[],
    private readonly settings: ApplySettings,
  ) {
    for (const decision of decisions) for (const key of keysOf(decision)) this.wanted.add(key);
  }

  /** The keys of the groups these decisions settle (as reviewed): dedupe leaves them out of the review file. */
  groupKeys(): string[] {
    return this.decisions.filter((d) => d.type === 'duplicates').map((d) => groupKey(d.seen));
  }

  /** Whether a record is one a decision names (it is held back until the input ends). */
  holds(record: Lead): boolean {
    return this.wanted.has(recordKey(record));
  }

  park(record: Lead): void {
    const key = recordKey(record);
    this.parked.set(key, { record, version: recordVersion(record, this.settings.link_field) });
    const link = record._meta?.source === 'local' && !this.counterparts.has(key) ? linkOf(record, this.settings.link_field) : undefined;
    // Records come from dedupe in input order within a cluster, local ones first: the counterpart comes after.
    if (link !== undefined && !this.wanted.has(`airtable:${link}`)) {
      this.wanted.add(`airtable:${link}`);
      this.counterparts.set(`airtable:${link}`, key);
    }
  }

  /**
   * Resuming an interrupted run: the decisions its first attempt applied are applied again with
   * the values it chose, whatever the run changed since (their records are no longer as reviewed,
   * and a merge's duplicates may be deleted already).
   */
  resume(chosen: ChosenValues): void {
    this.resumed = chosen;
  }

  /** What the applied decisions chose (see ChosenValues). */
  chosenValues(): ChosenValues {
    return this.chosen;
  }

  private wasApplied(decision: Decision): boolean {
    return Object.hasOwn(this.resumed, String(decision.number));
  }

  /** A decision's records still there (a resumed merge may have deleted its duplicates already). */
  private present(keys: readonly string[]): Lead[] {
    return keys.filter((key) => this.parked.has(key)).map((key) => this.record(key));
  }

  /** The held counterpart of a decision's local record (see counterparts). */
  private counterpartOf(record: Lead): Lead | undefined {
    const link = linkOf(record, this.settings.link_field);
    const key = `airtable:${link}`;
    return link !== undefined && this.counterparts.get(key) === recordKey(record) ? this.parked.get(key)?.record : undefined;
  }

  /** Whether a duplicate group dedupe found is the one a decision settles now (its records, unchanged). */
  supersedes(group: DuplicateGroup): boolean {
    const keys = group.records.map(recordKey).sort().join(' ');
    const named = group.records
      .filter((r) => !this.counterparts.has(recordKey(r)))
      .map(recordKey)
      .sort()
      .join(' ');
    return this.decisions.some(
      (d) =>
        d.type === 'duplicates' &&
        [keys, named].includes(
          d.records
            .filter((key) => !this.wasApplied(d) || this.parked.has(key))
            .sort()
            .join(' '),
        ) &&
        this.staleReason(d) === undefined &&
        this.refusal(d) === undefined,
    );
  }

  /**
   * Notes a group dedupe put up for review in this run whose records a decision names. In a
   * resumed run the first attempt may have changed them already, so dedupe wrote them to the
   * review file with versions the decision never saw; once the decision is applied that line is
   * settled too, or `--review` would list a group that was decided.
   */
  noteProposed(group: DuplicateGroup): void {
    const keys = group.records.map(recordKey);
    const named = keys.filter((key) => !this.counterparts.has(key));
    for (const decision of this.decisions) {
      if (decision.type !== 'duplicates') continue;
      const covers = (some: string[]): boolean => some.length > 1 && some.every((key) => decision.records.includes(key));
      if (!covers(keys) && !covers(named)) continue;
      const proposed = this.proposed.get(decision.number) ?? [];
      proposed.push(groupKey(versionsOf(group.records, this.settings.link_field)));
      this.proposed.set(decision.number, proposed);
    }
  }

  /** Applies every decision in file order; returns the groups the merges made, then every held record. */
  finish(): Array<Lead | DuplicateGroup> {
    const groups: DuplicateGroup[] = [];
    for (const decision of this.decisions) {
      const stale = this.staleReason(decision);
      const outcome: DecisionOutcome = {
        kind: 'decision',
        number: decision.number,
        decision: decision.type === 'conflict' ? 'conflict' : decision.action,
        status: 'applied',
        records: keysOf(decision),
        ...(decision.type === 'conflict' ? { field: decision.field } : {}),
      };
      this.outcomes.push(outcome);
      if (stale) {
        Object.assign(outcome, { status: 'stale', reason: stale });
        continue;
      }
      const refused = this.refusal(decision);
      if (refused) {
        Object.assign(outcome, { status: 'refused', reason: refused });
        continue;
      }
      if (decision.type === 'conflict') this.applyConflict(decision);
      else if (decision.action === 'merge') groups.push(this.applyMerge(decision));
      else this.keepApart(decision);
      const kind = decision.type === 'conflict' ? 'conflict' : decision.action === 'merge' ? 'merged' : 'not_duplicates';
      this.settledEntries.push({ key: decision.type === 'conflict' ? conflictKey(decision.seen, decision.field) : groupKey(decision.seen), kind });
      for (const key of this.proposed.get(decision.number) ?? []) this.settledEntries.push({ key, kind });
    }
    return [...groups, ...[...this.parked.values()].map((p) => p.record)];
  }

  /** What the applied decisions settled, for the run state. */
  settled(): readonly SettledEntry[] {
    return this.settledEntries;
  }

  /** Why a decision no longer fits its records: one is gone or changed since the review. */
  private staleReason(decision: Decision): string | undefined {
    if (this.wasApplied(decision)) {
      const survivor = decision.type === 'duplicates' && decision.action === 'merge' ? decision.survivor : undefined;
      return survivor && !this.parked.has(survivor) ? `${survivor} is gone` : undefined;
    }
    const reasons: string[] = [];
    for (const key of keysOf(decision)) {
      const parked = this.parked.get(key);
      if (!parked) reasons.push(`${key} is gone`);
      else if (parked.version !== decision.seen[key]) reasons.push(`${key} changed since the review`);
    }
    return reasons.length ? reasons.join(', ') : undefined;
  }

  /** Why a decision that fits its records cannot be carried out. */
  private refusal(decision: Decision): string | undefined {
    if (this.wasApplied(decision)) return undefined;
    const mergedAway = keysOf(decision).find((key) => this.parked.get(key)!.record._meta?.survivor === false);
    if (mergedAway && decision.type === 'conflict') return `${mergedAway} is merged away by an earlier decision`;
    if (mergedAway) return `${mergedAway} is already merged into another record`;
    const held = (field: string): boolean => keysOf(decision).some((key) => Object.hasOwn(this.record(key), field));
    if (decision.type === 'duplicates' && decision.action === 'merge') {
      const locked = Object.keys(decision.values ?? {}).filter((field) => this.isProtected(field));
      if (locked.length) return `a merge never writes ${locked.join(', ')} (protected fields); leave them out of "values"`;
      const unknown = Object.keys(decision.values ?? {}).filter((field) => !held(field));
      if (unknown.length) return `no record of the group has the field ${unknown.join(', ')}; check the spelling (the review line's records show the fields)`;
    }
    if (decision.type === 'conflict' && this.isProtected(decision.field)) return `${decision.field} is never written by a decision (a protected field)`;
    const grouped = decision.type === 'conflict' ? keysOf(decision).find((key) => this.record(key)._meta?.review === true) : undefined;
    if (grouped) return `${grouped} is in a duplicate group waiting for review; decide the group first (earlier in the file)`;
    if (decision.type === 'conflict' && !held(decision.field))
      return `neither record has the field ${decision.field}; check the spelling (the review line's field_name)`;
    return undefined;
  }

  private isProtected(field: string): boolean {
    return field === this.settings.link_field || this.settings.protected_fields.includes(field);
  }

  private record(key: string): Lead {
    return this.parked.get(key)!.record;
  }

  private applyConflict(decision: ConflictDecision): void {
    const resumed = this.resumed[decision.number];
    const [local, airtable] = [`local:${decision.local}`, `airtable:${decision.airtable}`].map((key) => this.parked.get(key)?.record);
    const value = resumed
      ? resumed[decision.field]
      : decision.choice === 'value'
        ? decision.value
        : (own((decision.choice === 'local' ? local : airtable)!, decision.field) ?? null);
    this.chosen[decision.number] = { [decision.field]: value };
    for (const record of [local, airtable]) {
      if (!record) continue;
      setField(record, decision.field, value, decisionRule(decision));
      metaOf(record).decision = decisionRule(decision);
    }
  }

  /** Each lead of the group on its own (a local lead with the Airtable record it links to stays one lead). */
  private keepApart(decision: ApartDecision): void {
    const members = this.present(decision.records);
    this.chosen[decision.number] = {};
    const airtableIds = new Set(members.filter((r) => r._meta?.source === 'airtable').map((r) => String(r._meta?.id)));
    const keepAlone = (record: Lead, cluster: string): void => {
      const meta = metaOf(record);
      delete meta.review;
      meta.cluster = cluster;
      meta.survivor = true;
      meta.duplicate_of = null;
      meta.decision = decisionRule(decision);
    };
    for (const record of members) {
      const link = record._meta?.source === 'local' ? linkOf(record, this.settings.link_field) : undefined;
      const twin = this.counterpartOf(record);
      const cluster = `apart:${link !== undefined && (airtableIds.has(link) || twin) ? `airtable:${link}` : recordKey(record)}`;
      keepAlone(record, cluster);
      if (twin) keepAlone(twin, cluster);
    }
  }

  private applyMerge(decision: MergeDecision): DuplicateGroup {
    const rule = decisionRule(decision);
    const members = this.present(decision.records);
    const before = new Map(members.map((record) => [record, snapshot(record)]));
    const survivors = this.survivorsOf(decision, members);
    const values = new Map<string, unknown>(Object.entries(this.resumed[decision.number] ?? {}));
    for (const [field, choice] of this.wasApplied(decision) ? [] : Object.entries(decision.values ?? {})) {
      values.set(field, 'from' in choice ? (own(before.get(this.record(choice.from))!, field) ?? null) : choice.value);
    }
    this.chosen[decision.number] = Object.fromEntries(values);
    const entity = `decision:${decision.survivor}`;
    // A counterpart chosen as survivor (see survivorsOf) joins the entity too.
    for (const record of [...members, ...[...survivors.values()].filter((s) => !members.includes(s))]) {
      const meta = metaOf(record);
      const survivor = survivors.get(meta.source as SourceSystem)!;
      delete meta.review;
      meta.cluster = entity;
      meta.decision = rule;
      meta.survivor = record === survivor;
      meta.duplicate_of = record === survivor ? null : (survivor._meta?.id ?? null);
    }
    for (const survivor of survivors.values()) for (const [field, value] of values) setField(survivor, field, value, rule);
    const notKept: ValueNotKept[] = [];
    for (const record of members) {
      const survivor = survivors.get(record._meta?.source as SourceSystem)!;
      for (const [field, value] of Object.entries(before.get(record)!)) {
        if (field === '_meta' || this.isProtected(field) || isEmpty(value)) continue;
        const kept = own(survivor, field);
        if (sameValue(value, kept)) continue;
        notKept.push({
          system: record._meta?.source ?? '',
          id: String(record._meta?.id),
          field,
          value,
          kept: isEmpty(kept) ? null : kept,
          survivor: String(survivor._meta?.id),
        });
      }
    }
    const primary = survivors.get('local') ?? this.record(decision.survivor);
    return {
      kind: 'duplicate_group',
      cluster: entity,
      matching_field: 'manual decision',
      matching_value: rule,
      records: members.map((record) => ({ ...before.get(record)!, _meta: { source: record._meta?.source, id: record._meta?.id } })),
      primary_record: snapshot(primary),
      duplicate_records: members.filter((record) => record._meta?.survivor === false).map(snapshot),
      resolution_strategy: 'manual decision',
      confidence_score: 1,
      values_not_kept: notKept,
    };
  }

  /**
   * The survivor of each system in the group: the chosen one in its system; in the other, the
   * record linked to it, else the first of that system the decision lists, else the chosen one's
   * counterpart created since the review.
   */
  private survivorsOf(decision: MergeDecision, members: readonly Lead[]): Map<SourceSystem, Lead> {
    const chosen = this.record(decision.survivor);
    const chosenSystem = chosen._meta?.source as SourceSystem;
    const survivors = new Map<SourceSystem, Lead>([[chosenSystem, chosen]]);
    for (const record of members) {
      const system = record._meta?.source as SourceSystem;
      if (system === chosenSystem) continue;
      const current = survivors.get(system);
      if (!current || (!this.linked(chosen, current) && this.linked(chosen, record))) survivors.set(system, record);
    }
    const twin = survivors.has('airtable') ? undefined : this.counterpartOf(chosen);
    if (twin) survivors.set('airtable', twin);
    return survivors;
  }

  private linked(a: Lead, b: Lead): boolean {
    const [local, airtable] = a._meta?.source === 'local' ? [a, b] : [b, a];
    return local._meta?.source === 'local' && airtable._meta?.source === 'airtable' && linkOf(local, this.settings.link_field) === airtable._meta?.id;
  }
}

/** A record's fields, without its bookkeeping. */
function snapshot(record: Lead): Lead {
  const { _meta, ...fields } = record;
  return structuredClone(fields);
}
