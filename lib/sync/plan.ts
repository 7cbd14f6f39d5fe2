import type { Operation } from '../core/operation.js';
import type { Lead, SourceSystem } from '../core/record.js';
import type { DataConflict } from '../core/types.js';
import { linkOf } from './links.js';
import { reasonOfRule } from './reason.js';
import { isEmpty, sameValue, timeOf } from './values.js';
import { own, setOwn } from '../core/own.js';

export type { DataConflict };

/**
 * Planning the synchronization of one entity (the records of both systems that are one lead):
 * which value each synced field ends with, which operations make both systems hold it, and which
 * disagreements were found on the way. Pure: no I/O, same input, same plan.
 */

/**
 * Which value wins when both systems hold different non-empty values (diff's
 * `conflict_resolution`, see `winner`). The option's values, the `--conflict-strategy` flag and
 * the configuration schema come from here.
 */
export const SYNC_STRATEGIES = ['most_recent', 'local_wins', 'airtable_wins', 'manual'] as const;
export type ConflictStrategy = (typeof SYNC_STRATEGIES)[number];

/** Which systems a sync writes (see `writes`). */
export const SYNC_DIRECTIONS = ['both', 'to_airtable', 'to_local'] as const;
export type SyncDirection = (typeof SYNC_DIRECTIONS)[number];

export interface SyncSettings {
  /** Canonical fields kept equal in both systems (the field mapping's `database_to_airtable` keys). */
  fields: readonly string[];
  conflict_resolution: ConflictStrategy;
  direction: SyncDirection;
  /** Delete the records dedupe marked as duplicates (`_meta.survivor === false`). */
  delete_duplicates: boolean;
  /** Create an entity in the system that lacks it. */
  create_missing: boolean;
  /** Make the linked records' synced fields equal across the systems (else each keeps its own values). */
  sync_fields: boolean;
  /** The local column that links a local lead to its Airtable record. */
  link_field: string;
  /**
   * The local table has no link column: links live in the run state (lib/sync/links.ts), so no
   * operation writes one; the plan names each entity's pair instead (`EntityPlan.link`).
   */
  links_in_state?: boolean;
  /** Local fields never written by a sync update (the id, bookkeeping columns). */
  local_readonly: readonly string[];
  /**
   * `partial` when Airtable was read incrementally (only what changed since the last run, plus
   * the counterparts of changed local leads): a linked local lead without its Airtable record
   * then means "not read", not "missing", and nothing is created or synced for it.
   */
  airtable_read?: 'full' | 'partial';
  /**
   * The links after the last successful run (lib/sync/state.ts). With them, a linked pair whose
   * one side is gone was deleted there, and the deletion is carried to the other side (unless that
   * side was edited since, which brings the lead back); without them, the missing side is created.
   */
  previous?: {
    watermark?: string;
    airtableIdOf(localId: string): string | undefined;
    localIdOf(airtableId: string): string | undefined;
  };
}

export interface EntityPlan {
  operations: Operation[];
  conflicts: DataConflict[];
  /** The local lead and Airtable record linked after the plan is applied (both exist already). */
  link?: [localId: string, airtableId: string];
}

interface Side {
  survivor?: Lead;
  duplicates: Lead[];
}

/** Splits one system's records into its survivor and the duplicates dedupe marked. */
function sideOf(records: Lead[], system: SourceSystem): Side {
  const mine = records.filter((r) => r._meta?.source === system);
  const survivor = mine.find((r) => r._meta?.survivor === true) ?? mine.find((r) => r._meta?.survivor !== false);
  return { survivor, duplicates: mine.filter((r) => r !== survivor && r._meta?.survivor === false) };
}

const OTHER: Record<SourceSystem, SourceSystem> = { local: 'airtable', airtable: 'local' };

/** Plans one entity. `records` are every record of it, from both systems, after normalize and dedupe. */
export function planEntity(entity: string, records: Lead[], settings: SyncSettings): EntityPlan {
  const local = sideOf(records, 'local');
  const airtable = sideOf(records, 'airtable');
  if (local.survivor && airtable.survivor?._meta?.as_read === true) airtable.survivor = alignedCounterpart(local.survivor, airtable.survivor, settings.fields);
  const deleted = deletedCounterpart(entity, local, airtable, settings);
  if (deleted) return { operations: deleted.filter((op) => writes(settings.direction, op.system)), conflicts: [] };
  const unread = !airtable.survivor && local.survivor && settings.airtable_read === 'partial' ? linkOf(local.survivor, settings.link_field) : undefined;
  if (unread) {
    // Its Airtable record was not read this time: only its own standardized values are written.
    settings = { ...settings, sync_fields: false, create_missing: false };
  }
  const conflicts: DataConflict[] = [];
  const target = new Map<string, { value: unknown; from: SourceSystem | 'both' }>();

  for (const field of settings.sync_fields ? settings.fields : []) {
    const lv = local.survivor?.[field];
    const av = airtable.survivor?.[field];
    if (!local.survivor || !airtable.survivor) {
      const only = local.survivor ? 'local' : 'airtable';
      target.set(field, { value: local.survivor ? lv : av, from: only });
      continue;
    }
    if (sameValue(lv, av)) {
      target.set(field, { value: lv, from: 'both' });
      continue;
    }
    const type = isEmpty(lv) ? 'missing_local' : isEmpty(av) ? 'missing_airtable' : 'value_mismatch';
    const keep =
      type === 'missing_local' ? 'airtable' : type === 'missing_airtable' ? 'local' : winner(local.survivor, airtable.survivor, settings.conflict_resolution);
    const manual = type === 'value_mismatch' && settings.conflict_resolution === 'manual';
    conflicts.push({
      kind: 'conflict',
      entity,
      field_name: field,
      local_value: lv ?? null,
      airtable_value: av ?? null,
      record_id: `local:${local.survivor._meta?.id}|airtable:${airtable.survivor._meta?.id}`,
      last_modified_local: local.survivor._meta?.modified_at ?? null,
      last_modified_airtable: airtable.survivor._meta?.modified_at ?? null,
      conflict_type: type,
      suggested_resolution: keep === 'local' ? 'keep_local' : 'keep_airtable',
      resolution: manual ? 'manual' : 'applied',
    });
    if (!manual) target.set(field, { value: keep === 'local' ? lv : av, from: keep });
  }

  const operations: Operation[] = [];
  for (const system of ['local', 'airtable'] as const) {
    if (!writes(settings.direction, system)) continue;
    const side = system === 'local' ? local : airtable;
    const other = system === 'local' ? airtable : local;
    if (side.survivor) operations.push(...updateSurvivor(entity, system, side.survivor, other.survivor, target, settings));
    else if (other.survivor && settings.create_missing) operations.push(createFor(entity, system, other.survivor, target, settings));
    if (settings.delete_duplicates) {
      for (const duplicate of side.duplicates) operations.push(deleteDuplicate(entity, system, duplicate));
    }
  }
  const localId = local.survivor?._meta?.id;
  const airtableId = airtable.survivor?._meta?.id ?? unread;
  if (leftForReview(records, conflicts)) {
    // Until a person decides, the lead stays as it is in both systems, so the versions its review line names still hold when the decision comes back.
    const waiting = records.some((r) => r._meta?.review === true) ? [] : conflicts.filter((c) => c.resolution === 'manual');
    const pair = settings.links_in_state && localId !== undefined && airtableId !== undefined;
    return { operations: [], conflicts: waiting, ...(pair ? { link: [String(localId), String(airtableId)] as [string, string] } : {}) };
  }
  const linked =
    settings.links_in_state &&
    localId !== undefined &&
    airtableId !== undefined &&
    !operations.some((op) => op.action === 'delete' && (op.id === localId || op.id === airtableId));
  return { operations, conflicts, ...(linked ? { link: [String(localId), String(airtableId)] as [string, string] } : {}) };
}

/**
 * The Airtable record a local lead links to, when a stage changed one of the lead's synced fields
 * (standardized, merged): in a partial read, `diff` fetches that record if the read did not cover
 * it, so the change reaches both systems. Duplicates dedupe marked are left out (their survivor counts).
 */
export function changedLinkedLead(record: Lead, settings: Pick<SyncSettings, 'fields' | 'link_field'>): string | undefined {
  const meta = record._meta;
  if (meta?.source !== 'local' || meta.survivor === false) return undefined;
  const link = linkOf(record, settings.link_field);
  if (!link) return undefined;
  const original = meta.original ?? {};
  return settings.fields.some((field) => !sameValue(own(original, field), own(record, field))) ? link : undefined;
}

/**
 * An Airtable counterpart fetched by `diff` itself (`_meta.as_read`) never went through the
 * stages. Where it held what the local lead held before the stages changed it (the pair was in
 * step), it takes the lead's new value under the same rule, as if the stages had read it too;
 * its other fields are synced as usual.
 */
function alignedCounterpart(local: Lead, airtable: Lead, fields: readonly string[]): Lead {
  const before = local._meta?.original ?? {};
  const changes = [...(airtable._meta?.changes ?? [])];
  const aligned: Lead = { ...airtable, _meta: { ...airtable._meta, changes } };
  for (const field of fields) {
    const was = own(before, field);
    const now = own(local, field);
    if (sameValue(was, now) || !sameValue(own(airtable, field), was)) continue;
    setOwn(aligned, field, now);
    const rule = [...(local._meta?.changes ?? [])].reverse().find((c) => c.field === field)?.rule ?? 'standardize';
    changes.push({ field, old: own(airtable, field) ?? null, new: now, rule });
  }
  return aligned;
}

/**
 * When one side of a pair the last run linked is gone, someone deleted it there: the other
 * side's survivor is deleted too, unless it was edited after that run (then the edit wins and
 * the lead is created again). Only with a full read of both systems.
 */
function deletedCounterpart(entity: string, local: Side, airtable: Side, settings: SyncSettings): Operation[] | undefined {
  const previous = settings.previous;
  if (!previous || settings.airtable_read === 'partial' || !settings.create_missing) return undefined;
  const side = local.survivor && !airtable.survivor ? local : airtable.survivor && !local.survivor ? airtable : undefined;
  const survivor = side?.survivor;
  if (!side || !survivor) return undefined;
  const system = survivor._meta?.source as SourceSystem;
  const id = String(survivor._meta?.id ?? '');
  const wasLinked = system === 'local' ? previous.airtableIdOf(id) : previous.localIdOf(id);
  if (!wasLinked) return undefined;
  const edited = timeOf(survivor._meta?.modified_at) > timeOf(previous.watermark);
  if (edited) return undefined;
  const operations: Operation[] = [{ ...deleteDuplicate(entity, system, survivor), reason: 'sync' }];
  if (settings.delete_duplicates) operations.push(...side.duplicates.map((d) => deleteDuplicate(entity, system, d)));
  return operations;
}

/**
 * A lead waiting for a person (lib/review): a member of a `manual` duplicate group, or a `manual`
 * conflict, and no decision of this run touched it.
 */
function leftForReview(records: readonly Lead[], conflicts: readonly DataConflict[]): boolean {
  if (records.some((r) => typeof r._meta?.decision === 'string')) return false;
  return records.some((r) => r._meta?.review === true) || conflicts.some((c) => c.resolution === 'manual');
}

function writes(direction: SyncDirection, system: SourceSystem): boolean {
  return direction === 'both' || (direction === 'to_airtable' ? system === 'airtable' : system === 'local');
}

/** Which side a real disagreement keeps. Most recent falls back to local when a time is missing or equal. */
function winner(local: Lead, airtable: Lead, strategy: ConflictStrategy): SourceSystem {
  if (strategy === 'local_wins') return 'local';
  if (strategy === 'airtable_wins') return 'airtable';
  const lt = timeOf(local._meta?.modified_at);
  const at = timeOf(airtable._meta?.modified_at);
  return !Number.isNaN(at) && (Number.isNaN(lt) || at > lt) ? 'airtable' : 'local';
}

/** The rule that gave a survivor's field its new value: the last stage change to it, else `sync.<strategy>`. */
function ruleFor(record: Lead, field: string, fromOther: boolean, settings: SyncSettings): string {
  if (fromOther) return `sync.${settings.conflict_resolution}`;
  const last = [...(record._meta?.changes ?? [])].reverse().find((c) => c.field === field);
  return last?.rule ?? 'standardize';
}

function updateSurvivor(
  entity: string,
  system: SourceSystem,
  record: Lead,
  other: Lead | undefined,
  target: Map<string, { value: unknown; from: SourceSystem | 'both' }>,
  settings: SyncSettings,
): Operation[] {
  const original = record._meta?.original ?? {};
  const fields: Record<string, unknown> = {};
  const replaces: Record<string, unknown> = {};
  const rules: Record<string, string> = {};
  const reasons = new Set<Operation['reason']>();
  const consider = (field: string, value: unknown, fromOther: boolean): void => {
    const was = own(original, field);
    if (sameValue(was, value)) return;
    setOwn(fields, field, isEmpty(value) ? null : value);
    setOwn(replaces, field, was ?? null);
    const rule = ruleFor(record, field, fromOther, settings);
    setOwn(rules, field, rule);
    reasons.add(reasonOfRule(rule));
  };
  // Local-only columns standardized by earlier stages are written back too; Airtable gets synced fields only.
  if (system === 'local') {
    for (const field of Object.keys(record)) {
      if (field === '_meta' || settings.fields.includes(field) || settings.local_readonly.includes(field)) continue;
      consider(field, record[field], false);
    }
  }
  for (const field of settings.fields) {
    const chosen = target.get(field);
    consider(field, chosen ? chosen.value : own(record, field), chosen?.from === OTHER[system]);
  }
  if (system === 'local' && other && settings.sync_fields && !settings.links_in_state && record[settings.link_field] !== other._meta?.id) {
    consider(settings.link_field, other._meta?.id, true);
  }
  if (Object.keys(fields).length === 0) return [];
  const reason = reasons.has('manual decision') ? 'manual decision' : reasons.has('sync') ? 'sync' : reasons.has('merge') ? 'merge' : 'standardize';
  return [{ kind: 'operation', action: 'update', system, id: record._meta?.id, fields, replaces, reason, rules, entity }];
}

function createFor(
  entity: string,
  system: SourceSystem,
  from: Lead,
  target: Map<string, { value: unknown; from: SourceSystem | 'both' }>,
  settings: SyncSettings,
): Operation {
  const fields: Record<string, unknown> = {};
  for (const field of settings.fields) {
    const value = target.get(field)?.value;
    if (!isEmpty(value)) setOwn(fields, field, value);
  }
  const operation: Operation = { kind: 'operation', action: 'create', system, fields, replaces: {}, reason: 'sync', entity };
  if (system === 'local' && !settings.links_in_state) fields[settings.link_field] = from._meta?.id;
  else if (system === 'local') operation.link = { system: 'airtable', id: String(from._meta?.id) };
  else operation.link = { system: 'local', id: String(from._meta?.id) };
  return operation;
}

function deleteDuplicate(entity: string, system: SourceSystem, record: Lead): Operation {
  const replaces: Record<string, unknown> = {};
  const original = record._meta?.original ?? record;
  for (const [field, value] of Object.entries(original)) if (field !== '_meta') setOwn(replaces, field, value);
  // A duplicate a person's merge decision named is deleted under that decision's rule (lib/review).
  const decision = typeof record._meta?.decision === 'string' ? record._meta.decision : undefined;
  if (decision) {
    const rules: Record<string, string> = {};
    for (const field of Object.keys(replaces)) setOwn(rules, field, decision);
    return { kind: 'operation', action: 'delete', system, id: record._meta?.id, fields: {}, replaces, reason: 'manual decision', rules, entity };
  }
  return { kind: 'operation', action: 'delete', system, id: record._meta?.id, fields: {}, replaces, reason: 'dedupe', entity };
}
