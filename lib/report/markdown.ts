import type { Bounded, Counts } from './collect.js';
import { matchingMarkdown } from './matching.js';
import { failureText, percent, type ReportData } from './model.js';

/**
 * The maintenance report as Markdown (the seed's ReportGenerator text report): the summary
 * first, then duplicates, changes, sync operations, conflicts and errors, each as a table.
 */

/**
 * Characters that start Markdown or HTML anywhere in a line: emphasis, code, links and images,
 * raw HTML and entities, table pipes, strikethrough, math. Each is backslash-escaped, which
 * CommonMark (and GitHub's dialect) renders as the character itself.
 */
const INLINE_MARKUP = /[\\`*_[\]<>&|~$]/g;

/**
 * A value as literal Markdown text, on one line: markup characters escaped, line breaks as
 * spaces, long values cut (before escaping, so a cut never splits an escape).
 */
export function mdText(value: unknown, maxLength = 200): string {
  const text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  const flat = text.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ');
  const chars = Array.from(flat);
  const cut = chars.length > maxLength ? `${chars.slice(0, maxLength - 1).join('')}…` : flat;
  // What would open a block where the value starts a line or a list item (heading, list, quote,
  // setext underline; `1.` or `1)` for an ordered list) is escaped there too.
  return cut
    .replace(INLINE_MARKUP, '\\$&')
    .replace(/^(\s*)([#+=-])/, '$1\\$2')
    .replace(/^(\s*\d+)([.)])/, '$1\\$2');
}

/** A Markdown table cell: literal text (see mdText), pipes escaped so the row keeps its columns. */
export function mdCell(value: unknown): string {
  return mdText(value);
}

/**
 * A value as inline code: a code span shows its content literally, with a fence longer than any
 * run of backticks inside, and line breaks as spaces (a blank line would end the paragraph).
 */
export function mdCode(value: unknown): string {
  const text = String(value ?? '').replace(/\r\n|[\r\n\u2028\u2029]/g, ' ');
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || (text.startsWith(' ') && text.endsWith(' ') && text.trim()) ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

function table(headers: string[], rows: unknown[][]): string {
  if (!rows.length) return '_None._\n';
  return (
    [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.map(mdCell).join(' | ')} |`)].join('\n') + '\n'
  );
}

function countsTable(label: string, counts: Counts): string {
  return table(
    [label, 'count'],
    Object.entries(counts).map(([k, n]) => [k, n]),
  );
}

function omitted(bounded: Bounded<unknown>): string {
  return bounded.omitted ? `\n_${bounded.omitted} more not shown (max_rows)._\n` : '';
}

/** The title, the banners (unfinished, dry run, failed, alerts) and the outcome line. */
function headerParts(report: ReportData): string[] {
  const out: string[] = [];
  out.push(`# Maintenance report: run ${mdText(report.run_id)}\n`);
  if (!report.complete) out.push('> **Unfinished run**: it stopped before its end; the counts cover what reached the report until then.\n');
  if (report.dry_run) out.push('> **Dry run**: nothing was written; the counts are what the run would do.\n');
  if (report.failure) out.push(`> **FAILED**: ${mdText(failureText(report.failure), 2000)}\n`);
  out.push(
    `${report.success ? '**Succeeded**' : report.failure ? '**Failed**' : '**Needs attention**'}, ${mdText(report.started_at)} to ${mdText(report.finished_at)} (${mdText(report.metrics.elapsed_seconds)} s).\n`,
  );
  for (const alert of report.alerts) out.push(`> **ALERT (${mdText(alert.kind)})**: ${mdText(alert.message, 2000)}\n`);
  return out;
}

function summaryParts(report: ReportData): string[] {
  const m = report.metrics;
  return [
    '## Summary\n',
    table(
      ['measure', 'value'],
      [
        ['Records read', report.records.read],
        ['Duplicates removed', report.duplicates.removed],
        ['Records standardized', report.records.standardized],
        ['Records synchronized', report.records.synchronized],
        ['Conflicts resolved', report.conflicts.resolved],
        ['Conflicts left for a person', report.conflicts.manual],
        ...decisionRows(report),
        ['Failed operations', m.operations_failed],
        ['Rejected records', report.rejects.count],
        ['Operation success rate', percent(m.success_rate)],
        ['Sync accuracy', percent(m.sync_accuracy)],
        ['Error rate', percent(m.error_rate)],
        ['Records per minute', Math.round(m.records_per_minute)],
        ['Audit log entries', report.audit_entries],
      ],
    ),
  ];
}

/** A decisions run's decisions: applied, and not applied (stale or refused, named in the warnings). */
function decisionRows(report: ReportData): Array<[string, number]> {
  if (!report.decisions) return [];
  const { applied = 0, stale = 0, refused = 0 } = report.decisions;
  return [
    ['Decisions applied', applied],
    ['Decisions not applied (stale or refused)', stale + refused],
  ];
}

/** Duplicates by match key, the merged groups and the values their survivors do not hold. */
function duplicateParts(report: ReportData): string[] {
  const out: string[] = [];
  out.push('\n## Duplicates by match key\n');
  out.push(
    table(
      ['match key', 'groups', 'duplicates'],
      Object.entries(report.duplicates.by_match_key).map(([k, n]) => [k, report.duplicates.groups_by_match_key[k] ?? 0, n]),
    ),
  );
  out.push('\n### Merged groups\n');
  out.push(
    table(
      ['cluster', 'match key', 'value', 'confidence', 'strategy', 'kept', 'members'],
      report.tables.groups.rows.map((g) => [
        g.cluster,
        g.matching_field,
        g.matching_value,
        g.confidence_score,
        g.resolution_strategy,
        g.primary,
        g.members.join('; '),
      ]),
    ),
  );
  out.push(omitted(report.tables.groups));
  const notKept = report.tables.groups.rows.flatMap((g) => (g.values_not_kept ?? []).map((v) => [g.cluster, v.record, v.field, v.value, v.kept, v.survivor]));
  if (notKept.length) {
    out.push('\n### Values not kept\n');
    out.push(
      'Values of merged records that the surviving record does not hold, listed here and, in full, in the audit log (action `not_kept`) so they can be recovered.\n',
    );
    out.push(table(['cluster', 'record', 'field', 'value', 'kept instead', 'survivor'], notKept));
  }
  return out;
}

/** Changes, sync operations and conflicts. */
function changeParts(report: ReportData): string[] {
  return [
    '\n## Changes by field and rule\n',
    countsTable('field · rule', report.changes),
    '\n## Sync operations\n',
    table(
      ['system', 'action', 'status', 'count'],
      Object.entries(report.operations).map(([k, n]) => [...k.split('.'), n]),
    ),
    '\n## Conflicts\n',
    table(
      ['record', 'field', 'local value', 'Airtable value', 'type', 'resolution', 'kept'],
      report.tables.conflicts.rows.map((c) => [
        c.record_id,
        c.field_name,
        c.local_value,
        c.airtable_value,
        c.conflict_type,
        c.resolution,
        c.suggested_resolution,
      ]),
    ),
    omitted(report.tables.conflicts),
  ];
}

/** Errors by category, failed operations, rejected records, problems flagged and warnings. */
function errorParts(report: ReportData): string[] {
  const out: string[] = [];
  out.push('\n## Errors\n');
  out.push(countsTable('category', report.metrics.errors_by_category));
  out.push('\n### Failed operations\n');
  out.push(
    table(
      ['system', 'action', 'record', 'error'],
      report.tables.failures.rows.map((f) => [f.system, f.action, f.record_id, f.error]),
    ),
  );
  out.push(omitted(report.tables.failures));
  out.push('\n### Rejected records\n');
  out.push(
    table(
      ['stage', 'reason', 'where', 'message'],
      report.tables.rejects.rows.map((r) => [r.stage, r.reason, r.where, r.message]),
    ),
  );
  out.push(omitted(report.tables.rejects));
  if (report.rejects.count) out.push(`\nAll rejected records, with the full record: ${mdCode(report.rejects.file)}.\n`);
  if (Object.keys(report.problems).length) {
    out.push('\n### Problems flagged in records\n');
    out.push(countsTable('field · problem', report.problems));
  }
  if (report.warnings.length) out.push(`\n## Warnings\n\n${report.warnings.map((w) => `- ${mdText(w, 2000)}`).join('\n')}\n`);
  return out;
}

/** The stages' counts, the backups taken and the report's own files. */
function closingParts(report: ReportData): string[] {
  const out: string[] = [];
  out.push('\n## Stages\n');
  out.push(
    table(
      ['stage', 'received', 'sent', 'dropped', 'rejected', 'errored', 'ms'],
      report.stages.map((s) => [
        s.stage,
        s.received,
        s.sent,
        Object.entries(s.dropped)
          .map(([k, n]) => `${k}: ${n}`)
          .join(', '),
        s.rejected,
        s.errored,
        s.elapsed_ms,
      ]),
    ),
  );
  if (report.backup_paths.length) out.push(`\nBackups: ${report.backup_paths.map(mdCode).join(', ')}\n`);
  out.push(`\nFiles of this report: ${report.files.map(mdCode).join(', ')}\n`);
  return out;
}

export function markdownReport(report: ReportData): string {
  const out = [
    ...headerParts(report),
    ...summaryParts(report),
    ...duplicateParts(report),
    ...matchingMarkdown(report.matching, mdText),
    ...changeParts(report),
    ...errorParts(report),
    ...closingParts(report),
  ];
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}
