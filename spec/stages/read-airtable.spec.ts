import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Emulator } from '../../lib/airtable-emulator/index.js';
import { createStage } from '../../lib/core/embed.js';
import { runStage, tempDir } from '../helpers.js';
import { client, connection, countBy, emulator, recordRequests, rows, useToken } from '../lib/airtable/setup.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('read-airtable', () => {
  useToken();
  let em: Emulator;
  afterEach(async () => {
    await em?.close();
  });

  it('reads every record with canonical names, empty cells as null, and its id, times and original values in _meta', async () => {
    em = await emulator();
    const ids = em.seed('Leads', [
      { 'Full Name': 'Ada Lovelace', Email: 'ada@engines.io', 'Job Title': 'Analyst', Engagement_Status: 'Sent' },
      { 'Full Name': 'Grace Hopper' },
    ]);
    const { output } = await runStage('read-airtable', connection(em), []);
    expect(output).to.have.length(2);
    const [ada, grace] = output;
    expect(ada).to.deep.include({ name: 'Ada Lovelace', email: 'ada@engines.io', title: 'Analyst', engagement_status: 'Sent', company: null, phone: null });
    expect(ada._meta).to.include({ source: 'airtable', id: ids[0] });
    expect(ada._meta!.created_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    expect(ada._meta!.modified_at, 'from the Last Modified field').to.equal(em.dump('Leads')[0]!.fields['Last Modified']);
    expect(ada._meta!.original).to.deep.equal(Object.fromEntries(Object.entries(ada).filter(([k]) => k !== '_meta')));
    expect(grace).to.deep.include({ name: 'Grace Hopper', email: null });
    expect(
      Object.keys(ada)
        .filter((k) => k !== '_meta')
        .sort(),
    ).to.deep.equal(['company', 'company_website', 'email', 'engagement_status', 'linkedin_url', 'name', 'phone', 'title']);
  });

  it('reads 250 records with one schema request and three pages, each page asking only for the mapped fields', async () => {
    em = await emulator();
    em.seed('Leads', rows(250));
    const { output } = await runStage('read-airtable', connection(em), []);
    expect(new Set(output.map((r) => r._meta!.id)).size).to.equal(250);
    const log = em.requestLog();
    expect(log.filter((r) => r.path.startsWith('/v0/meta/'))).to.have.length(1);
    const pages = recordRequests(em);
    expect(pages.map((r) => r.status)).to.deep.equal([200, 200, 200]);
    expect(pages[0]!.query.fields).to.include.members(['Full Name', 'Email', 'Engagement_Status', 'Last Modified']);
  });

  it('asks for the next page only when downstream wants more records', async () => {
    em = await emulator();
    em.seed('Leads', rows(250));
    const stream = (await createStage('read-airtable', connection(em), { rejects: path.join(tempDir(), 'rejects.jsonl') })) as unknown as Readable;
    const iterator = stream[Symbol.asyncIterator]();
    for (let i = 0; i < 5; i++) await iterator.next();
    await sleep(100);
    expect(countBy(recordRequests(em), 'GET'), 'after 5 records').to.equal(1);
    for (let i = 5; i < 101; i++) await iterator.next();
    await sleep(100);
    expect(countBy(recordRequests(em), 'GET'), 'after 101 records').to.equal(2);
    await iterator.return!();
  });

  it('starts the listing again when Airtable forgets the offset, and emits no record twice', async () => {
    // The emulator's clock jumps past the iterator's lifetime while the first page is processed.
    let skew = 0;
    em = await emulator({ iteratorTtlMs: 60_000, clock: () => Date.now() + skew });
    em.seed('Leads', rows(230));
    const stream = (await createStage('read-airtable', connection(em), { rejects: path.join(tempDir(), 'rejects.jsonl') })) as unknown as Readable;
    const seen: string[] = [];
    for await (const record of stream) {
      seen.push(record._meta.id);
      if (seen.length === 50) skew += 120_000;
    }
    expect(seen).to.have.length(230);
    expect(new Set(seen).size).to.equal(230);
    const pages = recordRequests(em);
    expect(
      pages.filter((r) => r.status === 422),
      'one expired offset',
    ).to.have.length(1);
    expect(
      pages.filter((r) => r.status === 200 && r.query.offset === undefined),
      'two first pages',
    ).to.have.length(2);
  });

  it('keeps to a lower rate given in the config file, for the schema request and every page', async () => {
    em = await emulator();
    em.seed('Leads', rows(100));
    const config = { values: { synchronization: { airtable: { requests_per_second: 2 } } }, locate: () => undefined };
    const { request_timeout_seconds, retry_delay_seconds, base_id, endpoint_url } = connection(em);
    await runStage('read-airtable', { request_timeout_seconds, retry_delay_seconds, base_id, endpoint_url, page_size: 20 }, [], { config });
    const times = em.requestLog().map((r) => r.time);
    expect(times).to.have.length(6);
    for (let i = 2; i < times.length; i++) expect(times[i]! - times[i - 2]!, `requests ${i - 2} and ${i}`).to.be.at.least(1000);
  });

  it('reads only records modified after modified_since, less the overlap', async () => {
    let now = Date.parse('2026-03-01T10:00:00Z');
    em = await emulator({ clock: () => now, rateLimit: { enabled: false } });
    const ids = em.seed('Leads', rows(5));
    now = Date.parse('2026-03-02T10:00:00Z');
    await client(em).request({
      method: 'PATCH',
      path: '/Leads',
      action: 'update',
      idempotent: true,
      body: {
        records: [
          { id: ids[1], fields: { 'Job Title': 'CTO' } },
          { id: ids[3], fields: { 'Job Title': 'CEO' } },
        ],
      },
    });
    const since = { modified_since: '2026-03-02T10:00:30Z' };
    const { output } = await runStage('read-airtable', connection(em, { ...since, overlap_seconds: 60 }), []);
    expect(output.map((r) => r._meta!.id)).to.deep.equal([ids[1], ids[3]]);
    expect(output[0]!._meta!.modified_at).to.equal('2026-03-02T10:00:00.000Z');
    const { output: none } = await runStage('read-airtable', connection(em, { ...since, overlap_seconds: 0 }), []);
    expect(none).to.deep.equal([]);
    expect(recordRequests(em).at(-1)!.query.filterByFormula).to.equal("IS_AFTER({Last Modified}, DATETIME_PARSE('2026-03-02T10:00:30.000Z'))");
  });

  it('reports every field of the mapping the table lacks at once, with the closest name, before reading', async () => {
    em = await emulator();
    const dir = tempDir();
    const mapping = path.join(dir, 'field-mapping.yaml');
    fs.writeFileSync(
      mapping,
      [
        'field_mapping:',
        '  database_to_airtable: { name: "Full Name", title: "Title", phone: "Phone Number" }',
        '  airtable_to_database: { "Full Name": name, "Title": title, "Phone Number": phone, "Linkedin": linkedin_url }',
      ].join('\n'),
    );
    const failure = await runStage('read-airtable', connection(em, { field_mapping: mapping }), []).catch((e) => e);
    expect(failure.name).to.equal('ConfigError');
    expect(failure.message.split('\n')).to.deep.equal([
      `field_mapping.database_to_airtable.title: Airtable has no field 'Title' in table Leads. Did you mean 'Job Title'? Fix ${mapping}.`,
      `field_mapping.database_to_airtable.phone: Airtable has no field 'Phone Number' in table Leads. Did you mean 'Phone'? Fix ${mapping}.`,
      `field_mapping.airtable_to_database.Linkedin: Airtable has no field 'Linkedin' in table Leads. Did you mean 'LinkedIn URL'? Fix ${mapping}.`,
    ]);
    expect(recordRequests(em)).to.deep.equal([]);
  });

  it('names the tables the base has when the table does not exist', async () => {
    em = await emulator();
    const failure = await runStage('read-airtable', connection(em, { table: 'Lead' }), []).catch((e) => e);
    expect(failure.message).to.equal(`table: Airtable base ${em.baseId} has no table 'Lead'. Did you mean 'Leads'? Its tables: Leads.`);
  });

  it('needs AIRTABLE_TOKEN and a well-formed base id, and never takes the token from the options', async () => {
    em = await emulator();
    const token = process.env.AIRTABLE_TOKEN;
    delete process.env.AIRTABLE_TOKEN;
    try {
      const failure = await runStage('read-airtable', connection(em, { base_id: 'leads' }), []).catch((e) => e);
      expect(failure.message.split('\n')).to.deep.equal([
        'read-airtable: AIRTABLE_TOKEN is not set. Export a personal access token (pat…) with the scopes data.records:read, data.records:write and schema.bases:read.',
        "read-airtable.base_id: 'leads' is not an Airtable base id; it looks like app followed by 14 letters or digits.",
      ]);
      const unknown = await runStage('read-airtable', { ...connection(em), token: 'x' }, []).catch((e) => e);
      expect(unknown.message).to.match(/read-airtable\.token: unknown option/);
    } finally {
      process.env.AIRTABLE_TOKEN = token;
    }
  });

  it('explains a token the base does not accept without showing the token', async () => {
    em = await emulator({
      tokens: ['emulator-token', 'patAAAAAAAAAAAAAA.bbbbbbbbbbbbbbbbbbbbbbbb'],
      tokenGrants: { 'patAAAAAAAAAAAAAA.bbbbbbbbbbbbbbbbbbbbbbbb': { bases: ['appOtherBase00001'] } },
    });
    const token = process.env.AIRTABLE_TOKEN;
    process.env.AIRTABLE_TOKEN = 'patAAAAAAAAAAAAAA.bbbbbbbbbbbbbbbbbbbbbbbb';
    try {
      const failure = await runStage('read-airtable', connection(em), []).catch((e) => e);
      expect(failure.message).to.include(`The token has no access to base ${em.baseId}, or table Leads does not exist there.`);
      expect(failure.message).to.include('INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND');
      expect(failure.message).not.to.include('bbbbbbbb');
    } finally {
      process.env.AIRTABLE_TOKEN = token;
    }
  });
});
