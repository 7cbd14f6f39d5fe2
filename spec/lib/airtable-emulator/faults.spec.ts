import { expect } from 'chai';
import type { Emulator } from '../../../lib/airtable-emulator/index.js';
import { PATH, api, leads, rejection, start } from './helpers.js';

describe('airtable emulator: faults and request log', () => {
  let em: Emulator;
  beforeEach(async () => { em = await start(); });
  afterEach(() => em.close());

  const control = (method: string, route: string, body?: unknown) =>
    api(em, method, `/_emulator${route}`, { body, token: null });

  it('answers the next matching request with a 500 that airtable.js reports as SERVER_ERROR without retrying', async () => {
    em.injectFault({ preset: 'server-error', method: 'GET' });
    const err = await rejection(leads(em).select().all());
    expect(err).to.include({ error: 'SERVER_ERROR', statusCode: 500 });
    expect(em.requestLog()).to.have.length(1);
    expect((await leads(em).select().all())).to.deep.equal([]);
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
    em.injectFault({ path: '^/v0/meta/', status: 418, body: 'teapot' });
    expect((await api(em, 'GET', PATH(em))).status).to.equal(200);
    expect((await api(em, 'POST', PATH(em), { body: { fields: {} } })).status).to.equal(500);
    expect((await api(em, 'POST', PATH(em), { body: { fields: {} } })).body).to.deep.equal({ error: { type: 'X' } });
    expect((await api(em, 'POST', PATH(em), { body: { fields: {} } })).status).to.equal(200);
    expect((await api(em, 'GET', '/v0/meta/whoami')).status).to.equal(418);
    expect((await api(em, 'GET', '/v0/meta/whoami')).status).to.equal(200);
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
