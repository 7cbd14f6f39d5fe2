import fs from 'node:fs';
import path from 'node:path';
import type { ReportData } from './model.js';

/**
 * The run's metrics in the Prometheus text exposition format (version 0.0.4), for
 * node_exporter's textfile collector: every metric with HELP and TYPE, label values escaped,
 * written atomically (a temporary file in the same directory, then a rename) so the collector
 * never reads half a file.
 */

type Labels = Record<string, string>;
interface Sample {
  labels?: Labels;
  value: number;
}
interface Family {
  name: string;
  help: string;
  type: 'gauge';
  samples: Sample[];
}

const PREFIX = 'lead_maintenance_';

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(value);
}

function formatLabels(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {});
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}` : '';
}

function families(report: ReportData): Family[] {
  const m = report.metrics;
  const one = (name: string, help: string, value: number): Family => ({ name: PREFIX + name, help, type: 'gauge', samples: [{ value }] });
  return [
    one('last_run_timestamp_seconds', 'When the last maintenance run ended (Unix time).', Date.parse(report.finished_at) / 1000),
    one('last_run_success', '1 if the last run succeeded without alerts or failed operations, else 0.', report.success ? 1 : 0),
    one('last_run_dry_run', '1 if the last run was a dry run (its counts are what it would do).', report.dry_run ? 1 : 0),
    one('last_run_duration_seconds', 'How long the last run took.', m.elapsed_seconds),
    one('records_read', 'Records the last run read from its sources.', m.records_read),
    one('records_per_minute', 'Processing speed of the last run: records read per minute.', m.records_per_minute),
    one('operation_success_ratio', 'Operations that took effect over those that took effect or failed (1 with none).', m.success_rate),
    one('duplicates_removed', 'Duplicate records the last run removed.', m.duplicates_removed),
    one('records_standardized', 'Records the last run standardized.', report.records.standardized),
    one('records_synchronized', 'Records the last run synchronized between the systems.', report.records.synchronized),
    one('conflicts_resolved', 'Conflicts the last run resolved by the configured rule.', report.conflicts.resolved),
    one('conflicts_manual', 'Conflicts the last run left for a person.', report.conflicts.manual),
    one('sync_accuracy_ratio', 'Sync operations that took effect over those that took effect or failed (1 when nothing needed syncing).', m.sync_accuracy),
    one('error_ratio', 'Failed operations and rejected records over records read plus operations.', m.error_rate),
    one('records_rejected', 'Records the last run rejected (see its rejects file).', report.rejects.count),
    one('alerts', 'Alerts the last run raised.', report.alerts.length),
    {
      name: `${PREFIX}errors`,
      help: 'Errors of the last run by category (critical, recoverable, data_quality).',
      type: 'gauge',
      samples: Object.entries(m.errors_by_category).map(([category, value]) => ({ labels: { category }, value })),
    },
    {
      name: `${PREFIX}error_ratio_by_category`,
      help: 'Error rate of the last run by category.',
      type: 'gauge',
      samples: Object.entries(m.error_rate_by_category).map(([category, value]) => ({ labels: { category }, value })),
    },
    {
      name: `${PREFIX}operations`,
      help: 'Operations of the last run by system, action and status.',
      type: 'gauge',
      samples: Object.entries(report.operations).map(([key, value]) => {
        const [system, action, status] = key.split('.');
        return { labels: { system, action, status }, value };
      }),
    },
  ];
}

/** The exposition text: HELP, TYPE and samples of each metric, ending with a line feed. */
export function prometheusText(report: ReportData): string {
  let text = '';
  for (const family of families(report)) {
    text += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
    for (const sample of family.samples) text += `${family.name}${formatLabels(sample.labels)} ${formatValue(sample.value)}\n`;
  }
  return text;
}

/** Writes `content` to `file` atomically: a temporary file beside it, then a rename. */
export function writeAtomic(file: string, content: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, content, { mode });
    fs.renameSync(tmp, file);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw error;
  }
}
