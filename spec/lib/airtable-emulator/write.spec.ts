import { expect } from 'chai';
import type { Emulator } from '../../../lib/airtable-emulator/index.js';
import { PATH, api, leadRows, leads, rejection, start } from './helpers.js';

describe('airtable emulator: writes', () => {
  let em: Emulator;
  beforeEach(async () => {
    em = await start();
  });
  afterEach(() => em.close());

  it('creates one record from a fields body and answers the record object', async () => {
    const r = await api(em, 'POST', PATH(em, '/?'), { body: { fields: { 'Full Name': 'Ada', Email: 'ada@x.com' } } });
    expect(r.status).to.equal(200);
    expect(r.body.id).to.match(/^rec[A-Za-z0-9]{14}$/);
    expect(r.body.createdTime).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    expect(r.body.fields).to.include({ 'Full Name': 'Ada', Email: 'ada@x.com' });
    expect(r.body.fields['Created At']).to.equal(r.body.createdTime);
  });

  it('creates a batch from a records body and answers in request order', async () => {
    const recs = await leads(em).create(leadRows(3).map((fields) => ({ fields })));
    expect(recs.map((r) => r.get('Full Name'))).to.deep.equal(['Lead 0', 'Lead 1', 'Lead 2']);
    expect(em.dump('Leads').map((r) => r.id)).to.deep.equal(recs.map((r) => r.id));
  });

  it('refuses 11 records with 422 INVALID_RECORDS and the real message', async () => {
    const err = await rejection(leads(em).create(leadRows(11).map((fields) => ({ fields }))));
    expect(err).to.deep.include({
      error: 'INVALID_RECORDS',
      statusCode: 422,
      message: 'A maximum of 10 records can be created per request but you have provided 11.',
    });
    expect(em.dump('Leads')).to.have.length(0);
  });

  it('writes nothing when one record of a batch is bad', async () => {
    const r = await api(em, 'POST', PATH(em), { body: { records: [{ fields: { 'Full Name': 'ok' } }, { fields: { 'Created At': 'x' } }] } });
    expect(r.status).to.equal(422);
    expect(r.body).to.deep.equal({
      error: { type: 'INVALID_VALUE_FOR_COLUMN', message: 'Field "Created At" cannot accept a value because the field is computed' },
    });
    expect(em.dump('Leads')).to.have.length(0);
  });

  it('refuses an unknown field with 422 UNKNOWN_FIELD_NAME', async () => {
    const err = await rejection(leads(em).create({ Title: 'CEO' }));
    expect(err).to.include({ error: 'UNKNOWN_FIELD_NAME', message: 'Unknown field name: "Title"', statusCode: 422 });
  });

  it('refuses a value of the wrong type with 422 INVALID_VALUE_FOR_COLUMN', async () => {
    const r = await api(em, 'POST', PATH(em), { body: { fields: { Replied: 'yes' } } });
    expect(r.status).to.equal(422);
    expect(r.body).to.deep.equal({ error: { type: 'INVALID_VALUE_FOR_COLUMN', message: 'Field "Replied" cannot accept the provided value' } });
    const date = await api(em, 'POST', PATH(em), { body: { fields: { 'Date Scraped': '13/08/2025' } } });
    expect(date.status).to.equal(422);
  });

  it('asks for a missing fields key with 422 and the real message', async () => {
    const r = await api(em, 'POST', PATH(em), { body: { 'Full Name': 'Ada' } });
    expect(r.status).to.equal(422);
    expect(r.body.error.message).to.equal('Could not find field "fields" in the request body');
  });

  it('refuses an unknown select option without typecast and creates it with typecast', async () => {
    const err = await rejection(leads(em).create({ Engagement_Status: 'auto_send' }));
    expect(err).to.include({
      error: 'INVALID_MULTIPLE_CHOICE_OPTIONS',
      statusCode: 422,
      message: 'Insufficient permissions to create new select option "auto_send"',
    });
    const rec = await leads(em).create({ Engagement_Status: 'auto_send' }, { typecast: true });
    expect(rec.get('Engagement_Status')).to.equal('auto_send');
    const meta = await api(em, 'GET', `/v0/meta/bases/${em.baseId}/tables`);
    const field = meta.body.tables[0].fields.find((f: any) => f.name === 'Engagement_Status');
    expect(field.options.choices.map((c: any) => c.name)).to.include('auto_send');
    expect(field.options.choices.at(-1).id).to.match(/^sel[A-Za-z0-9]{14}$/);
  });

  it('converts strings with typecast for checkbox and date fields', async () => {
    const rec = await leads(em).create({ Replied: 'true', 'Date Scraped': '2025-08-13T10:00:00Z' }, { typecast: true });
    expect(rec.fields).to.include({ Replied: true, 'Date Scraped': '2025-08-13' });
  });

  it('keeps unlisted fields on PATCH, clears them on PUT, and clears a field written as null', async () => {
    const rec = await leads(em).create({ 'Full Name': 'Ada', Email: 'ada@x.com', Company: 'Acme' });
    const patched = await leads(em).update(rec.id, { Company: 'Beta' });
    expect(patched.fields).to.include({ 'Full Name': 'Ada', Email: 'ada@x.com', Company: 'Beta' });
    const nulled = await leads(em).update(rec.id, { Email: null } as any);
    expect(nulled.fields).to.not.have.property('Email');
    const replaced = await leads(em).replace(rec.id, { Company: 'Gamma' });
    expect(replaced.fields).to.not.have.any.keys('Full Name', 'Email');
    expect(replaced.fields.Company).to.equal('Gamma');
  });

  it('updates a batch and refuses an unknown id with 422 ROW_DOES_NOT_EXIST, writing nothing', async () => {
    const [a, b] = em.seed('Leads', leadRows(2));
    const ok = await leads(em).update([
      { id: a!, fields: { Company: 'A' } },
      { id: b!, fields: { Company: 'B' } },
    ]);
    expect(ok.map((r) => r.get('Company'))).to.deep.equal(['A', 'B']);
    const err = await rejection(
      leads(em).update([
        { id: a!, fields: { Company: 'X' } },
        { id: 'recAAAAAAAAAAAAAA', fields: {} },
      ]),
    );
    expect(err).to.include({ error: 'ROW_DOES_NOT_EXIST', statusCode: 422, message: 'Record ID recAAAAAAAAAAAAAA does not exist in this table' });
    expect(em.dump('Leads')[0]!.fields.Company).to.equal('A');
  });

  it('refuses more than 10 records on update and delete with INVALID_RECORDS', async () => {
    const ids = em.seed('Leads', leadRows(11));
    const upd = await api(em, 'PATCH', PATH(em), { body: { records: ids.map((id) => ({ id, fields: {} })) } });
    expect(upd.body).to.deep.equal({
      error: { type: 'INVALID_RECORDS', message: 'A maximum of 10 records can be updated per request but you have provided 11.' },
    });
    const del = await api(em, 'DELETE', PATH(em, `?${ids.map((id) => `records%5B%5D=${id}`).join('&')}`));
    expect(del.status).to.equal(422);
    expect(del.body.error.message).to.equal('A maximum of 10 records can be deleted per request but you have provided 11.');
  });

  it('answers a single update of an unknown record with 404 MODEL_ID_NOT_FOUND', async () => {
    const r = await api(em, 'PATCH', PATH(em, '/recAAAAAAAAAAAAAA'), { body: { fields: { Company: 'x' } } });
    expect(r.status).to.equal(404);
    expect(r.body).to.deep.equal({ error: { type: 'MODEL_ID_NOT_FOUND', message: 'Record not found' } });
  });

  it('deletes one record and a batch with the documented shapes', async () => {
    const [a, b, c] = em.seed('Leads', leadRows(3));
    const one = await api(em, 'DELETE', PATH(em, `/${a}`));
    expect(one.body).to.deep.equal({ id: a, deleted: true });
    const many = await api(em, 'DELETE', PATH(em, `?records%5B%5D=${b}&records%5B%5D=${c}`));
    expect(many.body).to.deep.equal({
      records: [
        { id: b, deleted: true },
        { id: c, deleted: true },
      ],
    });
    expect(em.dump('Leads')).to.have.length(0);
    const again = await rejection(leads(em).destroy(a!));
    expect(again).to.include({ error: 'NOT_FOUND', statusCode: 404 });
  });

  it('bumps the last-modified time only when a value really changes', async () => {
    let now = Date.parse('2026-02-01T00:00:00Z');
    const e2 = await start({ clock: () => now });
    try {
      const [id] = e2.seed('Leads', [{ 'Full Name': 'A' }]);
      now += 5000;
      await leads(e2).update(id!, { 'Full Name': 'A' });
      expect(e2.dump('Leads')[0]!.lastModified).to.equal('2026-02-01T00:00:00.000Z');
      now += 5000;
      await leads(e2).update(id!, { 'Full Name': 'B' });
      expect(e2.dump('Leads')[0]!.lastModified).to.equal('2026-02-01T00:00:10.000Z');
    } finally {
      await e2.close();
    }
  });

  it('returns number 0, formulas and autonumbers, and keys written records by field id on request', async () => {
    const e2 = await start({
      schema: {
        tables: [
          {
            name: 'Deals',
            fields: [
              { name: 'Name', type: 'singleLineText' },
              { name: 'Amount', type: 'number' },
              { name: 'No', type: 'autoNumber' },
              { name: 'Label', type: 'formula', options: { formula: "UPPER({Name}) & '-' & {Amount}" } },
            ],
          },
        ],
      },
    });
    try {
      const r = await api(e2, 'POST', `/v0/${e2.baseId}/Deals`, { body: { fields: { Name: 'x', Amount: 0 } } });
      expect(r.body.fields).to.deep.equal({ Name: 'x', Amount: 0, No: 1, Label: 'X-0' });
      const formula = await api(e2, 'POST', `/v0/${e2.baseId}/Deals`, { body: { fields: { Label: 'y' } } });
      expect(formula.body.error.type).to.equal('INVALID_VALUE_FOR_COLUMN');
      const byId = await api(e2, 'POST', `/v0/${e2.baseId}/Deals`, { body: { fields: { Amount: 2 }, returnFieldsByFieldId: true } });
      expect(Object.keys(byId.body.fields).every((k) => /^fld[A-Za-z0-9]{14}$/.test(k))).to.equal(true);
    } finally {
      await e2.close();
    }
  });

  it('stores date-times as UTC ISO strings from offset-less text and from epoch milliseconds', async () => {
    const e2 = await start({
      schema: {
        tables: [
          {
            name: 'Events',
            fields: [
              { name: 'Name', type: 'singleLineText' },
              { name: 'At', type: 'dateTime' },
            ],
          },
        ],
      },
    });
    try {
      const text = await api(e2, 'POST', `/v0/${e2.baseId}/Events`, { body: { fields: { At: '2021-12-02T19:30:00' } } });
      expect(text.body.fields.At).to.equal('2021-12-02T19:30:00.000Z');
      const epoch = await api(e2, 'POST', `/v0/${e2.baseId}/Events`, { body: { fields: { At: 1640520000000 } } });
      expect(epoch.body.fields.At).to.equal('2021-12-26T12:00:00.000Z');
      const bad = await api(e2, 'POST', `/v0/${e2.baseId}/Events`, { body: { fields: { At: 'soon' } } });
      expect(bad.body).to.deep.equal({ error: { type: 'INVALID_VALUE_FOR_COLUMN', message: 'Field "At" cannot accept the provided value' } });
    } finally {
      await e2.close();
    }
  });
});
