import type { Operation } from './operation.js';
import type { Lead } from './record.js';

/**
 * The data models that cross stage boundaries: what `dedupe` tells the report, and what a
 * maintenance run returns. Field names are snake_case, as in the configuration, so reports and
 * JSON results read the same as the settings.
 */

/**
 * One group of records `dedupe` found to be the same lead (within one system or across both).
 * Travels through the pipeline as an object of its own (`kind: 'duplicate_group'`), beside the
 * records, when dedupe's `emit_groups` is on, so the report can list merged groups.
 */
export interface DuplicateGroup {
  kind: 'duplicate_group';
  /** The cluster id, the same as `_meta.cluster` of its records and `Operation.entity`. */
  cluster: string;
  /** The key that linked the group (`email`, `linkedin`, `fuzzy`, …) and its value. */
  matching_field: string;
  matching_value: string;
  /** Every member, as it was before resolution (fields only, with `_meta.source`, `_meta.id` and `_meta.modified_at`). */
  records: Lead[];
  /** The survivor per system, with the resolved values. */
  primary_record: Lead;
  duplicate_records: Lead[];
  /** The dedupe strategy that resolved it, one of RESOLUTION_STRATEGIES (lib/match/resolution.ts, above this module). */
  resolution_strategy: string;
  /** 1 for an exact key match; the similarity score for a fuzzy one. */
  confidence_score: number;
  /** Every non-empty value of a member that its system's survivor does not end with (none under `manual`). */
  values_not_kept: ValueNotKept[];
}

/** A value a merge did not keep, with the record that held it, so that a person can recover it. */
export interface ValueNotKept {
  /** The system and id of the record that held the value (the survivor's own when a merge replaced it). */
  system: string;
  id: string;
  field: string;
  value: unknown;
  /** What the survivor holds instead, and its id. */
  kept: unknown;
  survivor: string;
}

/** The DataConflict: one field on which the two systems disagree. */
export interface DataConflict {
  kind: 'conflict';
  entity: string;
  field_name: string;
  local_value: unknown;
  airtable_value: unknown;
  /** `local:<id>` / `airtable:<id>` of the two records. */
  record_id: string;
  last_modified_local: string | null;
  last_modified_airtable: string | null;
  /** `concurrent_change`: another writer changed the local record between the run's read and its write (write-postgres). */
  conflict_type: 'value_mismatch' | 'missing_local' | 'missing_airtable' | 'concurrent_change';
  /** Which side the configured rule (or, for manual, `most_recent`) would keep. */
  suggested_resolution: 'keep_local' | 'keep_airtable';
  /**
   * `applied`: the suggestion was carried out; `manual`: left for a person (see the review file);
   * `skipped`: the run's write was not applied and the other writer's values kept (the next run plans it again).
   */
  resolution: 'applied' | 'manual' | 'skipped';
}

/** The MaintenanceOptions: what a `db-maintenance` run was asked to do. */
export interface MaintenanceOptions {
  backup_before_operation: boolean;
  remove_duplicates: boolean;
  standardize_fields: boolean;
  sync_data: boolean;
  engagement_status_default?: string;
  duplicate_matching_fields?: string[];
  conflict_resolution_strategy?: string;
  batch_size?: number;
  dry_run: boolean;
}

/** The MaintenanceResult: what a run did. Every run writes one as JSON. */
export interface MaintenanceResult {
  success: boolean;
  /** The run id. */
  operation_id: string;
  start_time: string;
  end_time: string;
  backup_paths: string[];
  duplicates_removed: number;
  records_standardized: number;
  records_synchronized: number;
  conflicts_resolved: number;
  errors: string[];
  warnings: string[];
  detailed_results: Record<string, unknown>;
}

/** What `restore` emits: the plan of the restore it carried out (lib/safety/restore.ts), for the report. */
export interface RestorePlanItem {
  kind: 'restore_plan';
  [key: string]: unknown;
}

/**
 * What became of one decision of a decisions file (the `decisions` stage): applied, or stale (its
 * records changed since the review) or refused, and so not applied. The report logs each one, so
 * the audit log names every decision, also one that changes no value ("not duplicates").
 */
export interface DecisionOutcome {
  kind: 'decision';
  /** The decision's place in its file, from 1 (its changes carry the rule `decision.<number>`). */
  number: number;
  decision: 'merge' | 'not_duplicates' | 'conflict';
  status: 'applied' | 'stale' | 'refused';
  /** Why a decision was stale or refused. */
  reason?: string;
  /** The records it is about, as `<system>:<id>`. */
  records: string[];
  /** A conflict decision's field. */
  field?: string;
}

/** The objects that travel beside records: they pass every stage that does not handle them. */
export type PipelineEvent = Operation | DataConflict | DuplicateGroup | DecisionOutcome;

/**
 * Whatever travels between stages: records (leads), and objects of their own told apart by
 * `kind` (operations, conflicts, duplicate groups, decision outcomes, a restore plan). A lead has no `kind`.
 */
export type StreamItem = Lead | PipelineEvent | RestorePlanItem;

/** True for the objects that travel beside records: operations, conflicts, duplicate groups, decision outcomes. */
export function isEvent(value: unknown): value is PipelineEvent {
  const kind = kindOf(value);
  return kind === 'operation' || kind === 'conflict' || kind === 'duplicate_group' || kind === 'decision';
}

/** True for a conflict `diff` found between the two systems. */
export function isConflict(value: unknown): value is DataConflict {
  return kindOf(value) === 'conflict';
}

/** True for a duplicate group `dedupe` emits (`emit_groups`). */
export function isDuplicateGroup(value: unknown): value is DuplicateGroup {
  return kindOf(value) === 'duplicate_group';
}

/** True for what the `decisions` stage made of one decision. */
export function isDecisionOutcome(value: unknown): value is DecisionOutcome {
  return kindOf(value) === 'decision';
}

/** True for a record: an item that is none of the objects of their own (see StreamItem). */
export function isLead(item: StreamItem): item is Lead {
  return !isEvent(item) && kindOf(item) !== 'restore_plan';
}

function kindOf(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
}
