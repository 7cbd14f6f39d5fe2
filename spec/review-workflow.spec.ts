import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser.js';
import { latestAudit, localRow, type Line, type Own, reviewedCopy, reviewLines, succeeds } from './bin/review-support.js';

/**
 * The manual review loop end to end, as a person goes through it: a run leaves duplicates and a
 * conflict for review, the review page is opened in a real browser, choices are made with clicks,
 * the decisions are exported, `db-maintenance --apply-decisions` applies them to both systems, and
 * the next run proposes nothing already decided.
 */

type Decision = Record<string, unknown> & { type: string; records?: string[]; values?: Record<string, { from?: string; value?: unknown }> };

const sameMembers = (a: string[], b: string[]): boolean => a.length === b.length && a.every((r) => b.includes(r));

/** The review line a card shows (the latest of the lines with its members). */
function lineOf(own: Own, refs: string[]): Line {
  return reviewLines(own, 'duplicates')
    .filter((l) => sameMembers(Object.keys(l.versions), refs))
    .at(-1)!;
}

async function cardRecords(page: Page): Promise<Array<{ card: string; refs: string[] }>> {
  return page
    .locator('article.group')
    .evaluateAll((cards) => cards.map((c) => ({ card: c.id, refs: JSON.parse(c.getAttribute('data-records')!) as string[] })));
}

describe('manual review, end to end: review page → exported decisions → --apply-decisions → the next run', function () {
  this.timeout(300_000);
  let browser: Browser | undefined;
  let own: Own | undefined;
  after(async () => {
    await browser?.close();
    await own?.sample.close();
  });

  it('makes both systems hold exactly the values chosen in the page, names each decision in the audit log, and proposes nothing decided again', async () => {
    own = await reviewedCopy();
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    await page.goto(pathToFileURL(path.join(own.data, 'reports', 'latest', 'review.html')).href);

    // A group with two local leads is merged into its first local lead, taking one differing field from another member
    // and a typed value for a second; a group sharing no record with it is marked "not duplicates".
    const groups = await cardRecords(page);
    const merged = groups.find((g) => g.refs.filter((r) => r.startsWith('local:')).length >= 2)!;
    expect(merged, 'a group with two local leads').to.not.equal(undefined);
    const apart = groups.find((g) => g.refs.every((r) => !merged.refs.includes(r)))!;
    expect(apart, 'a second group').to.not.equal(undefined);
    const keep = merged.refs.findIndex((r) => r.startsWith('local:'));
    await page.locator(`#${merged.card} th.member label.keep`).nth(keep).click();
    const rows = page.locator(`#${merged.card} tr.differs`);
    expect(await rows.count(), 'fields that differ').to.be.at.least(2);
    const other = merged.refs.findIndex((r, i) => i !== keep && r.startsWith('local:'));
    const fromOther = (await rows.nth(0).getAttribute('data-field'))!;
    await rows.nth(0).locator('td').nth(other).locator('label').click();
    const typedField = (await rows.nth(1).getAttribute('data-field'))!;
    await rows.nth(1).locator('input.typed').fill('Chosen in the review page');
    await page.locator(`#${apart.card} .actions label`).click();

    // The conflict: Airtable's value.
    const conflict = page.locator('article.conflict').first();
    const conflictField = (await conflict.getAttribute('data-field'))!;
    const conflictLocal = (await conflict.getAttribute('data-local'))!;
    await conflict.locator('label.keep').nth(1).click();

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export').click()]);
    const file = path.join(path.dirname(own.data), 'decisions-from-page.json');
    fs.copyFileSync(await download.path(), file);
    const exported = JSON.parse(fs.readFileSync(file, 'utf8')) as { decisions: Decision[] };
    expect(exported.decisions.map((d) => d.action ?? d.choice)).to.deep.equal(['merge', 'not_duplicates', 'airtable']);
    const conflictLine = reviewLines(own, 'conflicts')
      .filter((c) => c.record_id.startsWith(`local:${conflictLocal}|`) && c.field_name === conflictField)
      .at(-1)!;
    const mergedLine = lineOf(own, merged.refs);
    const memberValue = (ref: string, field: string): unknown => mergedLine.records.find((r) => `${r._meta.source}:${r._meta.id}` === ref)![field];

    await succeeds(own, ['--apply-decisions', file, '--yes']);

    // Both systems hold exactly what was chosen.
    const survivor = merged.refs[keep]!.slice('local:'.length);
    const row = localRow(own, survivor)!;
    expect(row[fromOther], fromOther).to.equal(memberValue(merged.refs[other]!, fromOther));
    expect(row[typedField], typedField).to.equal('Chosen in the review page');
    for (const [field, pick] of Object.entries(exported.decisions[0]!.values!)) {
      expect(row[field] ?? null, field).to.deep.equal(pick.from ? (memberValue(pick.from, field) ?? null) : pick.value);
    }
    for (const ref of merged.refs.filter((r, i) => i !== keep && r.startsWith('local:'))) {
      expect(localRow(own, ref.slice('local:'.length)), `${ref} merged into the survivor`).to.equal(undefined);
    }
    for (const ref of apart.refs.filter((r) => r.startsWith('local:'))) {
      expect(localRow(own, ref.slice('local:'.length)), `${ref} kept: not duplicates`).to.not.equal(undefined);
    }
    expect(localRow(own, conflictLocal)![conflictField]).to.equal(conflictLine.airtable_value);
    const airtableId = conflictLine.record_id.split('|airtable:')[1]!;
    const airtableRecord = own.sample.emulator.dump('Leads').find((r) => r.id === airtableId)!;
    expect(Object.values(airtableRecord.fields)).to.deep.include(conflictLine.airtable_value);

    // The audit log names the decisions that changed values, with the reason a person decided.
    const audit = latestAudit(own).filter((e) => e.reason === 'manual decision');
    expect(audit.filter((e) => e.rule === 'decision.1' && e.record_id === survivor).map((e) => e.field)).to.include.members([fromOther, typedField]);
    expect(audit.filter((e) => e.rule === 'decision.3').map((e) => [e.system, e.field])).to.deep.include(['local', conflictField]);
    // Every decision, also the one that changes no value ("not duplicates"), has a line for each of its records, as applied.
    const decided = (rule: string): unknown[] =>
      audit
        .filter((e) => e.rule === rule && e.action !== 'update' && e.action !== 'delete' && e.action !== 'create')
        .map((e) => [`${e.system}:${e.record_id}`, e.action, e.status]);
    expect(decided('decision.1')).to.have.deep.members(merged.refs.map((r) => [r, 'merged', 'applied']));
    expect(decided('decision.2')).to.have.deep.members(apart.refs.map((r) => [r, 'kept_apart', 'applied']));
    expect(decided('decision.3')).to.have.deep.members(conflictLine.record_id.split('|').map((r) => [r, 'decided', 'applied']));

    // The next run proposes neither group nor the conflict again.
    const groupLines = reviewLines(own, 'duplicates').length;
    const conflictLines = reviewLines(own, 'conflicts').length;
    await succeeds(own, ['--full-maintenance', '--yes']);
    const proposed = reviewLines(own, 'duplicates').slice(groupLines);
    for (const refs of [merged.refs, apart.refs]) {
      expect(proposed.filter((l) => refs.every((r) => r in l.versions))).to.deep.equal([]);
    }
    const conflictsAgain = reviewLines(own, 'conflicts').slice(conflictLines);
    expect(conflictsAgain.filter((c) => c.record_id === conflictLine.record_id && c.field_name === conflictField)).to.deep.equal([]);
  });
});
