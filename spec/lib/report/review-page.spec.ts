import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { definePipeline } from '../../../lib/core/embed.js';
import { runPipeline } from '../../../lib/core/runner.js';
import { writeReviewPage } from '../../../lib/report/review-page.js';
import type { ReviewLine } from '../../../lib/report/review-page-lines.js';
import { launchChromium } from '../../browser.js';
import { fixture, tempDir } from '../../helpers.js';

async function* linesOf(entries: Array<Record<string, unknown>>): AsyncGenerator<ReviewLine> {
  for (const entry of entries) yield { entry };
}

const SCRIPT = '<script>window.pwned = 1</script>';
const BREAKOUT = '"><img src=x onerror="window.pwned=1">';
const RTL = '\u202Egnp.exe';
const FIELD = `x"' onmouseover="window.pwned=1`;

/** A duplicate group whose values, field names and ids are all hostile. */
function hostileGroup(): Record<string, unknown> {
  return {
    kind: 'duplicate_group',
    cluster: 'c1',
    matching_field: 'email',
    matching_value: SCRIPT,
    confidence_score: 1,
    resolution_strategy: 'manual',
    records: [
      { name: SCRIPT, title: BREAKOUT, [FIELD]: 'a', notes: RTL, ['__proto__']: 'p', _meta: { source: 'local', id: `1"><b>` } },
      { name: SCRIPT, title: 'CEO', [FIELD]: 'b', notes: 'plain', ['__proto__']: 'q', _meta: { source: 'airtable', id: "rec'2" } },
    ],
    versions: { 'local:1"><b>': 'aaaa', "airtable:rec'2": 'bbbb' },
  };
}

function hostileConflict(): Record<string, unknown> {
  return {
    kind: 'conflict',
    entity: 'e',
    field_name: `title"><script>`,
    local_value: BREAKOUT,
    airtable_value: RTL,
    record_id: 'local:9|airtable:rec9',
    last_modified_local: '2026-01-02T03:04:05.000Z',
    last_modified_airtable: `<script>`,
    conflict_type: 'value_mismatch',
    suggested_resolution: 'keep_airtable',
    resolution: 'manual',
  };
}

describe('report: the review page', () => {
  it('writes no page when the run left nothing to review', async () => {
    const file = path.join(tempDir('review-page-'), 'review.html');
    expect(await writeReviewPage(linesOf([]), file, { runId: 'r' })).to.equal(undefined);
    expect(fs.existsSync(file)).to.equal(false);
  });

  it('escapes every value, field name and id: no markup from a lead survives, and direction overrides are shown, not obeyed', async () => {
    const file = path.join(tempDir('review-page-'), 'review.html');
    const counts = await writeReviewPage(linesOf([hostileGroup(), hostileConflict()]), file, { runId: 'run"<x>' });
    expect(counts).to.deep.include({ groups: 1, conflicts: 1 });
    const html = fs.readFileSync(file, 'utf8');
    expect(html.match(/<script/g)).to.have.length(1); // the page's own
    expect(html).not.to.contain('<img');
    expect(html).not.to.contain('<b>');
    expect(html).not.to.contain('onmouseover="');
    expect(html).not.to.contain('\u202E');
    expect(html).to.contain('U+202E');
    expect(html).to.contain('&lt;script&gt;window.pwned = 1&lt;/script&gt;');
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
  });

  it('masks values that look like secrets, but keeps the ids and versions a decision names exactly', async () => {
    const token = 'patAbCdEfGhIjKlMn.0123456789abcdef0123456789abcdef0123456789abcdef';
    const id = 'keyAbCdEfGhIjKlMn'; // shaped like a legacy Airtable API key
    const group = hostileGroup();
    const records = group.records as Array<Record<string, unknown>>;
    records[0] = { ...records[0], notes: `call with ${token}`, _meta: { source: 'local', id } };
    group.versions = { [`local:${id}`]: 'cccc', "airtable:rec'2": 'bbbb' };
    const file = path.join(tempDir('review-page-'), 'review.html');
    await writeReviewPage(linesOf([group]), file, { runId: 'secrets' });
    const html = fs.readFileSync(file, 'utf8');
    expect(html).not.to.contain(token);
    expect(html).to.contain('call with [REDACTED]');
    expect(html).to.contain(`data-records="[&quot;local:${id}&quot;,`);
    expect(html).to.contain(`data-seen="{&quot;local:${id}&quot;:&quot;cccc&quot;,`);
  });

  it('says why a group was formed: the key and value, or similarity with its score, and the fields every record shares', async () => {
    const file = path.join(tempDir('review-page-'), 'review.html');
    const records = [
      { name: 'Ada Lovelace', company: 'Analytical', title: 'CEO', _meta: { source: 'local', id: '1', modified_at: '2025-03-04T05:06:07.000Z' } },
      { name: 'Ada Lovelace', company: 'Analytical', title: null, _meta: { source: 'airtable', id: 'rec2' } },
    ];
    const fuzzy = { kind: 'duplicate_group', matching_field: 'fuzzy', matching_value: '', confidence_score: 0.91, records };
    const exact = { ...fuzzy, matching_field: 'email', matching_value: 'ada@analytical.io', confidence_score: 1 };
    await writeReviewPage(linesOf([fuzzy, exact]), file, { runId: 'why' });
    const html = fs.readFileSync(file, 'utf8');
    const text = (card: number) => /<p class="evidence">(.*?)<\/p>/.exec(html.split(`id="card-${card}"`)[1]!)![1]!.replace(/<[^>]+>/g, '');
    expect(text(1)).to.equal('Matched by similarity of their fields, score 0.91. Same in every record: name company.');
    expect(text(2)).to.equal('Matched on the same email ada@analytical.io, score 1. Same in every record: name company.');
    expect(html).to.contain('modified <time datetime="2025-03-04T05:06:07.000Z" title="2025-03-04T05:06:07.000Z">2025-03-04 05:06 UTC</time>');
    expect(html).to.contain('modified: not recorded');
    expect(html.match(/<tr class="differs" data-field="title">/g)).to.have.length(2);
  });

  it('shows only the groups this run appended to the review file, not those earlier runs left there', async () => {
    const dir = tempDir('review-page-run-');
    const review = path.join(dir, 'review', 'duplicates.jsonl');
    const reports = path.join(dir, 'reports');
    const pipeline = definePipeline(
      [
        { 'read-jsonl': { path: fixture('report', 'duplicate-leads.jsonl') } },
        { normalize: {} },
        { fingerprint: {} },
        { dedupe: { resolution_strategy: 'manual', review_file: review } },
        { report: { directory: reports } },
      ],
      { rejects: path.join(dir, 'rejects.jsonl') },
    );
    for (const runId of ['first', 'second']) await runPipeline(pipeline, { runId });
    expect(fs.readFileSync(review, 'utf8').trim().split('\n')).to.have.length(4);
    for (const runId of ['first', 'second']) {
      const page = fs.readFileSync(path.join(reports, runId, 'review.html'), 'utf8');
      expect(page.match(/<article class="card group"/g), runId).to.have.length(2);
      expect(page).to.contain(`Run <code>${runId}</code>`);
    }
    const report = JSON.parse(fs.readFileSync(path.join(reports, 'second', 'report.json'), 'utf8')) as { files: string[] };
    expect(report.files).to.include('review.html');
  });

  it('writes no review page for a run that leaves nothing for a person', async () => {
    const dir = tempDir('review-page-none-');
    const reports = path.join(dir, 'reports');
    const pipeline = definePipeline(
      [
        { 'read-jsonl': { path: fixture('report', 'duplicate-leads.jsonl') } },
        { fingerprint: {} },
        { dedupe: { resolution_strategy: 'merge', review_file: path.join(dir, 'duplicates.jsonl') } },
        { report: { directory: reports } },
      ],
      { rejects: path.join(dir, 'rejects.jsonl') },
    );
    await runPipeline(pipeline, { runId: 'merged' });
    expect(fs.existsSync(path.join(reports, 'merged', 'report.html'))).to.equal(true);
    expect(fs.existsSync(path.join(reports, 'merged', 'review.html'))).to.equal(false);
  });

  describe('in a real browser', function () {
    this.timeout(120_000);
    let browser: Browser;
    before(async () => {
      browser = await launchChromium();
    });
    after(async () => {
      await browser?.close();
    });

    it('runs no markup from a lead and exports hostile ids and field names exactly', async () => {
      const file = path.join(tempDir('review-page-browser-'), 'review.html');
      await writeReviewPage(linesOf([hostileGroup(), hostileConflict()]), file, { runId: 'hostile' });
      const page = await browser.newPage({ acceptDownloads: true });
      const problems: string[] = [];
      page.on('dialog', (d) => problems.push(`dialog: ${d.message()}`));
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
      await page.goto(pathToFileURL(file).href);
      await page.locator('#card-1 tr.differs').first().hover();
      expect(await page.evaluate('window.pwned')).to.equal(undefined);
      expect(await page.locator('#cards img, #cards b, #cards script').count()).to.equal(0);
      const group = await page.locator('#card-1').innerText();
      expect(group).to.contain(SCRIPT).and.contain(BREAKOUT).and.contain('U+202Egnp.exe');
      expect(await page.locator('#card-2 h2').innerText()).to.contain('title"><script>');

      await page.keyboard.press('j');
      await page.keyboard.press('2');
      await page.keyboard.press('j');
      await page.keyboard.press('t');
      await page.keyboard.type(SCRIPT);
      await page.keyboard.press('Enter');
      const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('e')]);
      const exported = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
      expect(download.suggestedFilename()).to.equal('decisions-hostile.json');
      expect(exported).to.deep.equal({
        format: 'lead-maintenance-decisions',
        version: 1,
        decisions: [
          {
            type: 'duplicates',
            records: ['local:1"><b>', "airtable:rec'2"],
            seen: { 'local:1"><b>': 'aaaa', "airtable:rec'2": 'bbbb' },
            action: 'merge',
            survivor: "airtable:rec'2",
            values: {
              title: { from: "airtable:rec'2" },
              [FIELD]: { from: "airtable:rec'2" },
              notes: { from: "airtable:rec'2" },
              ['__proto__']: { from: "airtable:rec'2" },
            },
          },
          { type: 'conflict', local: '9', airtable: 'rec9', field: 'title"><script>', seen: {}, choice: 'value', value: SCRIPT },
        ],
      });
      expect(problems).to.deep.equal([]);
      await page.close();
    });

    it('exports a typed value as a number where the field holds numbers, and as text elsewhere', async () => {
      const file = path.join(tempDir('review-page-'), 'review.html');
      const conflict = { ...hostileConflict(), field_name: 'lead_score', local_value: 10, airtable_value: 20 };
      const text = { ...hostileConflict(), field_name: 'title', local_value: 'A', airtable_value: 'B' };
      await writeReviewPage(linesOf([conflict, text]), file, { runId: 'numbers' });
      const page = await browser.newPage({ acceptDownloads: true });
      await page.goto(pathToFileURL(file).href);
      await page.locator('#card-1 input.typed').fill('42');
      await page.locator('#card-2 input.typed').fill('42');
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export').click()]);
      const { decisions } = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
      expect(decisions.map((d: { field: string; value: unknown }) => [d.field, d.value])).to.deep.equal([
        ['lead_score', 42],
        ['title', '42'],
      ]);
      await page.close();
    });

    it('handles a few thousand cards: counts them, filters to one, and finds the next undecided', async () => {
      const entries = Array.from({ length: 3000 }, (_, i) => ({
        ...hostileConflict(),
        field_name: 'title',
        local_value: `Lead ${i} local`,
        airtable_value: `Lead ${i} airtable`,
        record_id: `local:${i}|airtable:rec${i}`,
      }));
      const file = path.join(tempDir('review-page-many-'), 'review.html');
      expect(await writeReviewPage(linesOf(entries), file, { runId: 'many' })).to.deep.include({ conflicts: 3000 });
      const page = await browser.newPage();
      await page.goto(pathToFileURL(file).href);
      expect(await page.locator('#counter').innerText()).to.equal('0 of 3000 decided, 3000 undecided');
      await page.keyboard.press('j');
      await page.keyboard.press('1');
      await page.keyboard.press('n');
      expect(await page.locator('article.current').getAttribute('id')).to.equal('card-2');
      await page.fill('#filter', 'REC2999 airtable');
      expect(await page.locator('article.card:visible').count()).to.equal(1);
      expect(await page.locator('#status').innerText()).to.equal('1 of 3000 card(s) shown.');
      await page.keyboard.press('Enter');
      await page.keyboard.press('2');
      expect(await page.locator('#counter').innerText()).to.equal('2 of 3000 decided, 2998 undecided');
      await page.close();
    });
  });
});
