import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
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
});
