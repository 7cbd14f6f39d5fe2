import fs from 'node:fs';
import path from 'node:path';
import { raiseAlert, type AlertSettings } from '../lib/report/alert.js';
import { AlertError } from '../lib/core/errors.js';
import type { Lead } from '../lib/core/record.js';
import { AUDIT_FORMATS, AuditWriter, type AuditFormat } from '../lib/report/audit.js';
import { ReportCollector } from '../lib/report/collect.js';
import { reportsFailedRuns, runFindings, type RunFindings } from '../lib/core/findings.js';
import { htmlReport } from '../lib/report/html.js';
import { markdownReport } from '../lib/report/markdown.js';
import { buildReport, maintenanceResult, type ReportData } from '../lib/report/model.js';
import { linkLatest, pruneRuns, redactStrings, runFolderName } from '../lib/report/output.js';
import { prometheusText, writeAtomic } from '../lib/report/prometheus.js';
import { readRejects } from '../lib/report/rejects.js';
import { writeReviewPage } from '../lib/report/review-page.js';
import { reviewLinesOfRun } from '../lib/report/review-page-lines.js';
import { defineStage, type OptionProblem, type StageContext } from '../lib/core/stage.js';

interface ReportOptions {
  directory: string;
  formats: string[];
  audit_formats: string[];
  csv_escape_formulas: boolean;
  csv_byte_order_mark: boolean;
  max_rows: number;
  keep_runs: number;
  prometheus_textfile: string | undefined;
  alert_error_rate: number;
  alert_on_failed_operations: boolean;
  alert_processing_minutes: number;
  alert_command: string | undefined;
  alert_webhook: string | undefined;
  fail_on_alert: boolean;
}

const FORMATS = ['md', 'json', 'html'];

/**
 * The seed's ReportGenerator as the last stage of a pipeline. It tallies what reaches it
 * (operations with their outcome, conflicts, duplicate groups, records with their changes and
 * problems), writes the audit log as changes pass, and when its input ends writes the report,
 * MaintenanceResult and metrics into `<directory>/<run id>/` and points `<directory>/latest` at
 * it. Everything passes on unchanged, so a run's summary still counts the operations. Past an
 * alerting threshold it raises the alert and fails the run with an AlertError (exit code 4).
 */
const report = defineStage<ReportOptions>({
  name: 'report',
  kind: 'sink',
  summary:
    'Writes the maintenance report (Markdown, JSON, self-contained HTML), the audit log, MaintenanceResult and metrics, and raises an alert past the thresholds.',
  options: {
    directory: {
      type: 'path',
      default: 'reports',
      description: 'Where reports go: one folder per run id, and `latest` pointing at the newest.',
      example: 'data/reports',
    },
    formats: {
      type: 'string[]',
      values: FORMATS,
      default: FORMATS,
      description: 'The report formats to write: `md`, `json`, `html` (maintenance-result.json and metrics.json are always written).',
      example: ['html'],
    },
    audit_formats: {
      type: 'string[]',
      values: AUDIT_FORMATS,
      default: [...AUDIT_FORMATS],
      description:
        'The audit log formats to write (one entry per changed field: run id, time, system, record id, field, old and new value, reason, rule, status).',
      example: ['csv'],
    },
    csv_escape_formulas: {
      type: 'boolean',
      default: true,
      description:
        "Write audit.csv cells that begin with `=`, `+`, `-`, `@`, a tab or a carriage return with a leading `'`, so a spreadsheet shows them as text instead of running them as formulas (OWASP's CSV-injection advice); turn off for programs that read the file and want the values exactly.",
      example: false,
    },
    csv_byte_order_mark: {
      type: 'boolean',
      default: false,
      description: 'Begin audit.csv with a UTF-8 byte-order mark, so Excel shows accented letters right (leave off for programs that do not expect one).',
      example: true,
    },
    max_rows: {
      type: 'integer',
      default: 200,
      min: 0,
      max: 1_000_000,
      description:
        'At most this many rows per table of the report (merged groups, conflicts, failed operations, rejected records); the rest are counted and a note says how many.',
      example: 50,
    },
    keep_runs: {
      type: 'integer',
      default: 0,
      min: 0,
      max: 100_000,
      description: 'Keep the report folders of this many most recent runs and delete older ones (0 keeps every run).',
      example: 90,
    },
    prometheus_textfile: {
      type: 'path',
      description:
        "Also write the metrics here in the Prometheus text format, atomically, for node_exporter's textfile collector (the name must end in `.prom`); dry runs and unfinished runs leave it as the last finished run wrote it.",
      example: '/var/lib/node_exporter/textfile_collector/lead_maintenance.prom',
    },
    alert_error_rate: {
      type: 'number',
      default: 0.05,
      min: 0,
      max: 1,
      config: 'alerting.error_rate_threshold',
      description: 'Raise an alert when failed operations and rejected records exceed this share of records read plus operations.',
      example: 0.02,
    },
    alert_on_failed_operations: {
      type: 'boolean',
      default: false,
      description:
        'Also raise an alert when any operation failed below the error rate threshold (off: such failures are listed in the report and the run goes on).',
      example: true,
    },
    alert_processing_minutes: {
      type: 'number',
      default: 60,
      min: 0,
      max: 100_000,
      config: 'alerting.processing_time_threshold_minutes',
      description:
        'Raise an alert, once and while the run goes on, when the run has taken longer than this many minutes (0: never); the run is neither stopped nor failed by it, and the report notes it.',
      example: 15,
    },
    alert_command: {
      type: 'string',
      config: 'alerting.command',
      description: 'A shell command run for each alert, with the alert as JSON on stdin and its message in ALERT_MESSAGE.',
      example: 'mail -s "$ALERT_MESSAGE" ops@example.org',
    },
    alert_webhook: {
      type: 'string',
      config: 'alerting.webhook',
      description: 'A URL each alert is POSTed to as JSON.',
      example: 'https://hooks.example.org/lead-maintenance',
    },
    fail_on_alert: {
      type: 'boolean',
      default: true,
      description: 'Fail the run (exit code 4) after raising an alert; off, the alert is raised and the run ends normally.',
      example: false,
    },
  },
  check(options) {
    const problems: OptionProblem[] = [];
    if (options.prometheus_textfile && !options.prometheus_textfile.endsWith('.prom')) {
      problems.push({
        path: 'prometheus_textfile',
        message: `node_exporter's textfile collector reads only files ending in .prom; rename "${path.basename(options.prometheus_textfile)}" (e.g. lead_maintenance.prom)`,
      });
    }
    if (options.alert_webhook && !/^https?:\/\/[^\s/]+/.test(options.alert_webhook)) {
      problems.push({ path: 'alert_webhook', message: 'must be an http:// or https:// URL' });
    }
    return problems;
  },
  create(options, ctx) {
    const started = ctx.now();
    const directory = path.resolve(ctx.baseDir, options.directory);
    const folder = runFolderName(ctx.runId);
    const runDir = path.join(directory, folder);
    const findings = runFindings(ctx);
    const audit = new AuditWriter(runDir, options.audit_formats as AuditFormat[], 'audit', {
      escape_formulas: options.csv_escape_formulas,
      csv_byte_order_mark: options.csv_byte_order_mark,
    });
    const collector = new ReportCollector({ runId: ctx.runId, dryRun: ctx.dryRun, maxRows: options.max_rows, now: () => ctx.now() }, (entry) =>
      audit.write(entry),
    );
    let written = false;
    const alertSettings = { command: options.alert_command || undefined, webhook: options.alert_webhook || undefined };
    const stopWatchdog = startWatchdog(options, ctx, findings, alertSettings);
    const run: ReportRun = { options, ctx, started, directory, folder, runDir, findings, audit, collector };
    const writeOutputs = (complete: boolean): Promise<{ report: ReportData; shown: string }> => {
      written = true;
      return writeReport(run, complete);
    };

    // A run that fails upstream never reaches flush; what reached the report until then (the
    // changes already applied, above all) is still written, marked incomplete, with a valid audit log.
    ctx.onClose(async () => {
      await stopWatchdog();
      if (written) return;
      try {
        await writeOutputs(false);
      } catch (error) {
        ctx.log.warn('Could not write the report of the unfinished run.', { error: (error as Error).message });
      }
    });

    return {
      transform(item: Lead) {
        collector.add(item);
        return item;
      },
      async flush() {
        await stopWatchdog();
        const { report, shown } = await writeOutputs(true);
        if (!report.alerts.length) return;
        for (const alert of report.alerts) {
          await raiseAlert(
            alertSettings,
            { kind: alert.kind, message: `${alert.message} Report: ${shown}`, run_id: ctx.runId, details: alert.details },
            ctx.log,
          );
        }
        if (options.fail_on_alert) {
          throw new AlertError(
            ctx.stage,
            `${report.alerts.length} alert(s): ${report.alerts.map((a) => a.message).join(' ')} The report is in ${runDir}.`,
            report.alerts,
          );
        }
      },
    };
  },
});

/**
 * Long processing time (seed alerting threshold 2): a timer, not a check at the end, so a run
 * that hangs is reported while it hangs. The stage is created when the run starts. Returns what
 * stops the timer and waits for the alert's delivery, which finishes before the run ends.
 */
function startWatchdog(options: ReportOptions, ctx: StageContext, findings: RunFindings, alertSettings: AlertSettings): () => Promise<void> {
  let slowAlert: Promise<void> | undefined;
  const minutes = options.alert_processing_minutes;
  const watchdog =
    minutes > 0
      ? setTimeout(() => {
          const message = `The run has taken more than ${minutes} minute(s) (alerting.processing_time_threshold_minutes) and is still going; it is neither stopped nor failed for it.`;
          findings.warnings.push(`${message.replace(' and is still going', '')} A slow_run alert was raised.`);
          slowAlert = raiseAlert(alertSettings, { kind: 'slow_run', message, run_id: ctx.runId, details: { threshold_minutes: minutes } }, ctx.log);
        }, minutes * 60_000)
      : undefined;
  watchdog?.unref(); // the timer alone must not keep a finished run's process alive
  return async () => {
    clearTimeout(watchdog);
    await slowAlert;
  };
}

/** What writing a run's report needs: the stage's options and context, and what the run collected. */
interface ReportRun {
  options: ReportOptions;
  ctx: StageContext;
  started: Date;
  directory: string;
  folder: string;
  runDir: string;
  findings: RunFindings;
  audit: AuditWriter;
  collector: ReportCollector;
}

/** Writes every output; `complete` is false for a run that stopped before the report's input ended. */
async function writeReport(run: ReportRun, complete: boolean): Promise<{ report: ReportData; shown: string }> {
  const { options, ctx, audit, runDir, directory, folder } = run;
  audit.close();
  const rejectsFile = ctx.rejectsFile();
  const rejects = await readRejects(rejectsFile.path, ctx.runId, options.max_rows, rejectsFile.attempt);
  const review = await writeReviewPage(reviewLinesOfRun(ctx), path.join(runDir, 'review.html'), { runId: ctx.runId });
  const files = [
    ...options.formats.map((f) => `report.${f}`),
    ...(review ? ['review.html'] : []),
    'maintenance-result.json',
    'metrics.json',
    ...audit.files().map((f) => path.basename(f)),
  ];
  const report = redactStrings(
    buildReport({
      runId: ctx.runId,
      dryRun: ctx.dryRun,
      complete,
      started: run.started,
      finished: ctx.now(),
      tallies: run.collector.tallies,
      rejects,
      counters: ctx.runCounters(),
      self: { stage: ctx.stage, step: ctx.step },
      findings: run.findings,
      errorRateThreshold: options.alert_error_rate,
      alertOnFailedOperations: options.alert_on_failed_operations,
      files,
      auditEntries: audit.count,
    }),
  );
  const write = (name: string, content: string): void => fs.writeFileSync(path.join(runDir, name), content, { mode: 0o600 });
  if (options.formats.includes('json')) write('report.json', JSON.stringify(report, null, 2) + '\n');
  if (options.formats.includes('md')) write('report.md', markdownReport(report));
  if (options.formats.includes('html')) write('report.html', htmlReport(report));
  write('maintenance-result.json', JSON.stringify(maintenanceResult(report), null, 2) + '\n');
  write(
    'metrics.json',
    JSON.stringify({ run_id: report.run_id, dry_run: report.dry_run, complete, finished_at: report.finished_at, ...report.metrics }, null, 2) + '\n',
  );
  // Monitoring watches real runs: a dry run (or an unfinished one) must not replace their figures.
  if (options.prometheus_textfile && !ctx.dryRun && complete) writeAtomic(path.resolve(ctx.baseDir, options.prometheus_textfile), prometheusText(report));
  const latest = linkLatest(directory, folder);
  const pruned = pruneRuns(directory, options.keep_runs, folder);
  if (pruned.length) ctx.log.info('Old reports deleted.', { runs: pruned.length, keep_runs: options.keep_runs });
  const main = options.formats.includes('html') ? 'report.html' : options.formats.includes('md') ? 'report.md' : 'maintenance-result.json';
  const shown = path.join(latest, main);
  ctx.log[complete ? 'info' : 'warn'](complete ? 'Report written.' : 'Report of the unfinished run written.', {
    report: shown,
    run_folder: runDir,
    audit_entries: audit.count,
    duplicates_removed: report.duplicates.removed,
    records_standardized: report.records.standardized,
    records_synchronized: report.records.synchronized,
    conflicts_resolved: report.conflicts.resolved,
    failed_operations: report.metrics.operations_failed,
    rejected: report.rejects.count,
  });
  if (review)
    ctx.log.info('Duplicate groups or conflicts wait for a person: decide them on the review page and apply the decisions it exports.', {
      review: path.join(latest, 'review.html'),
      duplicate_groups: review.groups,
      conflicts: review.conflicts,
    });
  return { report, shown };
}

export default report;

// A failed run still gets its report.
reportsFailedRuns(report);
