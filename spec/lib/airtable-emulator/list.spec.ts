import { expect } from 'chai';
import type { Emulator } from '../../../lib/airtable-emulator/index.js';
import { PATH, api, leadRows, leads, rejection, start } from './helpers.js';

describe('airtable emulator: list records', () => {
  let em: Emulator;
  let now = Date.parse('2026-01-01T10:00:00.000Z');
  beforeEach(async () => {
    now = Date.parse('2026-01-01T10:00:00.000Z');
    em = await start({ clock: () => now, iteratorTtlMs: 60_000 });
  });
  afterEach(() => em.close());

  it('answers an empty table with an empty records array and no offset', async () => {
    const r = await api(em, 'GET', PATH(em));
    expect(r.status).to.equal(200);
    expect(r.headers.get('content-type')).to.equal('application/json; charset=utf-8');
    expect(r.body).to.deep.equal({ records: [] });
  });

  it('pages 250 records as 100, 100 and 50 with an offset only on the first two pages', async () => {
    em.seed('Leads', leadRows(250));
    const sizes: number[] = [];
    const offsets: (string | undefined)[] = [];
    let offset: string | undefined;
    do {
      const r = await api(em, 'GET', PATH(em, offset ? `?offset=${encodeURIComponent(offset)}` : '?'));
      expect(r.status).to.equal(200);
      sizes.push(r.body.records.length);
      offsets.push(r.body.offset);
      offset = r.body.offset;
    } while (offset);
    expect(sizes).to.deep.equal([100, 100, 50]);
    expect(offsets[0]).to.match(/^itr[A-Za-z0-9]{14}\/rec[A-Za-z0-9]{14}$/);
    expect(offsets[2]).to.equal(undefined);
  });

  it('applies maxRecords across pages and pageSize within them', async () => {
    em.seed('Leads', leadRows(250));
    const all = await leads(em).select({ maxRecords: 150, pageSize: 40 }).all();
    expect(all).to.have.length(150);
    const pages = em.requestLog().map((e) => e.query.pageSize);
    expect(pages).to.deep.equal(['40', '40', '40', '40']);
  });

  it('refuses a pageSize over 100 or under 1 with 422', async () => {
    for (const size of ['101', '0', 'x']) {
      const r = await api(em, 'GET', PATH(em, `?pageSize=${size}`));
      expect(r.status).to.equal(422);
      expect(r.body.error.type).to.equal('INVALID_REQUEST_UNKNOWN');
    }
  });

  it('omits empty text and unchecked boxes, and can return a record with no fields', async () => {
    const [id] = em.seed('Leads', [{ 'Full Name': 'A', Company: '', Replied: false, 'Needs Enrichment': true }]);
    em.seed('Leads', [{}]);
    const r = await api(em, 'GET', PATH(em));
    const [first, second] = r.body.records;
    expect(first.id).to.equal(id);
    expect(first.fields).to.include({ 'Full Name': 'A', 'Needs Enrichment': true });
    expect(first.fields).to.not.have.any.keys('Company', 'Replied', 'Email');
    expect(first.createdTime).to.equal('2026-01-01T10:00:00.000Z');
    expect(Object.keys(second.fields)).to.deep.equal(['Created At', 'Last Modified']);
  });

  it('returns only the fields asked for, by name or id, and keys by field id on request', async () => {
    em.seed('Leads', [{ 'Full Name': 'A', Email: 'a@x.com', Company: 'Acme' }]);
    const meta = (await api(em, 'GET', `/v0/meta/bases/${em.baseId}/tables`)).body.tables[0];
    const emailId = meta.fields.find((f: any) => f.name === 'Email').id;
    const r = await api(em, 'GET', PATH(em, `?fields%5B%5D=Full+Name&fields%5B%5D=${emailId}`));
    expect(r.body.records[0].fields).to.deep.equal({ 'Full Name': 'A', Email: 'a@x.com' });
    const byId = await api(em, 'GET', PATH(em, '?fields%5B%5D=Email&returnFieldsByFieldId=true'));
    expect(byId.body.records[0].fields).to.deep.equal({ [emailId]: 'a@x.com' });
  });

  it('refuses an unknown field in fields[] with 422 UNKNOWN_FIELD_NAME', async () => {
    const r = await api(em, 'GET', PATH(em, '?fields%5B%5D=Title'));
    expect(r.status).to.equal(422);
    expect(r.body).to.deep.equal({ error: { type: 'UNKNOWN_FIELD_NAME', message: 'Unknown field name: "Title"' } });
  });

  it('sorts ascending and descending, with blanks first when ascending', async () => {
    em.seed('Leads', [{ 'Full Name': 'b' }, { 'Full Name': 'C' }, { Email: 'x@y.z' }, { 'Full Name': 'a' }]);
    const asc = await leads(em)
      .select({ sort: [{ field: 'Full Name' }] })
      .all();
    expect(asc.map((r) => r.get('Full Name') ?? null)).to.deep.equal([null, 'a', 'b', 'C']);
    const desc = await leads(em)
      .select({ sort: [{ field: 'Full Name', direction: 'desc' }] })
      .all();
    expect(desc.map((r) => r.get('Full Name') ?? null)).to.deep.equal(['C', 'b', 'a', null]);
  });

  it('sorts a single select in choice order, not alphabetically', async () => {
    em.seed('Leads', [{ Engagement_Status: 'Error' }, { Engagement_Status: 'Auto-Send' }, { Engagement_Status: 'Sent' }]);
    const recs = await leads(em)
      .select({ sort: [{ field: 'Engagement_Status' }] })
      .all();
    expect(recs.map((r) => r.get('Engagement_Status'))).to.deep.equal(['Auto-Send', 'Sent', 'Error']);
  });

  it('filters by formula and refuses a bad formula with 422 INVALID_FILTER_BY_FORMULA', async () => {
    em.seed('Leads', leadRows(5));
    const hit = await leads(em).select({ filterByFormula: "{Email} = 'lead3@example.com'" }).all();
    expect(hit.map((r) => r.get('Full Name'))).to.deep.equal(['Lead 3']);
    const bad = await api(em, 'GET', PATH(em, `?filterByFormula=${encodeURIComponent("{Email} = 'x' AND")}`));
    expect(bad.status).to.equal(422);
    expect(bad.body).to.deep.equal({
      error: { type: 'INVALID_FILTER_BY_FORMULA', message: 'The formula for filtering records is invalid: please check your formula text.' },
    });
    const unknown = await rejection(leads(em).select({ filterByFormula: '{Nope} = 1' }).all());
    expect(unknown).to.include({
      error: 'INVALID_FILTER_BY_FORMULA',
      statusCode: 422,
      message: 'The formula for filtering records is invalid: Unknown field names: Nope',
    });
  });

  it('returns records changed after a watermark with IS_AFTER(LAST_MODIFIED_TIME(), …)', async () => {
    const [a, b] = em.seed('Leads', leadRows(2));
    now += 60_000;
    await leads(em).update(b!, { Company: 'Acme' });
    const changed = await leads(em).select({ filterByFormula: "IS_AFTER(LAST_MODIFIED_TIME(), '2026-01-01T10:00:30.000Z')" }).all();
    expect(changed.map((r) => r.id)).to.deep.equal([b]);
    expect(changed[0]!.get('Last Modified')).to.equal('2026-01-01T10:01:00.000Z');
    expect(em.dump('Leads').find((r) => r.id === a)!.lastModified).to.equal('2026-01-01T10:00:00.000Z');
  });

  it('refuses an unknown view with 422 VIEW_NAME_NOT_FOUND and accepts the default grid view', async () => {
    em.seed('Leads', leadRows(2));
    const r = await api(em, 'GET', PATH(em, '?view=Grid+view+2'));
    expect(r.status).to.equal(422);
    expect(r.body).to.deep.equal({ error: { type: 'VIEW_NAME_NOT_FOUND', message: 'View Grid view 2 not found' } });
    expect(await leads(em).select({ view: 'Grid view' }).all()).to.have.length(2);
  });

  it('needs timeZone and userLocale for cellFormat=string', async () => {
    em.seed('Leads', [{ 'Full Name': 'A', Replied: true }]);
    const bad = await api(em, 'GET', PATH(em, '?cellFormat=string'));
    expect(bad.status).to.equal(422);
    expect(bad.body.error.type).to.equal('INVALID_REQUEST_UNKNOWN');
    const ok = await api(em, 'GET', PATH(em, '?cellFormat=string&timeZone=UTC&userLocale=en-us'));
    expect(ok.body.records[0].fields.Replied).to.equal('checked');
  });

  it('gives the same page through POST listRecords, ignoring the method key and reading the locale from the query', async () => {
    em.seed('Leads', leadRows(30));
    const get = await api(em, 'GET', PATH(em, '?pageSize=10&sort%5B0%5D%5Bfield%5D=Email&sort%5B0%5D%5Bdirection%5D=desc'));
    const post = await api(em, 'POST', PATH(em, '/listRecords?timeZone=UTC&userLocale=en-us'), {
      body: { pageSize: 10, sort: [{ field: 'Email', direction: 'desc' }], method: 'post', cellFormat: 'json' },
    });
    expect(post.status).to.equal(200);
    expect(post.body.records).to.deep.equal(get.body.records);
    const stringFormat = await api(em, 'POST', PATH(em, '/listRecords?timeZone=UTC&userLocale=en-us'), { body: { cellFormat: 'string' } });
    expect(stringFormat.status).to.equal(200);
  });

  it('lets airtable.js switch to POST for a formula longer than 15,000 characters', async () => {
    em.seed('Leads', leadRows(3));
    const formula = `OR(${Array.from({ length: 700 }, (_, i) => `{Email} = 'lead${i}@example.com'`).join(',')})`;
    const recs = await leads(em).select({ filterByFormula: formula }).all();
    expect(recs).to.have.length(3);
    expect(em.requestLog().at(-1)).to.include({ method: 'POST', path: `/v0/${em.baseId}/Leads/listRecords` });
  });

  it('expires an idle iterator with 422 LIST_RECORDS_ITERATOR_NOT_AVAILABLE that airtable.js surfaces', async () => {
    em.seed('Leads', leadRows(150));
    const seen: number[] = [];
    const err = await rejection(
      new Promise<void>((resolve, reject) => {
        leads(em)
          .select({ pageSize: 100 })
          .eachPage(
            (records, next) => {
              seen.push(records.length);
              now += 61_000;
              next();
            },
            (e) => (e ? reject(e) : resolve()),
          );
      }),
    );
    expect(seen).to.deep.equal([100]);
    expect(err).to.include({ error: 'LIST_RECORDS_ITERATOR_NOT_AVAILABLE', statusCode: 422 });
    const raw = em.requestLog().at(-1)!;
    expect(raw.status).to.equal(422);
  });

  it('answers an unknown iterator without message and a malformed offset with INVALID_OFFSET_VALUE', async () => {
    const unknown = await api(em, 'GET', PATH(em, '?offset=itrAAAAAAAAAAAAAA%2FrecAAAAAAAAAAAAAA'));
    expect(unknown.status).to.equal(422);
    expect(unknown.body).to.deep.equal({ error: { type: 'LIST_RECORDS_ITERATOR_NOT_AVAILABLE' } });
    const garbage = await api(em, 'GET', PATH(em, '?offset=garbage'));
    expect(garbage.body).to.deep.equal({ error: { type: 'INVALID_OFFSET_VALUE', message: 'The value of offset garbage is invalid' } });
  });

  it('keeps an iterator alive while it is used and lets a page be fetched again', async () => {
    em.seed('Leads', leadRows(250));
    const first = await api(em, 'GET', PATH(em));
    now += 50_000;
    const second = await api(em, 'GET', PATH(em, `?offset=${encodeURIComponent(first.body.offset)}`));
    now += 50_000;
    const again = await api(em, 'GET', PATH(em, `?offset=${encodeURIComponent(first.body.offset)}`));
    expect(again.body.records.map((r: any) => r.id)).to.deep.equal(second.body.records.map((r: any) => r.id));
  });

  it('gets one record, and answers a deleted one with 404 MODEL_ID_NOT_FOUND mapped to NOT_FOUND by airtable.js', async () => {
    const [id] = em.seed('Leads', [{ 'Full Name': 'A' }]);
    const r = await api(em, 'GET', PATH(em, `/${id}`));
    expect(r.status).to.equal(200);
    expect(Object.keys(r.body).sort()).to.deep.equal(['createdTime', 'fields', 'id']);
    await leads(em).destroy(id!);
    const gone = await api(em, 'GET', PATH(em, `/${id}`));
    expect(gone.status).to.equal(404);
    expect(gone.body).to.deep.equal({ error: { type: 'MODEL_ID_NOT_FOUND', message: 'Record not found' } });
    expect(await rejection(leads(em).find(id!))).to.include({ error: 'NOT_FOUND', message: 'Record not found', statusCode: 404 });
  });

  it('adds commentCount when recordMetadata asks for it', async () => {
    em.seed('Leads', leadRows(1));
    const r = await api(em, 'GET', PATH(em, '?recordMetadata%5B%5D=commentCount'));
    expect(r.body.records[0].commentCount).to.equal(0);
  });
});
