import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../browser.js';
import { type Own, reviewedCopy } from '../../bin/review-support.js';
import { ROOT } from '../../helpers.js';

/**
 * The review page as a user meets it: `db-maintenance --sync-data --sample` with duplicates and
 * conflicts left for a person, then review.html in a real browser, choices made with clicks and
 * keys, and the decisions file it downloads.
 */

const ARTIFACTS = path.join(ROOT, 'spec', 'artifacts');

type Entry = Record<string, unknown>;
type Member = Entry & { _meta: { source: string; id: string } };

function linesOf(file: string): Entry[] {
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Entry);
}

const isEmpty = (v: unknown): boolean => v === null || v === undefined || (typeof v === 'string' && !v.trim());
const refOf = (m: Member): string => `${m._meta.source}:${m._meta.id}`;

/** The fields a group's members hold different values in (an empty value and a missing one are the same). */
function differingFields(members: Member[]): string[] {
  const names = [...new Set(members.flatMap((m) => Object.keys(m).filter((k) => k !== '_meta')))];
  return names.filter((f) => {
    const values = members.map((m) => (isEmpty(m[f]) ? null : JSON.stringify(m[f])));
    return new Set(values).size > 1;
  });
}

/** Where a kept record's group takes each differing field when no one picks: its own value, else the first a member has. */
function defaultSources(members: Member[], survivor: number): Record<string, { from: string }> {
  return Object.fromEntries(
    differingFields(members).map((f) => {
      const from = isEmpty(members[survivor]![f]) ? members.find((m) => !isEmpty(m[f]))! : members[survivor]!;
      return [f, { from: refOf(from) }];
    }),
  );
}

const idsOf = (conflict: Entry): { local: string; airtable: string } => {
  const [local, airtable] = String(conflict.record_id).split('|');
  return { local: local!.slice('local:'.length), airtable: airtable!.slice('airtable:'.length) };
};

async function press(page: Page, ...keys: string[]): Promise<void> {
  for (const key of keys) await page.keyboard.press(key);
}

describe('report: the review page of a run with duplicates and conflicts left for a person', function () {
  this.timeout(240_000);
  let browser: Browser;
  let dataDir: string;
  let own: Own | undefined;
  let url: string;

  before(async () => {
    own = await reviewedCopy(4);
    dataDir = own.data;
    url = pathToFileURL(path.join(dataDir, 'reports', 'latest', 'review.html')).href;
    expect(fs.readFileSync(path.join(dataDir, 'reports', 'latest', 'report.html'), 'utf8')).to.contain('<a href="review.html">review.html</a>');
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await own?.sample.close();
  });

  it('exports exactly the decisions made with clicks and keys, and nothing for the cards left undecided', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(url);
    // The page shows the latest run's lines: the review files also hold the earlier run's.
    const groups = linesOf(path.join(dataDir, 'review', 'duplicates.jsonl')).slice(-(await page.locator('article.group').count()));
    const conflicts = linesOf(path.join(dataDir, 'review', 'conflicts.jsonl')).slice(-(await page.locator('article.conflict').count()));
    expect(groups.length).to.be.at.least(3);
    expect(conflicts.length).to.be.at.least(4);
    const total = groups.length + conflicts.length;
    expect(await page.locator('#counter').innerText()).to.equal(`0 of ${total} decided, ${total} undecided`);

    // Group 1: keep its second record (key 2), take the first field that differs from record 1 (a click), type the
    // second, take the third from record 3 (Tab to its row, key 3).
    const first = groups[0]!.records as Member[];
    const differing = differingFields(first);
    expect(differing.length, 'fields that differ in the first group').to.be.at.least(3);
    await press(page, 'j', '2');
    const rows = page.locator('#card-1 tr.differs');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-field')))).to.deep.equal(differing);
    await rows.nth(0).locator('td').nth(0).locator('label').click();
    await rows.nth(1).locator('input.typed').fill('Typed by hand');
    await rows.nth(2).locator('td input').first().focus();
    await press(page, '3');
    // Group 2: not duplicates (a click). Group 3: kept, then undone with u: it stays undecided.
    await page.locator('#card-2 .actions label').click();
    await page.locator('#card-3 th.member label.keep').first().click();
    await press(page, 'Escape', 'u');
    expect(await page.locator('#card-3 .state').innerText()).to.equal('undecided');

    // Conflict 1 found with the filters, Airtable's value (key 2); conflict 2 a typed value; conflict 3 local (j, then 1).
    const [c1, c2, c3, c4] = conflicts.map(idsOf);
    const n = groups.length;
    // (A group may hold the same local record: show conflicts only.)
    await page.selectOption('#show', 'conflict');
    await press(page, '/');
    await page.keyboard.type(c1!.local);
    await press(page, 'Enter', '2');
    await page.fill('#filter', '');
    await page.selectOption('#show', 'all');
    await page.locator(`#card-${n + 2} input.typed`).fill('Typed & <value>');
    await press(page, 'Escape', 'j', '1');
    await press(page, 'n');
    expect(await page.locator('article.current').getAttribute('id')).to.equal(`card-${n + 4}`);
    expect(await page.locator(`#card-${n + 4}`).getAttribute('data-local')).to.equal(c4!.local);
    expect(await page.locator('#counter').innerText()).to.equal(`5 of ${total} decided, ${total - 5} undecided`);

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export').click()]);
    const exported = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
    const seen = (line: Entry): unknown => line.versions ?? {};
    const conflictDecision = (line: Entry, ids: { local: string; airtable: string }) => ({
      type: 'conflict',
      local: ids.local,
      airtable: ids.airtable,
      field: line.field_name,
      seen: seen(line),
    });
    const refs1 = first.map(refOf);
    const refs2 = (groups[1]!.records as Member[]).map(refOf);
    expect(exported).to.deep.equal({
      format: 'lead-maintenance-decisions',
      version: 1,
      decisions: [
        {
          type: 'duplicates',
          records: refs1,
          seen: seen(groups[0]!),
          action: 'merge',
          survivor: refs1[1],
          values: {
            ...defaultSources(first, 1),
            [differing[0]!]: { from: refs1[0] },
            [differing[1]!]: { value: 'Typed by hand' },
            [differing[2]!]: { from: refs1[2] },
          },
        },
        { type: 'duplicates', records: refs2, seen: seen(groups[1]!), action: 'not_duplicates' },
        { ...conflictDecision(conflicts[0]!, c1!), choice: 'airtable' },
        { ...conflictDecision(conflicts[1]!, c2!), choice: 'value', value: 'Typed & <value>' },
        { ...conflictDecision(conflicts[2]!, c3!), choice: 'local' },
      ],
    });
    expect(await page.locator('#status').innerText()).to.contain(`Exported 5 decision(s) to ${download.suggestedFilename()}`);

    await page.evaluate('window.scrollTo(0, 0)');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    // The README's picture (docs/review-page.png) is a copy of this screenshot, committed.
    await page.screenshot({ path: path.join(ARTIFACTS, 'review.png') });
    expect(problems).to.deep.equal([]);
    expect(requests.filter((r) => !r.startsWith('blob:'))).to.deep.equal([url]);
    await page.close();
  });

  for (const width of [390, 1440]) {
    it(`reads at ${width} px: no page-wide horizontal scroll, every field name and value on screen`, async () => {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await page.goto(url);
      await press(page, 'j', '1');
      await page.screenshot({ path: path.join(ARTIFACTS, `review-${width}px.png`) });
      expect(await page.evaluate('document.documentElement.scrollWidth'), 'page width').to.be.at.most(width);
      // No cell is wider than the card it is in: long values wrap instead of running off the card.
      const overflowing = await page
        .locator('#card-1 th, #card-1 td')
        .evaluateAll((cells) => cells.filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => c.textContent));
      expect(overflowing).to.deep.equal([]);
      await page.close();
    });
  }
});
