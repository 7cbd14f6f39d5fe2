import { isOperation, type Operation } from '../core/operation.js';
import type { Lead } from '../core/record.js';
import {
  isConflict,
  isDecisionOutcome,
  isDuplicateGroup,
  isEvent,
  type DataConflict,
  type DecisionOutcome,
  type DuplicateGroup,
  type StreamItem,
} from '../core/types.js';
import { canonicalEmail } from '../normalize/email.js';
import { repairText } from '../normalize/name.js';
import { canonicalPersonName } from '../normalize/person.js';
import { reasonOfRule } from '../sync/reason.js';
import type { AuditEntry } from './audit.js';

/**
 * Tallies what reaches the report: operations, conflicts, duplicate groups and records. Every
 * tally is keyed by a category (system, action, field, rule, reason), so memory is bounded by the
 * number of categories, not by the data; tables of individual items keep their first `max_rows`
 * and count the rest. Audit entries are handed to `audit` as they are found, never kept.
 */

/** Counts by key, as a plain object sorted by count (then key) for stable output. */
export type Counts = Record<string, number>;

export interface Bounded<T> {
  rows: T[];
  /** How many were left out because of `max_rows`. */
  omitted: number;
}

export interface GroupRow {
  cluster: string;
  matching_field: string;
  matching_value: string;
  confidence_score: number;
  resolution_strategy: string;
  primary: string;
  members: string[];
  /** The members' values the survivor does not keep, each with the record (`system:id`) that held it. */
  values_not_kept: NotKeptRow[];
}

export interface NotKeptRow {
  record: string;
  field: string;
  value: unknown;
  /** What the survivor (`system:id`) holds instead. */
  kept: unknown;
  survivor: string;
}

export interface ConflictRow {
  entity: string;
  record_id: string;
  field_name: string;
  local_value: unknown;
  airtable_value: unknown;
  conflict_type: string;
  suggested_resolution: string;
  resolution: string;
}

export interface FailureRow {
  system: string;
  action: string;
  record_id: string;
  error: string;
}

export interface Tallies {
  /** Records (not operations or other events) that reached the report. */
  records_seen: number;
  /** Operations, conflicts and duplicate groups that reached the report. */
  events_seen: number;
  /** Of those, records with at least one change or one problem. */
  records_changed: number;
  records_with_problems: number;
  /** Records dedupe marked as duplicates (`_meta.survivor === false`). */
  duplicates_marked: number;
  /** Operations by `system.action.status` (`planned` when no writer ran). */
  operations: Counts;
  /** Operations by reason and outcome: `sync.applied`, `dedupe.dry_run`. */
  operations_by_reason: Counts;
  /** Distinct records standardized / synchronized / deleted as duplicates (operations that took effect or would in a dry run). */
  records_standardized: number;
  records_synchronized: number;
  duplicates_deleted: number;
  /** Field changes by `field · rule`. */
  changes: Counts;
  /** Record problems by `field · problem`. */
  problems: Counts;
  duplicates: { groups: number; records: number; duplicates: number; by_match_key: Counts; groups_by_match_key: Counts; values_not_kept: number };
  conflicts: { total: number; by_type: Counts; by_resolution: Counts; by_field: Counts };
  failed_operations: Counts;
  /** The decisions of a decisions file by outcome: `applied`, `stale`, `refused`. */
  decisions: Counts;
  /** Of the failed operations, those that failed for a passing reason (rate limit, timeout, network, lock): worth a retry. */
  failed_recoverable: number;
  tables: { groups: Bounded<GroupRow>; conflicts: Bounded<ConflictRow>; failures: Bounded<FailureRow> };
}

/** Errors that pass: Airtable's 429 and 5xx, timeouts, dropped connections, a locked database. */
const RECOVERABLE = /\b(429|5\d\d|timeout|timed out|ECONNRESET|ECONNREFUSED|socket|network|busy|locked|rate limit)/i;

/** Does this outcome count as done: applied, or would be (dry run), or planned with no writer in the pipeline. */
export function takesEffect(operation: Operation): boolean {
  const status = operation.result?.status;
  return status === undefined || status === 'applied' || status === 'dry_run';
}

/** The audit log's action for each kind of decision. */
const DECISION_ACTIONS: Record<DecisionOutcome['decision'], string> = { merge: 'merged', not_duplicates: 'kept_apart', conflict: 'decided' };

function bump(counts: Counts, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

/** Keeps a row while the table has room (the report redacts every string before writing). */
function keep<T>(table: Bounded<T>, row: T, max: number): void {
  if (table.rows.length < max) table.rows.push(row);
  else table.omitted++;
}

/** A short label for a record in a table: `local:12 Ada Lovelace <ada@x.io>`. */
export function recordLabel(record: Lead | undefined): string {
  if (!record) return '';
  const meta = record._meta;
  const id = meta?.id ?? record.id;
  const who = [record.name, record.email ? `<${String(record.email)}>` : undefined].filter((v) => v !== undefined && v !== null && v !== '').join(' ');
  return [meta?.source && id !== undefined ? `${meta.source}:${String(id)}` : id !== undefined ? String(id) : '', who].filter(Boolean).join(' ');
}

/**
 * The kept member's label with its name and email standardized: the table is read to recognize
 * people, and a run without normalize (remove-duplicates) would show MARC GAGNON or jane doe.
 */
function keptLabel(record: Lead | undefined): string {
  if (!record) return '';
  const { name, email } = record;
  return recordLabel({
    ...record,
    name: typeof name === 'string' ? canonicalPersonName(repairText(name).value ?? name).value : name,
    email: typeof email === 'string' ? (canonicalEmail(email).value ?? email) : email,
  });
}

/** A record named by its system and id (`local:12`), or by its id alone in a plain export. */
function inSystem(system: string, id: string): string {
  return system ? `${system}:${id}` : id;
}

export class ReportCollector {
  readonly tallies: Tallies = {
    records_seen: 0,
    events_seen: 0,
    records_changed: 0,
    records_with_problems: 0,
    duplicates_marked: 0,
    operations: {},
    operations_by_reason: {},
    records_standardized: 0,
    records_synchronized: 0,
    duplicates_deleted: 0,
    changes: {},
    problems: {},
    duplicates: { groups: 0, records: 0, duplicates: 0, by_match_key: {}, groups_by_match_key: {}, values_not_kept: 0 },
    conflicts: { total: 0, by_type: {}, by_resolution: {}, by_field: {} },
    failed_operations: {},
    decisions: {},
    failed_recoverable: 0,
    tables: { groups: { rows: [], omitted: 0 }, conflicts: { rows: [], omitted: 0 }, failures: { rows: [], omitted: 0 } },
  };

  constructor(
    private readonly settings: { runId: string; dryRun: boolean; maxRows: number; now: () => Date },
    private readonly audit: (entry: AuditEntry) => void,
  ) {}

  /** Takes one item; returns nothing (the stage decides what passes on). */
  add(item: StreamItem): void {
    if (isEvent(item)) this.tallies.events_seen++;
    if (isOperation(item)) this.operation(item);
    else if (isConflict(item)) this.conflict(item);
    else if (isDuplicateGroup(item)) this.group(item);
    else if (isDecisionOutcome(item)) this.decision(item);
    else this.record(item);
  }

  private operation(op: Operation): void {
    const t = this.tallies;
    const status = op.result?.status ?? 'planned';
    bump(t.operations, `${op.system}.${op.action}.${status}`);
    bump(t.operations_by_reason, `${op.reason}.${status}`);
    const rules = op.rules ?? {};
    const recordId = String(op.result?.id ?? op.id ?? '');
    if (status === 'failed') {
      bump(t.failed_operations, `${op.system}.${op.action}`);
      if (RECOVERABLE.test(op.result?.error ?? '')) t.failed_recoverable++;
      keep(
        t.tables.failures,
        { system: op.system, action: op.action, record_id: recordId || '(new)', error: op.result?.error ?? 'failed' },
        this.settings.maxRows,
      );
    }
    if (takesEffect(op)) {
      // The link a writer stores after creating a record elsewhere (an update replacing nothing) is part of that create, not another record synchronized.
      const linkOnly = op.action === 'update' && Object.keys(op.replaces).length === 0;
      if (op.reason === 'sync' && !linkOnly) t.records_synchronized++;
      if (op.action === 'delete' && (op.reason === 'dedupe' || op.reason === 'merge' || op.reason === 'manual decision')) t.duplicates_deleted++;
      const fieldRules = Object.keys(op.fields).map((f) => rules[f] ?? op.reason);
      if (op.action === 'update' && fieldRules.some((r) => reasonOfRule(r) === 'standardize')) t.records_standardized++;
    }
    const time = this.settings.now().toISOString();
    const entry = (field: string, oldValue: unknown, newValue: unknown): void => {
      const rule = rules[field] ?? op.reason;
      // A delete is counted as a removed duplicate, not as changes to each of its fields.
      if (takesEffect(op) && op.action !== 'delete') bump(t.changes, `${field} · ${rule}`);
      this.audit({
        run_id: this.settings.runId,
        time,
        system: op.system,
        action: op.action,
        record_id: recordId,
        field,
        old_value: oldValue ?? null,
        new_value: newValue ?? null,
        reason: op.reason,
        rule,
        status,
      });
    };
    if (op.action === 'delete') {
      const replaced = Object.entries(op.replaces);
      // A delete that carries no old values is still one line of the log.
      if (replaced.length === 0) entry('(record)', null, null);
      for (const [field, value] of replaced) entry(field, value, null);
    } else {
      for (const [field, value] of Object.entries(op.fields)) entry(field, op.replaces[field], value);
    }
  }

  private conflict(c: DataConflict): void {
    const t = this.tallies.conflicts;
    t.total++;
    bump(t.by_type, c.conflict_type);
    bump(t.by_resolution, c.resolution);
    bump(t.by_field, c.field_name);
    keep(
      this.tallies.tables.conflicts,
      {
        entity: c.entity,
        record_id: c.record_id,
        field_name: c.field_name,
        local_value: c.local_value,
        airtable_value: c.airtable_value,
        conflict_type: c.conflict_type,
        suggested_resolution: c.suggested_resolution,
        resolution: c.resolution,
      },
      this.settings.maxRows,
    );
  }

  private group(g: DuplicateGroup): void {
    const t = this.tallies.duplicates;
    const duplicates = g.duplicate_records?.length ?? Math.max(0, (g.records?.length ?? 1) - 1);
    t.groups++;
    t.records += g.records?.length ?? 0;
    t.duplicates += duplicates;
    bump(t.by_match_key, g.matching_field, duplicates);
    bump(t.groups_by_match_key, g.matching_field);
    keep(
      this.tallies.tables.groups,
      {
        cluster: g.cluster,
        matching_field: g.matching_field,
        matching_value: g.matching_value,
        confidence_score: g.confidence_score,
        resolution_strategy: g.resolution_strategy,
        primary: keptLabel(g.primary_record),
        members: (g.records ?? []).map(recordLabel),
        values_not_kept: (g.values_not_kept ?? []).map((v) => ({
          record: inSystem(v.system, v.id),
          field: v.field,
          value: v.value,
          kept: v.kept,
          survivor: inSystem(v.system, v.survivor),
        })),
      },
      this.settings.maxRows,
    );
    // Every value a merge did not keep is logged as the old value of its record, whether or not its group is shown.
    const time = this.settings.now().toISOString();
    for (const v of g.values_not_kept ?? []) {
      t.values_not_kept++;
      this.audit({
        run_id: this.settings.runId,
        time,
        system: v.system,
        action: 'not_kept',
        record_id: v.id,
        field: v.field,
        old_value: v.value ?? null,
        new_value: v.kept ?? null,
        reason: 'merge',
        rule: 'dedupe.not_kept',
        status: this.settings.dryRun ? 'dry_run' : 'listed',
      });
    }
  }

  /**
   * One line per record a decision is about, applied or not: its changes have lines of their own
   * (rule `decision.<n>`), but a "not duplicates" changes nothing and a stale decision is not carried out.
   */
  private decision(d: DecisionOutcome): void {
    bump(this.tallies.decisions, d.status);
    const time = this.settings.now().toISOString();
    const action = DECISION_ACTIONS[d.decision];
    const status = d.status === 'applied' && this.settings.dryRun ? 'dry_run' : d.status;
    for (const key of d.records) {
      const at = key.indexOf(':');
      this.audit({
        run_id: this.settings.runId,
        time,
        system: key.slice(0, at),
        action,
        record_id: key.slice(at + 1),
        field: d.field ?? '(record)',
        old_value: null,
        new_value: null,
        reason: 'manual decision',
        rule: `decision.${d.number}`,
        status,
      });
    }
  }

  private record(record: Lead): void {
    const t = this.tallies;
    t.records_seen++;
    const meta = record._meta;
    const changes = meta?.changes ?? [];
    const problems = meta?.problems ?? [];
    if (meta?.survivor === false) t.duplicates_marked++;
    if (changes.length) {
      t.records_changed++;
      if (changes.some((c) => reasonOfRule(c.rule) === 'standardize')) t.records_standardized++;
    }
    if (problems.length) t.records_with_problems++;
    for (const p of problems) bump(t.problems, `${p.field ?? '(record)'} · ${p.problem}`);
    if (!changes.length) return;
    const time = this.settings.now().toISOString();
    const recordId = String(meta?.id ?? record.id ?? (meta?.line !== undefined ? `line ${meta.line}` : ''));
    for (const change of changes) {
      bump(t.changes, `${change.field} · ${change.rule}`);
      this.audit({
        run_id: this.settings.runId,
        time,
        system: meta?.source ?? '',
        action: 'change',
        record_id: recordId,
        field: change.field,
        old_value: change.old ?? null,
        new_value: change.new ?? null,
        reason: reasonOfRule(change.rule),
        rule: change.rule,
        status: this.settings.dryRun ? 'dry_run' : 'changed',
      });
    }
  }
}
