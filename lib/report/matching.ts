import type { MatchingFindings } from '../core/findings.js';
import { barChart, escapeHtml } from './svg.js';

/**
 * The report's section on fuzzy matching: the weights dedupe learned per field and comparison
 * level (m, u and the match weight log2 m/u), and a histogram of the scores of the pairs it
 * compared, in Markdown and HTML.
 */

/** One row of the weights table: field, level, m, u, weight, as text. */
export function weightRows(matching: MatchingFindings): string[][] {
  return (matching.model?.weights ?? []).map((w) => [w.field, w.level, w.m.toPrecision(3), w.u.toPrecision(3), signed(w.weight)]);
}

/** The histogram's bands as labelled counts (`0.90–0.95`), lowest first. */
export function scoreBands(matching: MatchingFindings): { label: string; count: number }[] {
  const width = 1 / Math.max(matching.histogram.length, 1);
  return matching.histogram.map((count, i) => ({ label: `${(i * width).toFixed(2)}–${((i + 1) * width).toFixed(2)}`, count }));
}

const signed = (x: number): string => (x >= 0 ? `+${x.toFixed(2)}` : x.toFixed(2));

function intro(matching: MatchingFindings): string {
  const how =
    matching.scoring === 'learned'
      ? `Pairs were scored by match weights learned from the records (prior of a random pair ${matching.model?.prior.toPrecision(3) ?? 'unknown'}); a pair is one person at a match probability of ${matching.threshold} or more.`
      : `Pairs were scored by the configured field weights; a pair is one person at a score of ${matching.threshold} or more.`;
  const compared = matching.histogram.reduce((s, n) => s + n, 0);
  return `${how} ${compared} pair(s) were compared; a pair ruled out (contradicting identifiers) or given up below the threshold counts in the lowest band.`;
}

/** The first pairs matched by score as rows: the two records, the score, the fields that decided it. */
export function firstPairRows(matching: MatchingFindings): string[][] {
  return (matching.first_pairs ?? []).map((p) => [p.ids.join(' and '), p.score.toFixed(4), p.decided_by.join(', ')]);
}

const FIRST_PAIRS_TITLE = 'First pairs matched by score, and the fields that decided them';

/** The section in Markdown (none when dedupe did not run); `text` makes a value literal Markdown (numbers are written as they are). */
export function matchingMarkdown(matching: MatchingFindings | undefined, text: (value: unknown, maxLength?: number) => string): string[] {
  if (!matching) return [];
  const out = ['\n## Fuzzy matching\n', `${text(intro(matching), 2000)}\n`];
  const rows = weightRows(matching);
  if (rows.length) {
    out.push('\n### Match weights per field and level\n');
    out.push(
      [
        '| field | level | m | u | weight |',
        '| --- | --- | --- | --- | --- |',
        ...rows.map(([field, level, ...numbers]) => `| ${text(field)} | ${text(level)} | ${numbers.join(' | ')} |`),
      ].join('\n') + '\n',
    );
  }
  const first = firstPairRows(matching);
  if (first.length) {
    out.push(`\n### ${FIRST_PAIRS_TITLE}\n`);
    out.push(
      [
        '| records | score | decided by |',
        '| --- | --- | --- |',
        ...first.map(([ids, score, fields]) => `| ${text(ids)} | ${score} | ${text(fields, 500)} |`),
      ].join('\n') + '\n',
    );
  }
  out.push('\n### Scores of the compared pairs\n');
  const bands = scoreBands(matching);
  const max = Math.max(1, ...bands.map((b) => b.count));
  out.push(
    ['| score | pairs | |', '| --- | --- | --- |', ...bands.map((b) => `| ${b.label} | ${b.count} | ${'█'.repeat(Math.ceil((b.count / max) * 30))} |`)].join(
      '\n',
    ) + '\n',
  );
  return out;
}

/** The section in HTML (empty when dedupe did not run); `table` renders headers and rows. */
export function matchingHtml(matching: MatchingFindings | undefined, table: (headers: string[], rows: string[][]) => string): string {
  if (!matching) return '';
  const rows = weightRows(matching);
  const weights = rows.length ? `<h3>Match weights per field and level</h3>${table(['field', 'level', 'm', 'u', 'weight'], rows)}` : '';
  const first = firstPairRows(matching);
  const firstPairs = first.length ? `<h3>${FIRST_PAIRS_TITLE}</h3>${table(['records', 'score', 'decided by'], first)}` : '';
  const histogram = barChart(
    'Scores of the compared pairs',
    scoreBands(matching)
      .reverse()
      .map((b) => ({ label: b.label, value: b.count, tone: 'neutral' })),
    matching.histogram.length,
  );
  return `<h2>Fuzzy matching</h2><p>${escapeHtml(intro(matching))}</p>${weights}${firstPairs}<section class="charts">${histogram}</section>`;
}
