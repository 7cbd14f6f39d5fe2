import type { Bounded, Counts } from './collect.js';
import { failureText, percent, type ReportData } from './model.js';
import { matchingHtml } from './matching.js';
import { barChart, escapeHtml, type Bar } from './svg.js';

/**
 * The maintenance report as one self-contained HTML page: inline CSS, inline SVG charts, no
 * script, and a Content-Security-Policy that forbids loading anything, so it opens the same from
 * a mail attachment, a file share or a browser with no network.
 */

/** Loads nothing from anywhere; the review page adds only the hash of its own script. */
export const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

export const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d232a;background:#f6f7f9;margin:0;padding:24px}
@media (max-width:600px){body{padding:12px}}
main{max-width:1180px;margin:0 auto}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d7dce2;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
.meta{color:#56606b;margin:0 0 12px}
.banner{padding:10px 14px;border-radius:6px;margin:8px 0}.banner.dry{background:#e8f0fe;border:1px solid #9ab5ee}
.banner.alert{background:#fdecea;border:1px solid #e5a29b}.banner.ok{background:#e6f4ea;border:1px solid #98cfa6}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px;margin:12px 0}
.kpi{background:#fff;border:1px solid #d7dce2;border-radius:6px;padding:10px 12px}
.kpi .value{font-size:22px;font-weight:600;display:block}.kpi .label{color:#56606b;font-size:12px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,460px),1fr));gap:12px}
figure.chart{background:#fff;border:1px solid #d7dce2;border-radius:6px;margin:0;padding:10px;min-width:0}
figure.chart svg{max-width:100%;height:auto}
figcaption{font-weight:600;margin-bottom:4px}
svg text{font:12px system-ui,sans-serif;fill:#1d232a}svg text.value{fill:#56606b}svg text.empty{fill:#8a939c}
.bar rect{fill:#6b8fd6}.bar.ok rect{fill:#3f9d5a}.bar.bad rect{fill:#d2544a}.bar.warn rect{fill:#d6a23c}.bar.neutral rect{fill:#8a97a8}
.table{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d7dce2;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e6e9ed;vertical-align:top}
th{background:#eef1f4;font-weight:600;white-space:nowrap}td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#56606b;font-style:italic}.none{color:#8a939c}
ul.members{margin:0;padding-left:16px}
code{background:#eef1f4;padding:1px 4px;border-radius:3px}p code{overflow-wrap:anywhere}
`;

const STATUS_TONE: Record<string, string> = { applied: 'ok', failed: 'bad', skipped: 'warn', dry_run: 'neutral', planned: '' };

function bars(counts: Counts, tone?: (key: string) => string | undefined): Bar[] {
  return Object.entries(counts).map(([label, value]) => ({ label, value, tone: tone?.(label) }));
}

function tableHtml(headers: string[], rows: string[][], bounded?: Bounded<unknown>, id?: string): string {
  const note = bounded?.omitted ? `<p class="note" data-omitted="${bounded.omitted}">${bounded.omitted} more not shown (max_rows).</p>` : '';
  if (!rows.length) return `<p class="none"${id ? ` id="${id}"` : ''}>None.</p>`;
  return (
    `<div class="table"><table${id ? ` id="${id}"` : ''}><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.join('')}</tr>`).join('')}</tbody></table></div>${note}`
  );
}

const td = (value: unknown): string => `<td>${escapeHtml(value)}</td>`;
const tdNum = (value: number): string => `<td class="num">${value}</td>`;

function kpi(id: string, label: string, value: string | number): string {
  return `<div class="kpi" data-metric="${id}"><span class="value">${escapeHtml(value)}</span><span class="label">${escapeHtml(label)}</span></div>`;
}

/** The banners at the top: unfinished, failed, dry run, each alert, or success. */
function bannersHtml(report: ReportData): string[] {
  const banners: string[] = [];
  if (!report.complete)
    banners.push(
      '<div class="banner alert" role="alert"><strong>Unfinished run</strong>: it stopped before its end; the counts cover what reached the report until then.</div>',
    );
  if (report.failure) banners.push(`<div class="banner alert" role="alert"><strong>FAILED</strong>: ${escapeHtml(failureText(report.failure))}</div>`);
  if (report.dry_run) banners.push('<div class="banner dry"><strong>Dry run</strong>: nothing was written; the counts are what the run would do.</div>');
  for (const alert of report.alerts)
    banners.push(`<div class="banner alert" role="alert"><strong>ALERT (${escapeHtml(alert.kind)})</strong>: ${escapeHtml(alert.message)}</div>`);
  if (!report.alerts.length && report.success) banners.push('<div class="banner ok">The run succeeded.</div>');
  if (report.files.includes('review.html'))
    banners.push('<div class="banner dry">Duplicate groups or conflicts wait for a person to decide: open <a href="review.html">review.html</a>.</div>');
  return banners;
}

function kpisHtml(report: ReportData): string[] {
  const m = report.metrics;
  return [
    kpi('records_read', 'Records read', report.records.read),
    kpi('duplicates_removed', 'Duplicates removed', report.duplicates.removed),
    kpi('records_standardized', 'Records standardized', report.records.standardized),
    kpi('records_synchronized', 'Records synchronized', report.records.synchronized),
    kpi('conflicts_resolved', 'Conflicts resolved', report.conflicts.resolved),
    kpi('conflicts_manual', 'Conflicts left for a person', report.conflicts.manual),
    ...(report.decisions
      ? [
          kpi('decisions_applied', 'Decisions applied', report.decisions.applied ?? 0),
          kpi('decisions_not_applied', 'Decisions not applied', (report.decisions.stale ?? 0) + (report.decisions.refused ?? 0)),
        ]
      : []),
    kpi('operations_failed', 'Failed operations', m.operations_failed),
    kpi('records_rejected', 'Rejected records', report.rejects.count),
    kpi('success_rate', 'Operation success rate', percent(m.success_rate)),
    kpi('sync_accuracy', 'Sync accuracy', percent(m.sync_accuracy)),
    kpi('error_rate', 'Error rate', percent(m.error_rate)),
    kpi('records_per_minute', 'Records per minute', Math.round(m.records_per_minute)),
  ];
}

function chartsHtml(report: ReportData): string[] {
  const errorBars: Bar[] = [
    ...bars(report.conflicts.by_type).map((b) => ({ ...b, label: `conflict: ${b.label}`, tone: 'warn' })),
    ...bars(report.failed_operations).map((b) => ({ ...b, label: `failed: ${b.label}`, tone: 'bad' })),
    ...bars(report.rejects.by_reason).map((b) => ({ ...b, label: `rejected: ${b.label}`, tone: 'bad' })),
  ];
  return [
    barChart('Duplicates by match key', bars(report.duplicates.by_match_key)),
    barChart('Changes by field and rule', bars(report.changes)),
    barChart(
      'Sync operations by system, action and status',
      bars(report.operations, (k) => STATUS_TONE[k.split('.')[2]] || undefined),
    ),
    barChart('Conflicts and errors', errorBars),
  ];
}

/** The merged groups' table, then the values their survivors do not hold (when there are any). */
function groupsHtml(report: ReportData): { groups: string; valuesNotKept: string } {
  const groups = tableHtml(
    ['cluster', 'match key', 'value', 'confidence', 'strategy', 'kept', 'members'],
    report.tables.groups.rows.map((g) => [
      td(g.cluster),
      td(g.matching_field),
      td(g.matching_value),
      tdNum(g.confidence_score),
      td(g.resolution_strategy),
      td(g.primary),
      `<td><ul class="members">${g.members.map((x) => `<li>${escapeHtml(x)}</li>`).join('')}</ul></td>`,
    ]),
    report.tables.groups,
    'groups',
  );
  const notKept = report.tables.groups.rows.flatMap((g) =>
    (g.values_not_kept ?? []).map((v) => [td(g.cluster), td(v.record), td(v.field), td(v.value), td(v.kept), td(v.survivor)]),
  );
  const valuesNotKept = notKept.length
    ? `<h3>Values not kept</h3><p class="note">Values of merged records that the surviving record does not hold, kept here and in the audit log (action <code>not_kept</code>) so they can be recovered.</p>${tableHtml(['cluster', 'record', 'field', 'value', 'kept instead', 'survivor'], notKept, undefined, 'values-not-kept')}`
    : '';
  return { groups, valuesNotKept };
}

/** The tables of conflicts, failures, rejects and stages, and the sections of problems and warnings. */
function detailsHtml(report: ReportData): Record<'conflicts' | 'failures' | 'rejects' | 'stages' | 'problems' | 'warnings', string> {
  const conflicts = tableHtml(
    ['record', 'field', 'local value', 'Airtable value', 'type', 'resolution', 'kept'],
    report.tables.conflicts.rows.map((c) => [
      td(c.record_id),
      td(c.field_name),
      td(c.local_value),
      td(c.airtable_value),
      td(c.conflict_type),
      td(c.resolution),
      td(c.suggested_resolution),
    ]),
    report.tables.conflicts,
    'conflicts',
  );
  const failures = tableHtml(
    ['system', 'action', 'record', 'error'],
    report.tables.failures.rows.map((f) => [td(f.system), td(f.action), td(f.record_id), td(f.error)]),
    report.tables.failures,
    'failures',
  );
  const rejects = tableHtml(
    ['stage', 'reason', 'where', 'message'],
    report.tables.rejects.rows.map((r) => [td(r.stage), td(r.reason), td(r.where), td(r.message)]),
    report.tables.rejects,
    'rejects',
  );
  const stages = tableHtml(
    ['stage', 'received', 'sent', 'dropped', 'rejected', 'errored', 'ms'],
    report.stages.map((s) => [
      td(s.stage),
      tdNum(s.received),
      tdNum(s.sent),
      td(
        Object.entries(s.dropped)
          .map(([k, n]) => `${k}: ${n}`)
          .join(', '),
      ),
      tdNum(s.rejected),
      tdNum(s.errored),
      tdNum(s.elapsed_ms),
    ]),
  );
  const problems = Object.keys(report.problems).length
    ? `<h3>Problems flagged in records</h3>${tableHtml(
        ['field · problem', 'count'],
        Object.entries(report.problems).map(([k, n]) => [td(k), tdNum(n)]),
      )}`
    : '';
  const warnings = report.warnings.length ? `<h2>Warnings</h2><ul>${report.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>` : '';
  return { conflicts, failures, rejects, stages, problems, warnings };
}

export function htmlReport(report: ReportData): string {
  const { groups, valuesNotKept } = groupsHtml(report);
  const { conflicts, failures, rejects, stages, problems, warnings } = detailsHtml(report);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Maintenance report: run ${escapeHtml(report.run_id)}</title>
<style>${STYLE}</style></head>
<body><main>
<h1>Maintenance report</h1>
<p class="meta">Run <code>${escapeHtml(report.run_id)}</code>, ${escapeHtml(report.started_at)} to ${escapeHtml(report.finished_at)} (${report.metrics.elapsed_seconds} s)</p>
${bannersHtml(report).join('\n')}
<section class="kpis" aria-label="Summary">${kpisHtml(report).join('')}</section>
<h2>Charts</h2>
<section class="charts">${chartsHtml(report).join('\n')}</section>
<h2>Merged duplicate groups</h2>
${groups}
${valuesNotKept}
${matchingHtml(report.matching, (headers, rows) =>
  tableHtml(
    headers,
    rows.map((r) => r.map(td)),
  ),
)}
<h2>Conflicts and how each was resolved</h2>
${conflicts}
<h2>Errors</h2>
<h3>Failed operations</h3>
${failures}
<h3>Rejected records</h3>
${rejects}
${report.rejects.count ? `<p>All rejected records, with the full record: <code>${escapeHtml(report.rejects.file)}</code></p>` : ''}
${problems}
${warnings}
<h2>Stages</h2>
${stages}
${report.backup_paths.length ? `<p>Backups: ${report.backup_paths.map((p) => `<code>${escapeHtml(p)}</code>`).join(', ')}</p>` : ''}
<p class="meta">Files of this report: ${report.files.map((f) => `<code>${escapeHtml(f)}</code>`).join(', ')}</p>
</main></body></html>
`;
}
