/**
 * Horizontal bar charts as inline SVG: no script, no font or image from anywhere, readable
 * without colour (every bar carries its number), and bounded (past `maxBars` the rest is one
 * "other" bar).
 */
export interface Bar {
  label: string;
  value: number;
  /** A CSS class for the bar's colour (`ok`, `bad`, `neutral`, `warn`). */
  tone?: string;
}

export function escapeHtml(value: unknown): string {
  const text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

// Narrow enough that on a phone, where the chart shrinks to the screen, its text stays readable.
const WIDTH = 440;
const LABEL = 200;
const BAR_MAX = 180;
const ROW = 22;

function clip(text: string, max = 24): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function barChart(title: string, bars: Bar[], maxBars = 15): string {
  const shown = bars.slice(0, maxBars);
  const rest = bars.slice(maxBars);
  if (rest.length) shown.push({ label: `other (${rest.length})`, value: rest.reduce((t, b) => t + b.value, 0), tone: 'neutral' });
  const height = Math.max(1, shown.length) * ROW + 12;
  const max = Math.max(1, ...shown.map((b) => b.value));
  const rows = shown.map((bar, i) => {
    const y = 6 + i * ROW;
    const width = bar.value > 0 ? Math.max(2, Math.round((bar.value / max) * BAR_MAX)) : 0;
    return (
      `<g class="bar ${escapeHtml(bar.tone ?? '')}"><title>${escapeHtml(bar.label)}: ${bar.value}</title>` +
      // The label's own <title>: a cut label shows in full where the pointer is.
      `<text x="${LABEL - 8}" y="${y + 15}" text-anchor="end"><title>${escapeHtml(bar.label)}: ${bar.value}</title>${escapeHtml(clip(bar.label))}</text>` +
      `<rect x="${LABEL}" y="${y + 3}" width="${width}" height="${ROW - 6}" rx="2"></rect>` +
      `<text x="${LABEL + width + 6}" y="${y + 15}" class="value">${bar.value}</text></g>`
    );
  });
  const body = shown.length ? rows.join('') : `<text x="${LABEL}" y="${6 + 15}" class="empty">none</text>`;
  return (
    `<figure class="chart"><figcaption>${escapeHtml(title)}</figcaption>` +
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}">${body}</svg></figure>`
  );
}
