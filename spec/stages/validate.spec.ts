import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { definePipeline } from '../../lib/core/embed.js';
import { runPipeline } from '../../lib/core/runner.js';
import validate from '../../stages/validate.js';
import { runStage } from '../helpers.js';
import { recordRequests, useToken } from '../lib/airtable/setup.js';
import { person, scenario, state, type Scenario } from '../scenarios/support.js';

const NOW = new Date('2026-06-01T10:00:00.000Z');

function options(s: Scenario, more: Record<string, unknown> = {}): Record<string, unknown> {
  return { database: s.db, endpoint_url: s.em.url, base_id: s.em.baseId, state_file: path.join(s.dir, 'sync-state.db'), retry_delay_seconds: 0.05, ...more };
}

async function failure(run: Promise<unknown>): Promise<Error> {
  try {
    await run;
  } catch (error) {
    return error as Error;
  }
  throw new Error('validate passed');
}

describe('validate', function () {
  this.timeout(30_000);
  useToken();
  let s: Scenario | undefined;
  afterEach(async () => {
    await s?.em.close();
    s = undefined;
  });

  it('describes every option and checks links by default', () => {
    expect(validate.options.require_links.default).to.equal(true);
    for (const [name, spec] of Object.entries(validate.options)) expect(spec.description, name).to.match(/^[A-Z].*\.$/);
  });

  it('passes every item through, and for two systems in step saves the run start as watermark and every link', async () => {
    s = await scenario({ linked: [person(1), person(2)] });
    const items = [{ kind: 'conflict', field_name: 'title' }];
    const { output } = await runStage('validate', options(s), items, { now: () => NOW });
    expect(output).to.deep.equal(items);
    const saved = state(s);
    expect(saved.watermark()).to.equal(NOW.toISOString());
    expect(saved.lastFullScan()).to.equal(NOW.toISOString());
    const [first, second] = s.em.dump('Leads').map((r) => r.id);
    expect([saved.localIdOf(first!), saved.localIdOf(second!)].sort()).to.deep.equal(['L0', 'L1']);
    saved.close();
  });

  it('reports a local lead linked to a missing record, one without a link and unequal counts, listing at most max_differences', async () => {
    s = await scenario({ linked: [person(1), person(2)], localOnly: [person(3)] });
    const db = (await import('better-sqlite3')).default;
    const conn = new db(s.db);
    conn.prepare("INSERT INTO leads (id, name, email, airtable_id) VALUES ('L9', 'Ghost', 'ghost@x.io', 'recGhostGhost00001')").run();
    conn.close();
    const error = await failure(runStage('validate', options(s, { max_differences: 2 }), []));
    expect(error.message)
      .to.contain('3 difference(s)')
      .and.contain('Local lead L9 (Ghost) is linked to Airtable record recGhostGhost00001, which does not exist.')
      .and.contain('Local lead N0 (Person 3) has no Airtable record (airtable_id is empty).')
      .and.contain('… and 1 more.');
    expect(fs.existsSync(path.join(s.dir, 'sync-state.db'))).to.equal(false);
  });

  it('with require_links off, accepts leads without a counterpart but still compares linked pairs', async () => {
    s = await scenario({ linked: [person(1)], localOnly: [person(3)], airtableOnly: [person(4)] });
    await runStage('validate', options(s, { require_links: false }), []);
    expect(fs.existsSync(path.join(s.dir, 'sync-state.db'))).to.equal(true);
  });

  it('lists again when Airtable forgets the listing offset mid-way, and passes two systems in step', async () => {
    s = await scenario({ linked: Array.from({ length: 150 }, (_, i) => person(i)) });
    const listing = `/v0/${s.em.baseId}/Leads`;
    // The first page is answered as usual; the request for the second (with its offset) finds the iterator gone.
    s.em.injectFault({ method: 'GET', path: listing, delayMs: 1 });
    s.em.injectFault({
      method: 'GET',
      path: listing,
      status: 422,
      body: { error: { type: 'LIST_RECORDS_ITERATOR_NOT_AVAILABLE', message: 'Iterator not available.' } },
    });
    s.em.clearLog();
    await runStage('validate', options(s), []);
    const pages = recordRequests(s.em).filter((r) => r.method === 'GET' && r.path === listing);
    expect(pages.map((r) => r.status)).to.deep.equal([200, 422, 200, 200]);
    expect(pages[1]!.query.offset, 'the expired request was for a later page').to.be.a('string');
    const saved = state(s);
    expect(saved.lastFullScan()).to.be.a('string');
    saved.close();
  });

  it('in a dry run checks nothing and saves nothing, even when the systems differ', async () => {
    s = await scenario({ linked: [person(1)], airtableOnly: [person(2)] });
    s.em.clearLog();
    await runStage('validate', options(s), [], { dryRun: true });
    expect(recordRequests(s.em)).to.deep.equal([]);
    expect(fs.existsSync(path.join(s.dir, 'sync-state.db'))).to.equal(false);
  });

  it('after a failed operation checks nothing and saves no state, so the next run reads everything again', async () => {
    s = await scenario({ linked: [person(1)], airtableOnly: [person(2)] });
    s.em.clearLog();
    const failed = {
      kind: 'operation',
      action: 'update',
      system: 'airtable',
      id: 'recX',
      fields: {},
      replaces: {},
      reason: 'sync',
      entity: 'e',
      result: { status: 'failed', error: 'refused' },
    };
    const { output } = await runStage('validate', options(s), [failed]);
    expect(output).to.deep.equal([failed]);
    expect(recordRequests(s.em)).to.deep.equal([]);
    expect(fs.existsSync(path.join(s.dir, 'sync-state.db'))).to.equal(false);
  });

  it('records a failed check for the report, which raises an integrity_failed alert in the maintenance result', async () => {
    s = await scenario({ linked: [person(1)], airtableOnly: [person(2)] });
    const empty = path.join(s.dir, 'empty.jsonl');
    fs.writeFileSync(empty, '');
    const reports = path.join(s.dir, 'reports');
    const pipeline = definePipeline([{ 'read-jsonl': { path: empty } }, { validate: options(s) }, { report: { directory: reports } }], {
      rejects: path.join(s.dir, 'rejects.jsonl'),
    });
    const error = await failure(runPipeline(pipeline));
    expect(error.message).to.contain('has no local lead linked to it');
    const result = JSON.parse(fs.readFileSync(path.join(reports, 'latest', 'maintenance-result.json'), 'utf8'));
    expect(result.success).to.equal(false);
    expect(result.errors.join('\n')).to.contain('The systems differ after the run: 2 difference(s). First: Airtable record');
  });
});
