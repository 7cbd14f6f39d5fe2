import type { StageCounters } from '../core/stage.js';
import type { MaintenanceResult } from '../core/types.js';
import type { Bounded, ConflictRow, Counts, FailureRow, GroupRow, Tallies } from './collect.js';
import type { MatchingFindings, RunFailure, RunFindings } from '../core/findings.js';
import type { RejectRow, RejectsSummary } from './rejects.js';

/** The run's key figures, as `metrics.json` and the Prometheus textfile hold them. */
export interface Metrics {
  records_read: number;
  elapsed_seconds: number;
  /** Processing speed: records read per minute of the run. */
  records_per_minute: number;
  operations_total: number;
  operations_failed: number;
  /** Operation success rate: operations that took effect (or would, in a dry run) over those that took effect or failed; 1 with none. */
  success_rate: number;
  duplicates_removed: number;
  /** Sync accuracy: sync operations that took effect over those that took effect or failed; 1 when nothing needed syncing. */
  sync_accuracy: number;
  /** Failed operations and rejected records over records read plus operations. */
  error_rate: number;
  /** Errors by the categories: critical (backup, integrity), recoverable (rate limits, timeouts, locks), data_quality (rejected records, refused writes). */
  errors_by_category: Counts;
  error_rate_by_category: Counts;
}

export interface AlertFinding {
  kind: 'error_rate' | 'backup_failed' | 'integrity_failed' | 'run_failed';
  message: string;
  details?: Record<string, unknown>;
}

/** Everything `report.json` holds; the Markdown and HTML pages are views of it. */
export interface ReportData {
  run_id: string;
  dry_run: boolean;
  /** False when the run stopped before the report's input ended: the counts cover what reached it. */
  complete: boolean;
  started_at: string;
  finished_at: string;
  elapsed_ms: number;
  success: boolean;
  /** Set when the run failed: the stage that failed and why. */
  failure?: RunFailure;
  alerts: AlertFinding[];
  metrics: Metrics;
  /** records_read = seen by the sources; seen = reached the report as records (after diff, usually none). */
  records: { read: number; seen: number; changed: number; with_problems: number; rejected: number; standardized: number; synchronized: number };
  operations: Counts;
  operations_by_reason: Counts;
  changes: Counts;
  problems: Counts;
  duplicates: Tallies['duplicates'] & { removed: number };
  conflicts: Tallies['conflicts'] & { resolved: number; manual: number };
  failed_operations: Counts;
  /** A decisions run's decisions by outcome (`applied`, `stale`, `refused`); absent in other runs. */
  decisions?: Counts;
  rejects: { file: string; count: number; by_reason: Counts };
  tables: { groups: Bounded<GroupRow>; conflicts: Bounded<ConflictRow>; failures: Bounded<FailureRow>; rejects: Bounded<RejectRow> };
  stages: StageCounters[];
  backup_paths: string[];
  backup_failures: string[];
  integrity_failures: string[];
  warnings: string[];
  /** How dedupe scored pairs (the learned weights, the histogram of scores), when it ran. */
  matching?: MatchingFindings;
  /** The files this report wrote, by name (`report.html`, `audit.csv`, …), relative to its folder. */
  files: string[];
  audit_entries: number;
}

export interface ModelInput {
  runId: string;
  dryRun: boolean;
  complete: boolean;
  started: Date;
  finished: Date;
  tallies: Tallies;
  rejects: RejectsSummary;
  counters: readonly StageCounters[];
  /** The report stage's own name and step, so its counters are not taken for a source's. */
  self: { stage: string; step: number };
  findings: RunFindings;
  errorRateThreshold: number;
  alertOnFailedOperations: boolean;
  files: string[];
  auditEntries: number;
}

/** Counts sorted by count (largest first), then key: the same run gives the same bytes. */
export function sortCounts(counts: Counts): Counts {
  return Object.fromEntries(Object.entries(counts).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0)));
}

function sum(counts: Counts, match: (key: string) => boolean = () => true): number {
  return Object.entries(counts).reduce((total, [key, n]) => total + (match(key) ? n : 0), 0);
}

const ratio = (part: number, whole: number, empty: number): number => (whole > 0 ? round(part / whole) : empty);
const round = (value: number): number => Math.round(value * 1e6) / 1e6;

/**
 * Records read by the run: what its sources produced. A source after another passes upstream
 * records through, so its own are `sent - received`. Events read from a file (a saved run's
 * operations fed to `run-stage report`) are not records: without a stage that makes events
 * (diff, dedupe), those that reached the report are taken off. Without a source before the
 * report, the records that reached it.
 */
function recordsRead(counters: readonly StageCounters[], self: { stage: string; step: number }, tallies: Tallies): number {
  const before = counters.filter((_, i) => i !== self.step);
  const sources = before.filter((c) => c.stage.startsWith('read-'));
  if (!sources.length && (!before.length || self.step === 0)) return tallies.records_seen;
  const produced = sources.length ? sources.reduce((total, c) => total + Math.max(0, c.sent - c.received), 0) : counters[0].sent;
  const makesEvents = before.some((c) => c.stage === 'diff' || c.stage === 'dedupe');
  return makesEvents ? produced : Math.max(0, produced - tallies.events_seen);
}

/** The run's measures: throughput, operations, success, sync accuracy, error rates by category. */
function metricsOf(input: ModelInput, read: number, elapsedMs: number): Metrics {
  const t = input.tallies;
  const operationsTotal = sum(t.operations);
  const effective = sum(t.operations, (k) => /\.(applied|dry_run|planned)$/.test(k));
  const failed = sum(t.operations, (k) => k.endsWith('.failed'));
  const syncEffective = sum(t.operations_by_reason, (k) => /^sync\.(applied|dry_run|planned)$/.test(k));
  const syncFailed = t.operations_by_reason['sync.failed'] ?? 0;
  const recoverableFailed = t.failed_recoverable;
  const categories: Counts = {
    critical: input.findings.backup_failures.length + input.findings.integrity_failures.length,
    recoverable: recoverableFailed,
    data_quality: failed - recoverableFailed + input.rejects.count,
  };
  const denominator = read + operationsTotal;
  const errorRate = ratio(failed + input.rejects.count, denominator, 0);
  // Without operations nothing was written: what dedupe found (groups, marked or dropped records) is what the run removes from its output.
  const dropped = input.counters.reduce((total, c) => total + (c.dropped.duplicate ?? 0), 0);
  const duplicatesRemoved = operationsTotal > 0 ? t.duplicates_deleted : Math.max(t.duplicates.duplicates, t.duplicates_marked + dropped);
  return {
    records_read: read,
    elapsed_seconds: round(elapsedMs / 1000),
    records_per_minute: round(read / (Math.max(elapsedMs, 1) / 60000)),
    operations_total: operationsTotal,
    operations_failed: failed,
    success_rate: ratio(effective, effective + failed, 1),
    duplicates_removed: duplicatesRemoved,
    sync_accuracy: ratio(syncEffective, syncEffective + syncFailed, 1),
    error_rate: errorRate,
    errors_by_category: categories,
    error_rate_by_category: Object.fromEntries(Object.entries(categories).map(([k, n]) => [k, ratio(n, denominator, 0)])),
  };
}

/** The alerts a run raises: its error rate over the threshold (or any failed operation, when asked), failed backups and integrity checks. */
function alertsOf(input: ModelInput, metrics: Metrics): AlertFinding[] {
  const t = input.tallies;
  const failed = metrics.operations_failed;
  const errorRate = metrics.error_rate;
  const denominator = metrics.records_read + metrics.operations_total;
  const alerts: AlertFinding[] = [];
  if (errorRate > input.errorRateThreshold) {
    alerts.push({
      kind: 'error_rate',
      message: `Error rate ${percent(errorRate)} is over the threshold of ${percent(input.errorRateThreshold)}: ${failed} failed operation(s) and ${input.rejects.count} rejected record(s) out of ${denominator} records and operations.`,
      details: { error_rate: errorRate, threshold: input.errorRateThreshold, failed_operations: failed, rejected: input.rejects.count },
    });
  } else if (failed > 0 && input.alertOnFailedOperations) {
    alerts.push({
      kind: 'error_rate',
      message: `${failed} operation(s) failed (${Object.entries(sortCounts(t.failed_operations))
        .map(([k, n]) => `${k}: ${n}`)
        .join(', ')}); both systems may now differ. See the failed operations in the report and the rejects file.`,
      details: { failed_operations: failed, by_operation: sortCounts(t.failed_operations) },
    });
  }
  for (const failure of input.findings.backup_failures) alerts.push({ kind: 'backup_failed', message: failure });
  for (const failure of input.findings.integrity_failures) alerts.push({ kind: 'integrity_failed', message: failure });
  return alerts;
}

/** What a person should know that is no alert: an unfinished run, conflicts left to them, problems kept, tables cut short. */
function warningsOf(input: ModelInput, manual: number): string[] {
  const t = input.tallies;
  const warnings = [...input.findings.warnings];
  if (!input.complete) warnings.unshift('The run stopped before it ended (see its log): this report covers only what reached the report stage until then.');
  if (manual)
    warnings.push(`${manual} conflict(s) were left for a person to resolve (conflict_resolution: manual); see the conflicts table and the review file.`);
  if (t.records_with_problems) warnings.push(`${t.records_with_problems} record(s) have problems that were flagged and left in place.`);
  for (const [name, table] of Object.entries({ ...t.tables, rejects: input.rejects.table })) {
    if (table.omitted) warnings.push(`The ${name} table shows the first ${table.rows.length} rows; ${table.omitted} more were left out (max_rows).`);
  }
  return warnings;
}

export function buildReport(input: ModelInput): ReportData {
  const t = input.tallies;
  const read = recordsRead(input.counters, input.self, t);
  const elapsedMs = Math.max(0, input.finished.getTime() - input.started.getTime());
  const metrics = metricsOf(input, read, elapsedMs);
  const failed = metrics.operations_failed;
  const duplicatesRemoved = metrics.duplicates_removed;
  const alerts = alertsOf(input, metrics);
  const manual = t.conflicts.by_resolution.manual ?? 0;
  const warnings = warningsOf(input, manual);

  return {
    run_id: input.runId,
    dry_run: input.dryRun,
    complete: input.complete,
    started_at: input.started.toISOString(),
    finished_at: input.finished.toISOString(),
    elapsed_ms: elapsedMs,
    success: input.complete && !input.findings.failure && alerts.length === 0 && failed === 0,
    ...(input.findings.failure ? { failure: { ...input.findings.failure } } : {}),
    alerts,
    metrics,
    records: {
      read,
      seen: t.records_seen,
      changed: t.records_changed,
      with_problems: t.records_with_problems,
      rejected: input.rejects.count,
      standardized: t.records_standardized,
      synchronized: t.records_synchronized,
    },
    operations: sortCounts(t.operations),
    operations_by_reason: sortCounts(t.operations_by_reason),
    changes: sortCounts(t.changes),
    problems: sortCounts(t.problems),
    duplicates: {
      ...t.duplicates,
      by_match_key: sortCounts(t.duplicates.by_match_key),
      groups_by_match_key: sortCounts(t.duplicates.groups_by_match_key),
      removed: duplicatesRemoved,
    },
    conflicts: {
      ...t.conflicts,
      by_type: sortCounts(t.conflicts.by_type),
      by_resolution: sortCounts(t.conflicts.by_resolution),
      by_field: sortCounts(t.conflicts.by_field),
      resolved: t.conflicts.by_resolution.applied ?? 0,
      manual,
    },
    failed_operations: sortCounts(t.failed_operations),
    ...(Object.keys(t.decisions).length ? { decisions: sortCounts(t.decisions) } : {}),
    rejects: { file: input.rejects.file, count: input.rejects.count, by_reason: sortCounts(input.rejects.by_reason) },
    tables: { ...t.tables, rejects: input.rejects.table },
    stages: input.counters.map((c) => ({ ...c, dropped: { ...c.dropped } })),
    ...(input.findings.matching ? { matching: input.findings.matching } : {}),
    backup_paths: [...input.findings.backup_paths],
    backup_failures: [...input.findings.backup_failures],
    integrity_failures: [...input.findings.integrity_failures],
    warnings,
    files: input.files,
    audit_entries: input.auditEntries,
  };
}

export function percent(value: number): string {
  return `${Number((value * 100).toFixed(1))}%`;
}

/** The MaintenanceResult of the run. In a dry run, the counts are what the run would do. */
export function maintenanceResult(report: ReportData): MaintenanceResult {
  const errors = [
    ...(report.failure ? [failureText(report.failure)] : []),
    ...report.alerts.map((a) => a.message),
    ...report.tables.failures.rows.map((f) => `${f.system} ${f.action} of ${f.record_id} failed: ${f.error}`),
    ...(report.tables.failures.omitted ? [`… and ${report.tables.failures.omitted} more failed operation(s).`] : []),
    ...Object.entries(report.rejects.by_reason).map(([key, n]) => `${n} record(s) rejected (${key}); see ${report.rejects.file}.`),
  ];
  return {
    success: report.success,
    operation_id: report.run_id,
    start_time: report.started_at,
    end_time: report.finished_at,
    backup_paths: report.backup_paths,
    duplicates_removed: report.duplicates.removed,
    records_standardized: report.records.standardized,
    records_synchronized: report.records.synchronized,
    conflicts_resolved: report.conflicts.resolved,
    errors,
    warnings: report.warnings,
    detailed_results: {
      dry_run: report.dry_run,
      complete: report.complete,
      ...(report.failure ? { failed_stage: report.failure.stage ?? null, failure: report.failure.message } : {}),
      records_read: report.records.read,
      operations: report.operations,
      operations_by_reason: report.operations_by_reason,
      changes: report.changes,
      duplicates: { groups: report.duplicates.groups, duplicates: report.duplicates.duplicates, by_match_key: report.duplicates.by_match_key },
      conflicts: { total: report.conflicts.total, by_type: report.conflicts.by_type, by_resolution: report.conflicts.by_resolution },
      rejected: report.rejects.count,
      metrics: report.metrics,
      stages: report.stages,
      audit_entries: report.audit_entries,
      files: report.files,
    },
  };
}

/** One line saying that, where and why a run failed. */
export function failureText(failure: RunFailure): string {
  return `The run failed${failure.stage ? ` in stage ${failure.stage}` : ''}: ${failure.message}`;
}
