import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { Lead } from '../../../lib/core/record.js';
import { launchChromium } from '../../browser.js';
import { fixture, ROOT, runStage, tempDir } from '../../helpers.js';

const ARTIFACTS = path.join(ROOT, 'spec', 'artifacts');

function mixedRun(): Lead[] {
  return fs
    .readFileSync(fixture('report', 'mixed-run.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

/** The words of table cells that the layout split across two lines, as `cell text: word`. */
function wordsBrokenAcrossLines(page: Page): Promise<string[]> {
  // A word ends at a space, or after a hyphen or slash (where text may wrap). Runs in the page,
  // as text: the specs are compiled without the DOM's types.
  return page.evaluate(`(() => {
    const broken = [];
    for (const cell of document.querySelectorAll('th, td')) {
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const word of (node.textContent ?? '').matchAll(/[^\\s/-]+[/-]?/g)) {
          const range = document.createRange();
          range.setStart(node, word.index);
          range.setEnd(node, word.index + word[0].length);
          const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
          if (tops.size > 1) broken.push(cell.textContent + ': ' + word[0]);
        }
      }
    }
    return broken;
  })()`);
}

/** A run whose values and chart labels are as long as real ones get. */
async function longValuesReport(dir: string): Promise<string> {
  const items = mixedRun();
  const group = items[0] as unknown as { resolution_strategy: string; matching_value: string };
  group.resolution_strategy = 'most_recent';
  group.matching_value = 'jean-francois.tremblay-desrosiers@entreprises-quebecoises-reunies.example.ca';
  const change = {
    name: 'Jean-François Tremblay',
    _meta: {
      source: 'local',
      id: '9',
      changes: [{ field: 'engagement_status_last_updated_by_automation', old: 'a', new: 'b', rule: 'field_defaults.apply_field_defaults' }],
    },
  };
  await runStage('report', { directory: dir, fail_on_alert: false }, [...items, change as unknown as Lead], { runId: 'run-long-values' });
  return pathToFileURL(path.join(dir, 'latest', 'report.html')).href;
}

describe('report: the HTML page in a real browser', function () {
  this.timeout(60_000);
  let browser: Browser;

  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  it("renders with no console error and no request but the page, shows the run's counts, charts and tables", async () => {
    const dir = tempDir('report-html-');
    const rejects = path.join(dir, 'rejects.jsonl');
    fs.copyFileSync(fixture('report', 'rejects.jsonl'), rejects);
    // Hostile values in the data must stay text: no element, no request.
    const items = mixedRun();
    (items[0] as unknown as { records: Lead[] }).records[1].name = '<img src="http://127.0.0.1:9/pixel.png"><script>console.error("injected")</script>';
    await runStage('report', { directory: dir, fail_on_alert: false }, items, { runId: 'run-fixture', rejects });
    const file = path.join(dir, 'latest', 'report.html');
    const url = pathToFileURL(file).href;

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(url, { waitUntil: 'load' });

    const kpi = async (name: string): Promise<string> => (await page.locator(`[data-metric="${name}"] .value`).innerText()).trim();
    expect(await kpi('duplicates_removed')).to.equal('2');
    expect(await kpi('records_standardized')).to.equal('2');
    expect(await kpi('records_synchronized')).to.equal('2');
    expect(await kpi('conflicts_resolved')).to.equal('1');
    expect(await kpi('conflicts_manual')).to.equal('1');
    expect(await kpi('operations_failed')).to.equal('1');
    expect(await kpi('records_rejected')).to.equal('2');
    expect(await kpi('success_rate')).to.equal('80%');
    expect(await page.getByRole('alert').innerText()).to.contain('Error rate 50% is over the threshold of 5%');

    const charts = page.locator('figure.chart svg[role="img"]');
    expect(await charts.evaluateAll((svgs) => svgs.map((s) => s.getAttribute('aria-label')))).to.deep.equal([
      'Duplicates by match key',
      'Changes by field and rule',
      'Sync operations by system, action and status',
      'Conflicts and errors',
    ]);
    for (const chart of await charts.all()) expect(await chart.isVisible()).to.equal(true);
    expect(await page.locator('figure.chart').first().locator('text.value').allTextContents()).to.deep.equal(['1', '1']);

    expect(await page.locator('#groups tbody tr').count()).to.equal(2);
    expect(await page.locator('#groups').innerText()).to.contain('<img src="http://127.0.0.1:9/pixel.png">');
    expect(await page.locator('#groups img, #groups script').count()).to.equal(0);
    expect(await page.locator('#conflicts tbody tr').allInnerTexts()).to.satisfy((rows: string[]) =>
      rows.some((r) => r.includes('phone') && r.includes('manual')),
    );
    expect(await page.locator('#rejects tbody tr').count()).to.equal(2);
    expect(await page.locator('#failures').innerText()).to.contain('422 INVALID_VALUE_FOR_COLUMN');

    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(fs.statSync(shot).size).to.be.greaterThan(10_000);
    await page.close();

    expect(errors).to.deep.equal([]);
    expect(requests).to.deep.equal([url]);
  });

  for (const width of [390, 1440]) {
    it(`reads at ${width} px: no page-wide horizontal scroll, no word split inside a table, full chart labels on hover`, async () => {
      const url = await longValuesReport(tempDir('report-layout-'));
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await page.goto(url, { waitUntil: 'load' });

      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, `report-${width}px.png`), fullPage: true });
      expect(await page.evaluate('document.documentElement.scrollWidth'), 'page width').to.be.at.most(width);
      expect(await wordsBrokenAcrossLines(page)).to.deep.equal([]);

      const labels = await page.locator('figure.chart svg g.bar').evaluateAll((groups) =>
        groups.map((g) => {
          const text = g.querySelector('text');
          const shown = [...(text?.childNodes ?? [])].filter((n) => n.nodeType === 3).map((n) => n.textContent);
          const left = (text as unknown as { getBBox(): { x: number } }).getBBox().x;
          return { shown: shown.join(''), hover: text?.querySelector('title')?.textContent ?? '', left };
        }),
      );
      const cut = labels.filter((l) => l.shown.endsWith('…'));
      expect(cut.map((l) => l.hover)).to.include('engagement_status_last_updated_by_automation · field_defaults.apply_field_defaults: 1');
      for (const label of cut) expect(label.hover.startsWith(label.shown.slice(0, -1)), label.hover).to.equal(true);
      for (const label of labels) expect(label.left, `"${label.shown}" starts inside its chart`).to.be.at.least(0);
      await page.close();
    });
  }
});
