import { expect } from 'chai';
import type { Emulator } from '../../../lib/airtable-emulator/index.js';
import { PATH, api, leads, rejection, start } from './helpers.js';

const PERMISSION_MESSAGE =
  'Invalid permissions, or the requested model was not found. Check that both your user and your token have the required permissions, and that the model names and/or ids are correct.';

describe('airtable emulator: auth, routes and transport errors', () => {
  let em: Emulator;
  beforeEach(async () => {
    em = await start({
      maxBodyBytes: 64 * 1024,
      tokenGrants: {
        'pat-other-base': { bases: ['appOtherBase00001'] },
        'pat-read-only': { scopes: ['data.records:read'] },
      },
    });
  });
  afterEach(() => em.close());

  it('answers a missing or unknown token with 401 AUTHENTICATION_REQUIRED', async () => {
    for (const token of [null, 'junk']) {
      const r = await api(em, 'GET', PATH(em), { token });
      expect(r.status).to.equal(401);
      expect(r.body).to.deep.equal({ error: { type: 'AUTHENTICATION_REQUIRED', message: 'Authentication required' } });
    }
    const err = await rejection(leads(em, { apiKey: 'patWrong' }).select().all());
    expect(err).to.include({ error: 'AUTHENTICATION_REQUIRED', statusCode: 401 });
  });

  it('answers a token without the base, and an unknown table, with 403 that airtable.js calls NOT_AUTHORIZED', async () => {
    const noBase = await api(em, 'GET', PATH(em), { token: 'pat-other-base' });
    expect(noBase.status).to.equal(403);
    expect(noBase.body).to.deep.equal({ error: { type: 'INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND', message: PERMISSION_MESSAGE } });
    const noTable = await api(em, 'GET', `/v0/${em.baseId}/Contacts`);
    expect(noTable.body).to.deep.equal(noBase.body);
    const unknownBase = await api(em, 'GET', '/v0/appAAAAAAAAAAAAAA/Leads');
    expect(unknownBase.status).to.equal(403);
    const err = await rejection(leads(em, { table: 'Contacts' }).select().all());
    expect(err).to.include({ error: 'NOT_AUTHORIZED', statusCode: 403 });
  });

  it('refuses a write by a read-only token with 403', async () => {
    expect((await api(em, 'GET', PATH(em), { token: 'pat-read-only' })).status).to.equal(200);
    const r = await api(em, 'POST', PATH(em), { token: 'pat-read-only', body: { fields: {} } });
    expect(r.status).to.equal(403);
  });

  it('answers unknown routes and malformed ids with the bare 404 envelope', async () => {
    for (const path of ['/v1/x', `/v0/${em.baseId}`, `/v0/notABase/Leads`, PATH(em, '/notARecordId'), PATH(em, '/recAAAAAAAAAAAAAA/extra/x')]) {
      const r = await api(em, 'GET', path);
      expect(r.status, path).to.equal(404);
      expect(r.body, path).to.deep.equal({ error: 'NOT_FOUND' });
    }
  });

  it('offers the legacy 404 TABLE_NOT_FOUND for unknown tables behind an option', async () => {
    const legacy = await start({ legacyNotFound: true });
    try {
      const r = await api(legacy, 'GET', `/v0/${legacy.baseId}/Unknown%20Table`);
      expect(r.status).to.equal(404);
      expect(r.body).to.deep.equal({ error: { type: 'TABLE_NOT_FOUND', message: `Could not find table Unknown Table in application ${legacy.baseId}` } });
    } finally {
      await legacy.close();
    }
  });

  it('addresses a table by URL-encoded name or by id, with or without trailing slash', async () => {
    em.seed('Leads', [{ 'Full Name': 'A' }]);
    const meta = await api(em, 'GET', `/v0/meta/bases/${em.baseId}/tables`);
    const tableId = meta.body.tables[0].id;
    for (const path of [`/v0/${em.baseId}/Leads`, `/v0/${em.baseId}/Leads/?`, `/v0/${em.baseId}/${tableId}`, `/v0/${em.baseId}/%4Ceads`]) {
      const r = await api(em, 'GET', path);
      expect(r.status, path).to.equal(200);
      expect(r.body.records, path).to.have.length(1);
    }
  });

  it('answers a body that is not JSON with 400', async () => {
    const r = await api(em, 'POST', PATH(em), { rawBody: '{"fields":' });
    expect(r.status).to.equal(400);
    expect(r.body.error.type).to.equal('INVALID_REQUEST_UNKNOWN');
  });

  it('answers an oversized body with 413 that airtable.js calls REQUEST_TOO_LARGE', async () => {
    const r = await api(em, 'POST', PATH(em), { body: { fields: { 'AI Message': 'x'.repeat(70_000) } } });
    expect(r.status).to.equal(413);
    expect(r.body).to.deep.equal({ error: { type: 'REQUEST_TOO_LARGE', message: 'Request body is too large' } });
    const err = await rejection(leads(em).create({ 'AI Message': 'x'.repeat(70_000) }));
    expect(err).to.include({ error: 'REQUEST_TOO_LARGE', statusCode: 413 });
  });

  it('rejects a GET URL longer than 16,000 characters', async () => {
    const r = await api(em, 'GET', PATH(em, `?filterByFormula=${'A'.repeat(16_100)}`));
    expect(r.status).to.equal(414);
    expect(r.body.error.type).to.equal('INVALID_REQUEST_URL_TOO_LONG');
  });

  it('sends JSON with charset and gzip when asked, and no CORS header', async () => {
    em.seed(
      'Leads',
      Array.from({ length: 50 }, (_, i) => ({ 'Full Name': `Lead ${i}` })),
    );
    const r = await api(em, 'GET', PATH(em));
    expect(r.headers.get('content-type')).to.equal('application/json; charset=utf-8');
    expect(r.headers.get('access-control-allow-origin')).to.equal(null);
    expect(r.headers.get('content-encoding')).to.equal('gzip');
    expect(r.body.records).to.have.length(50);
  });

  it('never logs the token', async () => {
    await api(em, 'GET', PATH(em));
    const entry = em.requestLog()[0]!;
    expect(entry.headers.authorization).to.equal('Bearer [redacted]');
    expect(JSON.stringify(em.requestLog())).to.not.contain('emulator-token');
  });
});

describe('airtable emulator: edges of the surface', () => {
  it('makes airtable.js fail with a raw FetchError ECONNREFUSED once the emulator is closed', async () => {
    const em = await start();
    await em.close();
    const err = await rejection(leads(em).select().all());
    expect(err.name).to.equal('FetchError');
    expect(err.code).to.equal('ECONNREFUSED');
  });

  it('refuses creates beyond a records-per-base cap when one is set', async () => {
    const em = await start({ maxRecordsPerBase: 3 });
    try {
      em.seed('Leads', [{ 'Full Name': 'a' }, { 'Full Name': 'b' }]);
      const r = await api(em, 'POST', PATH(em), { body: { records: [{ fields: {} }, { fields: {} }] } });
      expect(r.status).to.equal(422);
      expect(r.body.error).to.deep.equal({
        type: 'INVALID_RECORDS',
        message: 'This base has reached its limit of 3 records; delete records or upgrade the plan.',
      });
      expect((await api(em, 'POST', PATH(em), { body: { fields: {} } })).status).to.equal(200);
    } finally {
      await em.close();
    }
  });

  it('returns a record with empty fields when a table has no computed fields', async () => {
    const em = await start({ schema: { tables: [{ name: 'Plain', fields: [{ name: 'Name', type: 'singleLineText' }] }] } });
    try {
      const r = await api(em, 'POST', `/v0/${em.baseId}/Plain`, { body: { fields: { Name: '' } } });
      expect(r.body.fields).to.deep.equal({});
      const list = await api(em, 'GET', `/v0/${em.baseId}/Plain?limit=1`);
      expect(list.body.records).to.deep.equal([r.body]);
    } finally {
      await em.close();
    }
  });

  it('answers a CORS preflight without any CORS header, so a browser refuses the cross-origin call', async () => {
    const em = await start();
    try {
      const r = await api(em, 'OPTIONS', PATH(em), { token: null });
      expect(r.status).to.equal(204);
      expect([...r.headers.keys()].filter((k) => k.startsWith('access-control-'))).to.deep.equal([]);
    } finally {
      await em.close();
    }
  });
});
