import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import type { Emulator } from '../../lib/airtable-emulator/index.js';
import { definePipeline } from '../../lib/core/embed.js';
import { isOperation, type Operation } from '../../lib/core/operation.js';
import type { StreamItem } from '../../lib/core/types.js';
import { runPipeline } from '../../lib/core/runner.js';
import writeAirtable from '../../stages/write-airtable.js';
import { runStage, tempDir, writeJsonl } from '../helpers.js';
import { connection, countBy, emulator, recordRequests, rows, useToken } from '../lib/airtable/setup.js';
import { defaultDatabase, rows as localRows } from '../lib/sqlite/support.js';

function op(action: Operation['action'], id: string | undefined, fields: Record<string, unknown> = {}, more: Partial<Operation> = {}): Operation {
  return {
    kind: 'operation',
    action,
    system: 'airtable',
    ...(id ? { id } : {}),
    fields,
    replaces: {},
    reason: 'sync',
    entity: `e-${id ?? fields.email}`,
    ...more,
  };
}
const resultOf = (item: StreamItem | undefined): Operation['result'] => (isOperation(item) ? item.result : undefined);
const writes = (em: Emulator) => recordRequests(em).filter((r) => r.method !== 'GET');

describe('write-airtable', () => {
  useToken();
  let em: Emulator;
  afterEach(async () => {
    await em?.close();
  });

  it('declares a batch size of at most 10 and describes every option', () => {
    expect(writeAirtable.options.batch_size).to.include({ default: 10, max: 10 });
    for (const [name, spec] of Object.entries(writeAirtable.options)) expect(spec.description, name).to.match(/^[A-Z].*\.$/);
  });

  it('applies creates, updates and deletes in batches of at most 10, passing everything on in order with the outcome', async () => {
    em = await emulator();
    const ids = em.seed('Leads', rows(14));
    const creates = Array.from({ length: 12 }, (_, i) =>
      op('create', undefined, { name: `New ${i}`, email: `new${i}@x.io` }, { link: { system: 'local', id: `L${i}` } }),
    );
    const updates = ids.slice(0, 11).map((id, i) => op('update', id, { title: `Title ${i}` }));
    const deletes = ids.slice(11).map((id) => op('delete', id));
    const passing = { kind: 'conflict', field_name: 'email' };
    const local = op('update', 'L1', { name: 'x' }, { system: 'local' });
    const input = [...creates.slice(0, 6), passing, ...updates, local, ...creates.slice(6), ...deletes];
    const { output, rejects } = await runStage('write-airtable', connection(em), input);

    expect(output).to.deep.equal(input);
    expect(output.map((o) => o)).to.satisfy((items: StreamItem[]) => items.every((item, i) => item === input[i]));
    expect(rejects).to.deep.equal([]);
    expect(resultOf(passing)).to.equal(undefined);
    expect(resultOf(local)).to.equal(undefined);
    for (const item of [...creates, ...updates, ...deletes]) expect(resultOf(item)!.status).to.equal('applied');
    const dump = em.dump('Leads');
    const byId = new Map(dump.map((r) => [r.id, r.fields]));
    for (const [i, create] of creates.entries()) expect(byId.get(resultOf(create)!.id!)).to.include({ 'Full Name': `New ${i}`, Email: `new${i}@x.io` });
    expect(byId.get(ids[3]!)).to.include({ 'Job Title': 'Title 3', 'Full Name': 'Lead 3' });
    expect(dump).to.have.length(14 + 12 - 3);
    const log = writes(em);
    expect([countBy(log, 'POST'), countBy(log, 'PATCH'), countBy(log, 'DELETE')]).to.deep.equal([2, 2, 1]);
    expect(log.every((r) => ((r.body as { records?: unknown[] })?.records?.length ?? 10) <= 10)).to.equal(true);
    expect(
      em.requestLog().filter((r) => r.status === 429),
      'the emulator enforces 5 requests per second',
    ).to.deep.equal([]);
  });

  it('sends only the changed fields of an update, under their Airtable names', async () => {
    em = await emulator();
    const [id] = em.seed('Leads', [{ 'Full Name': 'Ada', Email: 'ADA@x.io', Company: 'Engines' }]);
    await runStage('write-airtable', connection(em), [op('update', id, { email: 'ada@x.io', company_website: null }, { replaces: { email: 'ADA@x.io' } })]);
    expect(writes(em).map((r) => r.body)).to.deep.equal([{ records: [{ id, fields: { Email: 'ada@x.io', Website: null } }] }]);
    expect(em.dump('Leads')[0]!.fields).to.deep.include({ 'Full Name': 'Ada', Email: 'ada@x.io', Company: 'Engines' });
  });

  it('sends no write request in a dry run and marks every operation dry_run', async () => {
    em = await emulator();
    const [id] = em.seed('Leads', rows(1));
    const before = em.dump('Leads');
    const input = [op('create', undefined, { name: 'New' }), op('update', id, { title: 'CTO' }), op('delete', id)];
    const { output } = await runStage('write-airtable', connection(em), input, { dryRun: true });
    expect(output.map((o) => resultOf(o)!.status)).to.deep.equal(['dry_run', 'dry_run', 'dry_run']);
    expect(writes(em)).to.deep.equal([]);
    expect(em.dump('Leads')).to.deep.equal(before);
  });

  it('splits a batch Airtable refuses to find the bad record, writes the others and rejects it with its field', async () => {
    em = await emulator();
    const dir = tempDir();
    const mapping = path.join(dir, 'field-mapping.yaml');
    fs.writeFileSync(
      mapping,
      [
        'field_mapping:',
        '  database_to_airtable: { name: "Full Name", email: "Email", scraped: "Date Scraped" }',
        '  airtable_to_database: { "Full Name": name, "Email": email, "Date Scraped": scraped }',
      ].join('\n'),
    );
    const input = Array.from({ length: 10 }, (_, i) =>
      op('create', undefined, { name: `N${i}`, email: `n${i}@x.io`, scraped: i === 6 ? 'last tuesday' : '2026-02-01' }),
    );
    const { output, rejects } = await runStage('write-airtable', connection(em, { field_mapping: mapping, on_error: 'tag' }), input);
    expect(output.map((o) => resultOf(o)!.status)).to.deep.equal([
      'applied',
      'applied',
      'applied',
      'applied',
      'applied',
      'applied',
      'failed',
      'applied',
      'applied',
      'applied',
    ]);
    expect(
      em
        .dump('Leads')
        .map((r) => r.fields['Full Name'])
        .sort(),
    ).to.deep.equal(['N0', 'N1', 'N2', 'N3', 'N4', 'N5', 'N7', 'N8', 'N9']);
    expect(rejects).to.have.length(1);
    expect(rejects[0]).to.include({ reason: 'write_failed' });
    expect(rejects[0]!.message).to.match(
      /^Airtable create of record \(new\), field 'Date Scraped' failed: .*INVALID_VALUE_FOR_COLUMN.*Field "Date Scraped" cannot accept the provided value/,
    );
    expect(countBy(writes(em), 'POST'), 'bisection: 10 → 5+5 → 3+2 → 1+2 → 1+1').to.be.at.most(9);
  });

  it('refuses a select value the field has no option for before sending, naming the field and its options', async () => {
    em = await emulator();
    const input = [op('create', undefined, { name: 'A', engagement_status: 'Hot' }), op('create', undefined, { name: 'B', engagement_status: 'Sent' })];
    const { output, rejects } = await runStage('write-airtable', connection(em, { on_error: 'tag' }), input);
    expect(resultOf(output[0])).to.deep.include({ status: 'failed' });
    expect(resultOf(output[0])!.error).to.equal(
      "'Hot' is not an option of Airtable field 'Engagement_Status' (options: Auto-Send, Sent, Skipped, Needs Review, Error); fix the value, add the option in Airtable, or turn on typecast.",
    );
    expect(resultOf(output[1])!.status).to.equal('applied');
    expect(rejects.map((r) => r.message)).to.deep.equal([`Airtable create of record (new), field 'Engagement_Status' failed: ${resultOf(output[0])!.error}`]);
    expect(writes(em).map((r) => (r.body as { records: unknown[] }).records.length)).to.deep.equal([1]);
    const skipped = await runStage(
      'write-airtable',
      connection(em),
      input.map((o) => ({ ...o, result: undefined })),
    );
    expect(
      skipped.output.map((o) => resultOf(o)!.status),
      'the default on_error: skip sets the failure aside',
    ).to.deep.equal(['applied']);
  });

  it('reports allowed select values the Airtable field lacks as a configuration error before any data moves', async () => {
    em = await emulator();
    const failure = await runStage('write-airtable', connection(em, { select_values: { engagement_status: ['Sent', 'Hot', 'Cold'] } }), []).catch((e) => e);
    expect(failure.name).to.equal('ConfigError');
    expect(failure.message).to.equal(
      "select_values.engagement_status: Airtable field 'Engagement_Status' has no option 'Hot', 'Cold' (it has 'Auto-Send', 'Sent', 'Skipped', 'Needs Review', 'Error'). Add the options in Airtable, change the allowed values, or turn on typecast.",
    );
  });

  it('upserts on upsert_fields: a lead Airtable has is updated, not created twice', async () => {
    em = await emulator();
    const [existing] = em.seed('Leads', [{ 'Full Name': 'Ada', Email: 'ada@x.io' }]);
    const input = [
      op('create', undefined, { name: 'Ada L.', email: 'ada@x.io', title: 'CTO' }),
      op('create', undefined, { name: 'Grace', email: 'grace@x.io' }),
    ];
    const { output } = await runStage('write-airtable', connection(em, { upsert_fields: ['email'] }), input);
    expect(resultOf(output[0])).to.deep.equal({ status: 'applied', id: existing });
    expect(resultOf(output[1])!.id)
      .to.match(/^rec[A-Za-z0-9]{14}$/)
      .and.not.equal(existing);
    const dump = em.dump('Leads');
    expect(dump).to.have.length(2);
    expect(dump[0]!.fields).to.include({ 'Full Name': 'Ada L.', 'Job Title': 'CTO' });
    expect((writes(em)[0]!.body as { performUpsert: unknown }).performUpsert).to.deep.equal({ fieldsToMergeOn: ['Email'] });
  });

  it('stops the run on a failed operation under on_error: fail', async () => {
    em = await emulator();
    const failure = await runStage('write-airtable', connection(em, { on_error: 'fail' }), [op('update', undefined, { name: 'x' })]).catch((e) => e);
    expect(failure.message).to.equal(
      'write-airtable: record: 1 Airtable operation(s) failed: An update needs the Airtable record id (rec…); this operation has none. Run with on_error: tag to go on past failed records.',
    );
  });

  it('takes the next object only once its batch was written, so a slow Airtable holds the pipeline back', async () => {
    em = await emulator();
    em.injectFault({ method: 'POST', delayMs: 400, count: 1 });
    let pulled = 0;
    let pulledDuringFirstRequest = -1;
    setTimeout(() => {
      pulledDuringFirstRequest = pulled;
    }, 300);
    async function* operations(): AsyncGenerator<StreamItem> {
      for (let i = 0; i < 60; i++) {
        pulled++;
        yield op('create', undefined, { name: `N${i}`, email: `n${i}@x.io` });
      }
    }
    const { output } = await runStage('write-airtable', connection(em, { request_timeout_seconds: 2 }), operations());
    expect(output).to.have.length(60);
    expect(pulledDuringFirstRequest, 'objects taken while the first request was pending').to.be.within(10, 10 + 16 + 16 + 2);
    expect(em.dump('Leads')).to.have.length(60);
  });

  it('hands the new record id to write-sqlite, which stores it as the local airtable_id', async () => {
    em = await emulator();
    const dir = tempDir();
    const database = await defaultDatabase(dir, [{ id: 'lead-a', name: 'Ann Lee', email: 'ann@acme.com' }]);
    const ops = writeJsonl(dir, 'ops.jsonl', [
      op('create', undefined, { name: 'Ann Lee', email: 'ann@acme.com' }, { link: { system: 'local', id: 'lead-a' } }),
    ]);
    const pipeline = definePipeline([{ 'read-jsonl': { path: ops } }, { 'write-airtable': connection(em) }, { 'write-sqlite': { database } }], {
      rejects: path.join(dir, 'rejects.jsonl'),
    });
    const summary = await runPipeline(pipeline);
    const [created] = em.dump('Leads');
    expect(localRows(database)[0]).to.include({ id: 'lead-a', airtable_id: created!.id });
    expect(summary.operations).to.deep.include({ 'airtable.create.applied': 1, 'local.update.applied': 1 });
  });
});

describe('write-airtable in a full sync of the embedded default', () => {
  useToken();

  it('makes both systems hold the same leads, duplicates removed, and a second run changes nothing and sends no write request', async function () {
    this.timeout(60_000);
    const { startSampleData } = await import('../../lib/maintenance/sample.js');
    const dir = tempDir();
    const embedded = await startSampleData(dir, { count: 30 });
    try {
      const em = embedded.emulator;
      const sync = () =>
        runPipeline(
          definePipeline(
            [
              { 'read-sqlite': { database: embedded.database } },
              { 'read-airtable': connection(em) },
              { normalize: {} },
              { fingerprint: {} },
              { dedupe: {} },
              { diff: { review_file: path.join(dir, 'review.jsonl') } },
              { 'write-airtable': connection(em) },
              { 'write-sqlite': { database: embedded.database } },
            ],
            { rejects: path.join(dir, 'rejects.jsonl') },
          ),
        );
      const first = await sync();
      expect(first.operations['airtable.create.applied'], 'local leads created in Airtable').to.be.greaterThan(0);
      const linked = localRows(embedded.database).filter((r) => r.airtable_id);
      expect(linked).to.have.length(localRows(embedded.database).length);
      expect(new Set(linked.map((r) => r.airtable_id))).to.deep.equal(new Set(em.dump('Leads').map((r) => r.id)));
      em.clearLog();
      const second = await sync();
      expect(first.operations['airtable.delete.applied'], 'duplicates across the base removed').to.be.greaterThan(0);
      expect(second.operations, 'nothing left to do the second time').to.deep.equal({});
      expect(
        em.requestLog().filter((r) => r.method !== 'GET'),
        'no write request',
      ).to.deep.equal([]);
      expect(em.requestLog().filter((r) => r.status === 429)).to.deep.equal([]);
    } finally {
      await embedded.close();
    }
  });
});
