import { expect } from 'chai';
import type { Emulator } from '../../../lib/airtable-emulator/index.js';
import { isOperation, type Operation } from '../../../lib/core/operation.js';
import type { StreamItem } from '../../../lib/core/types.js';
import { runStage } from '../../helpers.js';
import { connection, emulator, recordRequests, rows, useToken } from './setup.js';

function create(i: number): Operation {
  return {
    kind: 'operation',
    action: 'create',
    system: 'airtable',
    fields: { name: `New ${i}`, email: `new${i}@x.io` },
    replaces: {},
    reason: 'sync',
    entity: `e${i}`,
  };
}
const statusOf = (item: StreamItem) => (isOperation(item) ? item.result?.status : undefined);

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work;
  return { value, ms: Date.now() - started };
}

/**
 * Each fault of the Airtable contract, met by the stages with the real client: the right data or
 * a clear error, within a bounded time, never a hang and never a record created twice.
 */
describe('airtable faults', () => {
  useToken();
  let em: Emulator;
  afterEach(async () => {
    await em?.close();
  });

  const LIST = (em: Emulator) => `/v0/${em.baseId}/Leads`;

  async function readAll(extra: Record<string, unknown> = {}): Promise<{ ids: string[]; ms: number }> {
    const { value, ms } = await timed(runStage('read-airtable', connection(em, extra), []));
    return { ids: value.output.map((r) => r._meta!.id!), ms };
  }

  for (const [name, fault] of [
    ['500 server errors', { preset: 'server-error' }],
    ['502 gateway pages in HTML', { preset: 'bad-gateway-html' }],
    ['503 with Retry-After', { preset: 'unavailable' }],
    ['a 200 whose body is not JSON', { preset: 'non-json-200' }],
    ['connection resets', { reset: true }],
    ['requests that never get an answer', { hang: true }],
  ] as const) {
    it(`reads every record exactly once through ${name} on the second page`, async () => {
      em = await emulator();
      const seeded = em.seed('Leads', rows(150));
      em.injectFault({ method: 'GET', path: `${LIST(em)}$`, count: 2, ...fault });
      const { ids, ms } = await readAll({ request_timeout_seconds: 0.3 });
      expect(ids).to.deep.equal(seeded);
      expect(ms, 'bounded: two failures, their deadlines and backoff').to.be.below(5000);
      expect(recordRequests(em).filter((r) => r.fault).length).to.equal(2);
    });
  }

  it('gives up with a clear error when a 5xx outlasts the retries, without hanging', async () => {
    em = await emulator();
    em.seed('Leads', rows(3));
    em.injectFault({ method: 'GET', path: `${LIST(em)}$`, count: -1, preset: 'server-error' });
    const { value: failure, ms } = await timed(runStage('read-airtable', connection(em, { max_retries: 2 }), []).catch((e) => e));
    expect(failure.message).to.equal(
      'read-airtable: Airtable: list records in table Leads of base appEmulatorLeads1 failed (HTTP 500, SERVER_ERROR): Server error. Gave up after 2 retries; Airtable or the network keeps failing. Try again later, or raise max_retries.',
    );
    expect(recordRequests(em)).to.have.length(3);
    expect(ms).to.be.below(3000);
  });

  it('waits out the penalty through a storm of 429s and then reads everything', async () => {
    em = await emulator({ rateLimit: { penaltyMs: 200 } });
    const seeded = em.seed('Leads', rows(120));
    em.injectFault({
      method: 'GET',
      path: `${LIST(em)}$`,
      count: 3,
      status: 429,
      body: { error: { type: 'RATE_LIMIT_REACHED', message: 'Rate limit exceeded. Please try again later' } },
    });
    const { ids, ms } = await readAll({ rate_limit_penalty_seconds: 0.2 });
    expect(ids).to.deep.equal(seeded);
    expect(ms, 'three penalties of 200 ms').to.be.within(600, 4000);
  });

  it("recovers from the emulator's own 429 penalty when another client used up the rate", async () => {
    em = await emulator({ rateLimit: { penaltyMs: 300 } });
    em.seed('Leads', rows(5));
    // Someone else's burst: the base is in its penalty when the stage starts.
    const others = await Promise.all(
      Array.from({ length: 6 }, () => fetch(`${em.url}${LIST(em)}`, { headers: { authorization: 'Bearer emulator-token' } }).then((r) => r.status)),
    );
    expect(others).to.include(429);
    const { ids } = await readAll({ rate_limit_penalty_seconds: 0.3 });
    expect(ids).to.have.length(5);
  });

  it('stops at once with the monthly quota error instead of retrying forever', async () => {
    em = await emulator();
    em.seed('Leads', rows(3));
    em.setMonthlyQuotaExceeded(true);
    const { value: failure, ms } = await timed(runStage('read-airtable', connection(em), []).catch((e) => e));
    expect(failure.message).to.include('(HTTP 429, PUBLIC_API_BILLING_LIMIT_EXCEEDED)');
    expect(failure.message).to.include('The workspace has used up its monthly API calls');
    expect(em.requestLog()).to.have.length(1);
    expect(ms).to.be.below(1000);
  });

  it('creates each record once when a create fails with 5xx, a reset or a non-JSON 200', async () => {
    em = await emulator();
    for (const fault of [{ preset: 'server-error' }, { reset: true }, { preset: 'non-json-200' }, { preset: 'bad-gateway-html' }] as const) {
      em.injectFault({ method: 'POST', count: 1, ...fault });
    }
    const input = Array.from({ length: 20 }, (_, i) => create(i));
    // All four hit the first batch: it is checked and sent again four times.
    const { output } = await runStage('write-airtable', connection(em, { max_retries: 4 }), input);
    expect(output.map(statusOf)).to.deep.equal(input.map(() => 'applied'));
    const names = em.dump('Leads').map((r) => r.fields['Full Name']);
    expect(names).to.have.length(20);
    expect(new Set(names).size).to.equal(20);
  });

  it('creates each record once when Airtable applied a create but the answer never came', async () => {
    em = await emulator();
    // The emulator answers after 500 ms and still applies the create; the client gave up at 250 ms.
    em.injectFault({ method: 'POST', count: 1, delayMs: 500 });
    const input = Array.from({ length: 10 }, (_, i) => create(i));
    const {
      value: { output },
      ms,
    } = await timed(runStage('write-airtable', connection(em, { request_timeout_seconds: 0.25 }), input));
    expect(output.map(statusOf)).to.deep.equal(input.map(() => 'applied'));
    const dump = em.dump('Leads');
    expect(dump).to.have.length(10);
    expect(output.map((o) => (o as unknown as Operation).result!.id).sort()).to.deep.equal(dump.map((r) => r.id).sort());
    const posts = recordRequests(em).filter((r) => r.method === 'POST');
    expect(posts, 'the lost create was found by re-reading, not sent again').to.have.length(1);
    expect(ms).to.be.below(5000);
  });

  it('deletes once when the answer to a delete was lost', async () => {
    em = await emulator();
    const ids = em.seed('Leads', rows(4));
    em.injectFault({ method: 'DELETE', count: 1, preset: 'bad-gateway-html' });
    const input = ids
      .slice(0, 3)
      .map((id) => ({ kind: 'operation', action: 'delete', system: 'airtable', id, fields: {}, replaces: {}, reason: 'dedupe', entity: id }));
    const { output } = await runStage('write-airtable', connection(em), input);
    expect(output.map(statusOf)).to.deep.equal(['applied', 'applied', 'applied']);
    expect(em.dump('Leads').map((r) => r.id)).to.deep.equal([ids[3]]);
  });

  it('fails the write with a clear error when the quota runs out mid-run, rejecting every operation it could not apply', async () => {
    em = await emulator();
    em.injectFault({ method: 'POST', count: 1, status: 429, body: { error: { type: 'PUBLIC_API_BILLING_LIMIT_EXCEEDED', message: 'Monthly limit.' } } });
    const input = Array.from({ length: 15 }, (_, i) => create(i));
    const failure = await runStage('write-airtable', connection(em), input).catch((e) => e);
    expect(failure.message).to.match(
      /^write-airtable: Airtable: create 10 records in table Leads of base appEmulatorLeads1 failed \(HTTP 429, PUBLIC_API_BILLING_LIMIT_EXCEEDED\): Monthly limit\. The workspace has used up its monthly API calls.* 15 operation\(s\) were not applied/,
    );
    expect(
      recordRequests(em).filter((r) => r.method === 'POST'),
      'nothing sent after the quota error',
    ).to.have.length(1);
  });
});
