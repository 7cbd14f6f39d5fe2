import { expect } from 'chai';
import Airtable from 'airtable';
import type { Emulator } from '../../../lib/airtable-emulator/index.js';
import { PATH, TOKEN, api, start } from './helpers.js';

describe('airtable emulator: upsert', () => {
  let em: Emulator;
  beforeEach(async () => {
    em = await start();
  });
  afterEach(() => em.close());

  const upsert = (records: unknown[], method = 'PATCH', merge: unknown = ['Email']) =>
    api(em, method, PATH(em), { body: { performUpsert: { fieldsToMergeOn: merge }, records } });

  it('creates on no match and updates on one match, listing the ids in createdRecords and updatedRecords', async () => {
    const [existing] = em.seed('Leads', [{ 'Full Name': 'Ada', Email: 'ada@x.com', Company: 'Acme' }]);
    const r = await upsert([{ fields: { Email: 'ada@x.com', 'Job Title': 'CTO' } }, { fields: { Email: 'bob@x.com', 'Full Name': 'Bob' } }]);
    expect(r.status).to.equal(200);
    expect(r.body.records).to.have.length(2);
    expect(r.body.records[0].id).to.equal(existing);
    expect(r.body.records[0].fields).to.include({ Company: 'Acme', 'Job Title': 'CTO' });
    expect(r.body.updatedRecords).to.deep.equal([existing]);
    expect(r.body.createdRecords).to.deep.equal([r.body.records[1].id]);
    expect(em.dump('Leads')).to.have.length(2);
  });

  it('fails the whole request when a key matches two records', async () => {
    em.seed('Leads', [{ Email: 'dup@x.com' }, { Email: 'dup@x.com' }]);
    const r = await upsert([{ fields: { Email: 'new@x.com' } }, { fields: { Email: 'dup@x.com', Company: 'X' } }]);
    expect(r.status).to.equal(422);
    expect(r.body.error.type).to.equal('INVALID_RECORDS');
    expect(em.dump('Leads')).to.have.length(2);
  });

  it('matches case-sensitively, so a differently cased email creates a new record', async () => {
    em.seed('Leads', [{ Email: 'ada@x.com' }]);
    const r = await upsert([{ fields: { Email: 'ADA@x.com' } }]);
    expect(r.body.createdRecords).to.have.length(1);
  });

  it('creates a new record for each record whose merge field is given but empty, even where stored records are empty too', async () => {
    const [blank] = em.seed('Leads', [{ 'Full Name': 'No email' }]);
    const r = await upsert(
      [{ fields: { Email: null, 'Full Name': 'First' } }, { fields: { Email: '', 'Full Name': 'Second' } }, { fields: { Email: null, 'Full Name': 'Third' } }],
      'PUT',
    );
    expect(r.status).to.equal(200);
    expect(r.body.updatedRecords).to.deep.equal([]);
    expect(r.body.createdRecords).to.have.length(3);
    expect(r.body.records.map((x: any) => x.fields['Full Name'])).to.deep.equal(['First', 'Second', 'Third']);
    expect(r.body.records.filter((x: any) => 'Email' in x.fields)).to.deep.equal([]);
    expect(em.dump('Leads').find((x) => x.id === blank)!.fields['Full Name']).to.equal('No email');
    expect(em.dump('Leads')).to.have.length(4);
  });

  it('clears unlisted fields of a matched record when the method is PUT', async () => {
    em.seed('Leads', [{ Email: 'ada@x.com', Company: 'Acme' }]);
    const r = await upsert([{ fields: { Email: 'ada@x.com', 'Full Name': 'Ada' } }], 'PUT');
    expect(r.body.records[0].fields).to.not.have.property('Company');
  });

  it('refuses records without the merge fields, unknown merge fields and computed ones', async () => {
    const missing = await upsert([{ fields: { Company: 'x' } }]);
    expect(missing.status).to.equal(422);
    expect(missing.body.error.type).to.equal('INVALID_RECORDS');
    const unknown = await upsert([{ fields: { Email: 'a@x.com' } }], 'PATCH', ['Mail']);
    expect(unknown.body).to.deep.equal({ error: { type: 'UNKNOWN_FIELD_NAME', message: 'Unknown field name: "Mail"' } });
    const computed = await upsert([{ fields: { Email: 'a@x.com' } }], 'PATCH', ['Created At']);
    expect(computed.body.error.type).to.equal('INVALID_REQUEST_UNKNOWN');
    const tooMany = await upsert([{ fields: { Email: 'a@x.com' } }], 'PATCH', ['Email', 'Company', 'Phone', 'Website']);
    expect(tooMany.status).to.equal(422);
  });

  it('requires records with an id to exist and never creates them', async () => {
    const r = await upsert([{ id: 'recAAAAAAAAAAAAAA', fields: { Email: 'a@x.com' } }]);
    expect(r.body).to.deep.equal({ error: { type: 'ROW_DOES_NOT_EXIST', message: 'Record ID recAAAAAAAAAAAAAA does not exist in this table' } });
  });

  it('refuses two records of one request with the same key', async () => {
    const r = await upsert([{ fields: { Email: 'a@x.com' } }, { fields: { Email: 'a@x.com' } }]);
    expect(r.status).to.equal(422);
    expect(em.dump('Leads')).to.have.length(0);
  });

  it('reaches the server through airtable.js makeRequest with both id arrays', async () => {
    const base = new Airtable({ apiKey: TOKEN, endpointUrl: em.url }).base(em.baseId);
    const res: any = await base.makeRequest({
      method: 'PATCH',
      path: '/Leads',
      body: {
        performUpsert: { fieldsToMergeOn: ['Email'] },
        records: [{ fields: { Email: 'z@x.com' } }],
      },
    });
    expect(res.statusCode).to.equal(200);
    expect(res.body.createdRecords).to.have.length(1);
    expect(res.body.updatedRecords).to.deep.equal([]);
  });
});
