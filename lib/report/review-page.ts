import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { CSP, STYLE } from './html.js';
import { redactStrings } from './output.js';
import { conflictCard, groupCard } from './review-page-cards.js';
import type { ReviewLine } from './review-page-lines.js';
import { REVIEW_SCRIPT } from './review-page-script.js';
import { escapeHtml } from './svg.js';

/**
 * The review page (`review.html` beside the report): one card per duplicate group or conflict a
 * run left for a person, where they choose, and a button that downloads their decisions as a
 * file for `db-maintenance --apply-decisions`. Self-contained like the report: the report's
 * Content-Security-Policy, plus this page's one inline script allowed by its hash. Written as the
 * review lines are read, a batch of cards at a time, so a run with thousands of them holds only
 * the batch.
 */

const SCRIPT_HASH = `'sha256-${createHash('sha256').update(REVIEW_SCRIPT).digest('base64')}'`;
const PAGE_CSP = `${CSP}; script-src ${SCRIPT_HASH}`;

/** Cards rendered between writes (and redacted together, which costs one pass over the environment). */
const BATCH = 200;

const PAGE_STYLE = `
.bar{position:sticky;top:0;z-index:2;background:#f6f7f9;border-bottom:1px solid #d7dce2;padding:8px 0;display:flex;flex-wrap:wrap;gap:8px;align-items:center}
.bar input[type=search]{flex:1 1 200px;min-width:0;font:inherit;padding:5px 8px;border:1px solid #b9c1ca;border-radius:4px}
.bar select,.bar button{font:inherit;padding:5px 10px;border:1px solid #b9c1ca;border-radius:4px;background:#fff}
.bar button.primary{background:#2f5fb3;border-color:#2f5fb3;color:#fff}.bar button.primary kbd{background:#2f5fb3;color:#fff;border-color:#9ab5ee}
#counter{font-weight:600}#status{color:#56606b;flex-basis:100%;min-height:1em;margin:0}
details.keys{margin:8px 0}details.keys ul{margin:4px 0;padding-left:18px}
kbd{font:12px ui-monospace,monospace;border:1px solid #b9c1ca;border-bottom-width:2px;border-radius:3px;padding:0 4px;background:#fff}
.card{background:#fff;border:1px solid #d7dce2;border-left:4px solid #d6a23c;border-radius:6px;margin:12px 0;padding:8px 12px;content-visibility:auto;contain-intrinsic-size:auto 320px;scroll-margin-top:110px}
.card.decided{border-left-color:#3f9d5a}.card.current{outline:2px solid #2f5fb3;outline-offset:1px}.card:focus{outline:2px solid #2f5fb3}
.card header{display:flex;flex-wrap:wrap;justify-content:space-between;gap:4px 12px;align-items:baseline}
.card h2{font-size:15px;margin:0;border:0;padding:0}.card .n{color:#56606b;font-weight:400;margin-right:4px}
.state{font-size:12px;color:#8a5d00}.decided .state{color:#2a7a42}
.evidence{margin:4px 0 8px;color:#3c4650;overflow-wrap:anywhere}
.card table{table-layout:fixed}.card th.field{width:22%}.card th,.card td{overflow-wrap:anywhere;white-space:normal}
.card td:has(input:checked),th.member:has(input:checked){background:#e6f4ea}
tr.differs>*{background:#fff6e0}tr.differs th{background:#fdeec8}
.not-duplicates tr.differs>*{background:#f3f4f6}
th.member{white-space:normal;font-weight:400}
label.keep{display:block;font-weight:600;cursor:pointer}
.sys{display:inline-block;white-space:nowrap;overflow-wrap:normal;font-size:11px;font-weight:600;border-radius:3px;padding:0 5px;margin-right:4px;text-transform:uppercase}.sys.lo{background:#e3ecfb;color:#244a8f}.sys.at{background:#e6f4ea;color:#1f6b35}
.mod{display:block;color:#56606b;font-size:12px}
td label{display:block;cursor:pointer}
label.other{display:flex;align-items:center;gap:2px;font-weight:400;margin-top:4px}
input.typed{font:inherit;flex:1 1 auto;width:100%;min-width:0;box-sizing:border-box;padding:2px 4px;border:1px solid #b9c1ca;border-radius:3px}
.empty{color:#8a939c;font-style:italic}
bdi.v{unicode-bidi:isolate;white-space:pre-wrap}
.ctl{font:11px ui-monospace,monospace;color:#b3261e;border:1px solid #e5a29b;border-radius:2px;padding:0 2px}
.pick{margin-top:4px}
.actions{display:flex;flex-wrap:wrap;gap:4px 16px;margin:8px 0 2px}.hint{color:#56606b}
@media (max-width:600px){.bar{position:static}.bar kbd{display:none}.sys{font-size:9px;padding:0 3px}.card{padding:6px 8px;scroll-margin-top:0}.card th.field{width:30%}.card table{font-size:12px}th,td{padding:4px 5px}}
`;

export interface ReviewPageSettings {
  runId: string;
  /** The name the exported file is offered under. */
  downloadName?: string;
}

/** How many cards of each kind a written page holds, and the lines it could not read. */
export interface ReviewPageCounts {
  groups: number;
  conflicts: number;
  unreadable: string[];
}

function head(settings: ReviewPageSettings, file: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${PAGE_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Review: run ${escapeHtml(settings.runId)}</title>
<style>${STYLE}${PAGE_STYLE}</style></head>
<body data-file="${escapeHtml(file)}"><main>
<h1>Duplicates and conflicts to review</h1>
<p class="meta">Run <code>${escapeHtml(settings.runId)}</code> left these for a person. Choose on each card, then <strong>Export decisions</strong>: it downloads <code>${escapeHtml(file)}</code>, which <code>db-maintenance --apply-decisions FILE</code> applies. This page changes nothing itself.</p>
<div class="bar" role="search">
<input type="search" id="filter" placeholder="Filter: name, email, field, id…" aria-label="Filter cards">
<select id="show" aria-label="Cards shown"><option value="all">all cards</option><option value="undecided">undecided</option><option value="decided">decided</option><option value="duplicates">duplicate groups</option><option value="conflict">conflicts</option></select>
<button type="button" id="next">Next undecided <kbd>n</kbd></button>
<button type="button" id="export" class="primary">Export decisions <kbd>e</kbd></button>
<span id="counter" aria-live="polite"></span>
<p id="status" role="status"></p>
</div>
<details class="keys" id="keys"><summary>Keys <kbd>?</kbd></summary><ul>
<li><kbd>j</kbd> / <kbd>k</kbd>: next / previous card; <kbd>n</kbd>: next undecided card</li>
<li>Duplicate group: <kbd>1</kbd>–<kbd>9</kbd> keep that record (each differing field takes its value, or the first value a record has, until you pick another), <kbd>x</kbd> not duplicates</li>
<li>In a field's row (<kbd>Tab</kbd> to it): <kbd>1</kbd>–<kbd>9</kbd> take that record's value, <kbd>t</kbd> type one</li>
<li>Conflict: <kbd>1</kbd> local, <kbd>2</kbd> Airtable</li>
<li><kbd>t</kbd>: type a value (Enter or Esc returns to the card); <kbd>u</kbd>: undo the card's choice</li>
<li><kbd>/</kbd>: filter; <kbd>e</kbd>: export decisions; <kbd>?</kbd>: this list. Tab and the arrow keys move between the choices.</li>
</ul></details>
<section id="cards">
`;
}

function tail(counts: ReviewPageCounts): string {
  const unreadable = counts.unreadable.length
    ? `<p class="banner alert" role="alert">${counts.unreadable.length} review line(s) could not be read and have no card: ${counts.unreadable.slice(0, 5).map(escapeHtml).join(', ')}${counts.unreadable.length > 5 ? ', …' : ''}</p>`
    : '';
  return `</section>
${unreadable}<p class="meta">${counts.groups} duplicate group(s), ${counts.conflicts} conflict(s).</p>
</main><script>${REVIEW_SCRIPT}</script></body></html>
`;
}

/**
 * A redacted line with the identity of its records as written (ids, versions): the values shown
 * are masked where they look like secrets, but a decision must name the records exactly.
 */
function withIdentity(shown: Record<string, unknown>, line: Record<string, unknown>): Record<string, unknown> {
  const entry: Record<string, unknown> = { ...shown, versions: line.versions, record_id: line.record_id };
  if (Array.isArray(line.records) && Array.isArray(shown.records))
    entry.records = shown.records.map((r: Record<string, unknown>, i) => ({ ...r, _meta: (line.records as Array<Record<string, unknown>>)[i]?._meta }));
  return entry;
}

/**
 * Writes the review page of `lines` to `file` (private to the user, as the review files are),
 * or nothing when no line asks for a decision. Returns what it holds, or undefined when not written.
 */
export async function writeReviewPage(lines: AsyncIterable<ReviewLine>, file: string, settings: ReviewPageSettings): Promise<ReviewPageCounts | undefined> {
  const counts: ReviewPageCounts = { groups: 0, conflicts: 0, unreadable: [] };
  const downloadName = settings.downloadName ?? `decisions-${settings.runId.replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
  let fd: number | undefined;
  let batch: Array<Record<string, unknown>> = [];
  const writeBatch = (): void => {
    if (!batch.length) return;
    fd ??= fs.openSync(file, 'w', 0o600);
    if (counts.groups + counts.conflicts === 0) fs.writeSync(fd, head(settings, downloadName));
    const html = redactStrings(batch).map((shown, i) => {
      const entry = withIdentity(shown, batch[i]!);
      if (entry.kind === 'conflict') return conflictCard(counts.groups + ++counts.conflicts, entry);
      return groupCard(++counts.groups + counts.conflicts, entry);
    });
    fs.writeSync(fd, html.join(''));
    batch = [];
  };
  try {
    for await (const line of lines) {
      if ('unreadable' in line) counts.unreadable.push(line.unreadable);
      else if (line.entry.kind === 'duplicate_group' || line.entry.kind === 'conflict') batch.push(line.entry);
      if (batch.length >= BATCH) writeBatch();
    }
    writeBatch();
    if (fd === undefined) return undefined;
    fs.writeSync(fd, tail(counts));
    return counts;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
