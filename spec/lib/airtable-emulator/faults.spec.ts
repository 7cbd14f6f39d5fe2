import { expect } from 'chai';
import type { Emulator } from '../../../lib/airtable-emulator/index.js';
import { PATH, api, leads, rejection, start } from './helpers.js';

describe('airtable emulator: faults and request log', () => {
  let em: Emulator;
  beforeEach(async () => {
    em = await start();
  });
  afterEach(() => em.close());

  const control = (method: string, route: string, body?: unknown) => api(em, method, `/_emulator${route}`, { body });

  it('answers the next matching request with a 500 that airtable.js reports as SERVER_ERROR without retrying', async () => {
    em.injectFault({ preset: 'server-error', method: 'GET' });
    const err = await rejection(leads(em).select().all());
    expect(err).to.include({ error: 'SERVER_ERROR', statusCode: 500 });
    expect(em.requestLog()).to.have.length(1);
    expect(await leads(em).select().all()).to.deep.equal([]);
  });

  it('sends a 502 gateway page as HTML, which airtable.js reports as UNEXPECTED_ERROR', async () => {
    em.injectFault({ preset: 'bad-gateway-html' });
    const raw = await api(em, 'GET', PATH(em));
    expect(raw.status).to.equal(502);
    expect(raw.headers.get('content-type')).to.equal('text/html');
    expect(raw.text).to.contain('502 Bad Gateway');
    em.injectFault({ preset: 'bad-gateway-html' });
    expect(await rejection(leads(em).select().all())).to.include({ error: 'UNEXPECTED_ERROR', statusCode: 502 });
  });

  it('sends a 503 with Retry-After, which airtable.js reports as SERVICE_UNAVAILABLE', async () => {
    em.injectFault({ preset: 'unavailable', count: 2 });
    const raw = await api(em, 'GET', PATH(em));
    expect(raw.status).to.equal(503);
    expect(raw.headers.get('retry-after')).to.equal('1');
    expect(raw.body.error.type).to.equal('RETRIABLE_ERROR');
    expect(await rejection(leads(em).select().all())).to.include({ error: 'SERVICE_UNAVAILABLE', statusCode: 503 });
    expect((await api(em, 'GET', PATH(em))).status).to.equal(200);
  });

  it('can answer 200 with a body that is not JSON', async () => {
    em.injectFault({ preset: 'non-json-200' });
    const raw = await api(em, 'GET', PATH(em));
    expect(raw.status).to.equal(200);
    expect(raw.body).to.equal(undefined);
  });

  it('matches faults by method and path prefix or pattern, and counts them down', async () => {
    em.injectFault({ method: 'POST', path: `/v0/${em.baseId}/Leads`, status: 500, body: { error: { type: 'X' } }, count: 2 });
    em.injectFault({ path: '/v0/meta/', status: 418, body: 'teapot' });
    expect((await api(em, 'GET', PATH(em))).status).to.equal(200);
    expect((await api(em, 'POST', PATH(em), { body: { fields: {} } })).status).to.equal(500);
    expect((await api(em, 'POST', PATH(em), { body: { fields: {} } })).body).to.deep.equal({ error: { type: 'X' } });
    expect((await api(em, 'POST', PATH(em), { body: { fields: {} } })).status).to.equal(200);
    expect((await api(em, 'GET', '/v0/meta/whoami')).status).to.equal(418);
    expect((await api(em, 'GET', '/v0/meta/whoami')).status).to.equal(200);
  });

  it('matches fault paths with * for any run of characters and a final $ for the whole path', async () => {
    em.injectFault({ path: '/v0/*/Leads$', status: 500, count: -1 });
    expect((await api(em, 'GET', PATH(em))).status).to.equal(500);
    expect((await api(em, 'GET', PATH(em, '/listRecords'))).status).to.equal(404);
    expect((await api(em, 'GET', '/v0/meta/whoami')).status).to.equal(200);
    em.clearFaults();
    em.injectFault({ path: '/v0/meta/*ami', status: 418, count: -1 });
    expect((await api(em, 'GET', '/v0/meta/whoami')).status).to.equal(418);
    expect((await api(em, 'GET', '/v0/meta/bases')).status).to.equal(200);
  });

  it('refuses a fault path written as a regular expression, in process and over HTTP, and arms none of a list with one', async () => {
    expect(() => em.injectFault({ path: '^/(a+)+$' })).to.throw('starts with "^" like a regular expression; regular expressions are not accepted');
    const r = await control('POST', '/faults', [{ preset: 'server-error' }, { path: '^/v0/', status: 500 }]);
    expect(r.status).to.equal(422);
    expect(r.body.error.message).to.contain('Fault path "^/v0/" starts with "^"');
    expect((await api(em, 'GET', PATH(em))).status).to.equal(200);
    expect((await control('POST', '/faults', { preset: 'nope' })).body.error.message).to.contain('Unknown fault preset "nope"');
  });

  it('delays a request and then answers it normally', async () => {
    em.injectFault({ delayMs: 200 });
    const t0 = Date.now();
    const r = await api(em, 'GET', PATH(em));
    expect(r.status).to.equal(200);
    expect(Date.now() - t0).to.be.greaterThanOrEqual(190);
  });

  it('hangs a request until airtable.js gives up with a raw AbortError', async () => {
    em.injectFault({ hang: true });
    const err = await rejection(leads(em, { requestTimeout: 200 }).select().all());
    expect(err.name).to.equal('AbortError');
    expect(err.message).to.equal('The user aborted a request.');
  });

  it('resets the connection, which airtable.js surfaces as a raw FetchError', async () => {
    em.injectFault({ reset: true });
    const err = await rejection(leads(em).select().all());
    expect(err.name).to.equal('FetchError');
    expect(err.code).to.equal('ECONNRESET');
  });

  it('clears armed faults on request', async () => {
    em.injectFault({ preset: 'server-error', count: Infinity });
    expect((await api(em, 'GET', PATH(em))).status).to.equal(500);
    em.clearFaults();
    expect((await api(em, 'GET', PATH(em))).status).to.equal(200);
  });

  it('logs method, path, query, body, time and status of every Airtable request', async () => {
    const before = Date.now();
    await leads(em).create({ 'Full Name': 'Ada' });
    await api(em, 'GET', PATH(em, '?pageSize=5&fields%5B%5D=Email'));
    const [post, get] = em.requestLog();
    expect(post).to.deep.include({ method: 'POST', path: `/v0/${em.baseId}/Leads/`, status: 200, body: { fields: { 'Full Name': 'Ada' } } });
    expect(post!.time).to.be.within(before, Date.now());
    expect(get).to.deep.include({ method: 'GET', query: { pageSize: '5', fields: ['Email'] }, status: 200 });
    em.clearLog();
    expect(em.requestLog()).to.deep.equal([]);
  });

  it('keeps the request log within its byte limit, dropping the oldest entries first', async () => {
    const small = await start({ requestLogMaxBytes: 600_000 });
    try {
      const filler = 'x'.repeat(250_000);
      for (let i = 0; i < 8; i++) await api(small, 'POST', PATH(small), { body: { fields: { Company_Description: filler, 'Full Name': `Lead ${i}` } } });
      const stats = small.requestLogStats();
      expect(stats.bytes).to.be.at.most(600_000);
      expect(stats.entries).to.equal(2);
      expect(small.requestLog().map((r: any) => r.body.fields['Full Name'])).to.deep.equal(['Lead 6', 'Lead 7']);
    } finally {
      await small.close();
    }
  });

  it('logs requests without a valid token with no body', async () => {
    await api(em, 'POST', PATH(em), { body: { fields: { 'Full Name': 'Mallory' } }, token: 'wrong' });
    const [entry] = em.requestLog();
    expect(entry).to.include({ method: 'POST', status: 401 });
    expect(entry).to.not.have.property('body');
  });

  it('answers every control route with 401 without a full-access token or the control token', async () => {
    await em.close();
    em = await start({ controlToken: 'control-only', tokenGrants: { limited: { bases: ['appEmulatorLeads1'], scopes: ['data.records:read'] } } });
    for (const [method, route] of [
      ['GET', '/health'],
      ['POST', '/reset'],
      ['POST', '/seed'],
      ['GET', '/records?table=Leads'],
      ['POST', '/faults'],
      ['DELETE', '/faults'],
      ['GET', '/requests'],
      ['DELETE', '/requests'],
      ['POST', '/quota'],
      ['GET', '/nothing'],
    ]) {
      for (const token of [null, 'wrong', 'limited']) {
        const r = await api(em, method!, `/_emulator${route}`, { token });
        expect(r.status, `${method} ${route} with ${token}`).to.equal(401);
        expect(r.body).to.deep.equal({ error: { type: 'AUTHENTICATION_REQUIRED', message: 'Authentication required' } });
      }
    }
    expect((await api(em, 'GET', '/_emulator/health', { token: 'control-only' })).status).to.equal(200);
    expect((await api(em, 'GET', '/_emulator/health')).status).to.equal(200);
    expect((await api(em, 'GET', PATH(em), { token: 'control-only' })).status).to.equal(401);
  });

  it('is driven over HTTP by the control API outside the Airtable surface', async () => {
    expect((await control('GET', '/health')).body).to.include({ url: em.url, baseId: em.baseId });
    await control('POST', '/faults', [{ preset: 'unavailable' }]);
    expect((await api(em, 'GET', PATH(em))).status).to.equal(503);
    await control('POST', '/faults', { preset: 'server-error', count: -1 });
    await control('DELETE', '/faults');
    expect((await api(em, 'GET', PATH(em))).status).to.equal(200);
    expect((await control('GET', '/requests')).body.requests.map((r: any) => r.status)).to.deep.equal([503, 200]);
    await control('DELETE', '/requests');
    expect((await control('GET', '/requests')).body.requests).to.deep.equal([]);
    await control('POST', '/quota', { exceeded: true });
    expect((await api(em, 'GET', PATH(em))).body.error.type).to.equal('PUBLIC_API_BILLING_LIMIT_EXCEEDED');
    await control('POST', '/quota', { exceeded: false });
    const seeded = await control('POST', '/seed', { table: 'Leads', records: [{ 'Full Name': 'Ada' }] });
    expect(seeded.body.ids).to.have.length(1);
    const dumped = await control('GET', '/records?table=Leads');
    expect(dumped.body.records[0]).to.include({ id: seeded.body.ids[0] });
    await control('POST', '/reset', { records: true });
    expect(em.dump('Leads')).to.deep.equal([]);
    expect(em.requestLog()).to.deep.equal([]);
    expect((await control('GET', '/nothing')).body).to.deep.equal({ error: 'NOT_FOUND' });
    expect((await control('POST', '/seed', { table: 'Nope', records: [] })).status).to.equal(422);
  });
});
