import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Attacks on the emulator's process, as a web page in the developer's browser or a local
 * flood could make them: each ran unhindered before the control API had a token, the Host
 * was checked, the log was bounded in bytes and fault paths stopped being regular expressions.
 */

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../../..');
const BIN = path.join(ROOT, 'dist/bin/airtable-emulator.js');
const TOKEN = 'patSecurityToken000.secret';

interface Launched {
  child: ChildProcess;
  url: string;
  port: number;
  baseId: string;
}

function launch(args: string[] = []): Promise<Launched> {
  const child = spawn(process.execPath, [BIN, '--token', TOKEN, '--no-rate-limit', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (c) => {
      err += c;
      const m = /listening on (http:\/\/127\.0\.0\.1:(\d+)) with base (app\w+)/.exec(err);
      if (m) resolve({ child, url: m[1]!, port: Number(m[2]), baseId: m[3]! });
    });
    child.once('exit', (code) => reject(new Error(`The emulator exited with ${code}: ${err}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  ms: number;
}

/** A raw HTTP/1.1 request, so that the Host header and the body are exactly the attacker's. */
function send(
  port: number,
  method: string,
  urlPath: string,
  opts: { host?: string; token?: string; body?: string | Buffer; origin?: string; agent?: Agent; timeoutMs?: number } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { host: opts.host ?? `127.0.0.1:${port}` };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.origin) headers.origin = opts.origin;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(opts.body));
  }
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: urlPath, headers, agent: opts.agent ?? false, timeout: opts.timeoutMs ?? 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text, ms: Date.now() - t0 }));
    });
    req.on('timeout', () => req.destroy(new Error(`No answer to ${method} ${urlPath} within ${opts.timeoutMs ?? 10_000} ms.`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Resident memory of a process in bytes (Linux), or undefined elsewhere. */
function rssOf(pid: number): number | undefined {
  const file = `/proc/${pid}/status`;
  if (!existsSync(file)) return undefined;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(file, 'utf8'));
  return m ? Number(m[1]) * 1024 : undefined;
}

const CONTROL_ROUTES: [string, string, string?][] = [
  ['GET', '/_emulator/health'],
  ['POST', '/_emulator/reset', '{"records":true}'],
  ['POST', '/_emulator/seed', '{"table":"Leads","records":[{"Full Name":"Mallory"}]}'],
  ['GET', '/_emulator/records?table=Leads'],
  ['POST', '/_emulator/faults', '{"preset":"server-error","count":-1}'],
  ['DELETE', '/_emulator/faults'],
  ['GET', '/_emulator/requests'],
  ['DELETE', '/_emulator/requests'],
  ['POST', '/_emulator/quota', '{"exceeded":true}'],
];

describe('security: the emulator process under attack', function () {
  this.timeout(60_000);
  let em: Launched;
  const leads = () => `/v0/${em.baseId}/Leads`;
  const count = async () => JSON.parse((await send(em.port, 'GET', leads(), { token: TOKEN })).text).records.length as number;

  before(async () => {
    em = await launch();
  });
  after(() => stop(em.child));

  it('answers every control route with 401 without a token or with a wrong one, and changes nothing', async () => {
    expect((await send(em.port, 'POST', leads(), { token: TOKEN, body: '{"fields":{"Full Name":"Ada"}}' })).status).to.equal(200);
    for (const [method, route, body] of CONTROL_ROUTES) {
      for (const token of [undefined, 'wrong-token']) {
        const r = await send(em.port, method, route, { token, body });
        expect(r.status, `${method} ${route} with ${token ?? 'no token'}`).to.equal(401);
        expect(JSON.parse(r.text)).to.deep.equal({ error: { type: 'AUTHENTICATION_REQUIRED', message: 'Authentication required' } });
      }
    }
    expect(await count()).to.equal(1);
    const health = await send(em.port, 'GET', '/_emulator/health', { token: TOKEN });
    expect(health.status).to.equal(200);
    expect((await send(em.port, 'POST', '/_emulator/reset', { token: TOKEN, body: '{"records":true}' })).status).to.equal(200);
    expect(await count()).to.equal(0);
  });

  it('sends no CORS header on any answer, preflight included', async () => {
    const origin = 'https://attacker.example';
    const answers = [
      await send(em.port, 'OPTIONS', leads(), { origin }),
      await send(em.port, 'GET', leads(), { origin }),
      await send(em.port, 'GET', leads(), { origin, token: TOKEN }),
      await send(em.port, 'GET', '/nowhere', { origin, token: TOKEN }),
      await send(em.port, 'GET', '/_emulator/health', { origin }),
      await send(em.port, 'GET', '/_emulator/health', { origin, token: TOKEN }),
    ];
    for (const a of answers) expect(Object.keys(a.headers).filter((h) => h.startsWith('access-control-'))).to.deep.equal([]);
    expect(answers.map((a) => a.status)).to.deep.equal([204, 401, 200, 404, 401, 200]);
  });

  it('refuses a Host other than its loopback address or localhost with its port (DNS rebinding), token or not', async () => {
    await send(em.port, 'POST', leads(), { token: TOKEN, body: '{"fields":{"Full Name":"Ada"}}' });
    for (const host of [
      `rebind.attacker.example:${em.port}`,
      '127.0.0.1',
      `127.0.0.1:${em.port + 1}`,
      `localhost.attacker.example:${em.port}`,
      `0.0.0.0:${em.port}`,
    ]) {
      const list = await send(em.port, 'GET', leads(), { host, token: TOKEN });
      expect(list.status, host).to.equal(403);
      expect(list.text).to.not.contain('Ada');
      expect(JSON.parse(list.text).error.type).to.equal('INVALID_HOST');
      expect((await send(em.port, 'POST', '/_emulator/reset', { host, token: TOKEN, body: '{"records":true}' })).status, host).to.equal(403);
    }
    expect(await count()).to.equal(1);
    expect((await send(em.port, 'GET', leads(), { host: `localhost:${em.port}`, token: TOKEN })).status).to.equal(200);
    expect((await send(em.port, 'GET', leads(), { host: `LOCALHOST:${em.port}`, token: TOKEN })).status).to.equal(200);
  });

  it('keeps its log and its memory bounded under a flood of large tokenless requests', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    try {
      const body = JSON.stringify({ fields: { Company_Description: 'a'.repeat(256 * 1024 - 64) } });
      const statuses = new Map<number, number>();
      const flood = async (n: number) => {
        let next = 0;
        const worker = async () => {
          while (next < n) {
            next++;
            const r = await send(em.port, 'POST', leads(), { body, agent });
            statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          }
        };
        await Promise.all(Array.from({ length: 8 }, worker));
      };
      // A first wave lets the process reach its working size (socket buffers, young heap);
      // the second must not grow it much: the old log kept every one of its 75 MiB of bodies.
      await flood(100);
      const rssBefore = rssOf(em.child.pid!);
      await flood(300);
      expect([...statuses]).to.deep.equal([[401, 400]]);
      const rssAfter = rssOf(em.child.pid!);
      if (rssBefore !== undefined && rssAfter !== undefined) expect(rssAfter - rssBefore).to.be.below(40 * 1024 * 1024);
      const health = JSON.parse((await send(em.port, 'GET', '/_emulator/health', { token: TOKEN })).text);
      expect(health.requestLog.entries).to.be.at.least(400);
      // Paths and headers only: the 100 MiB of bodies were never kept.
      expect(health.requestLog.bytes).to.be.below(1024 * 1024);
    } finally {
      agent.destroy();
    }
  });

  it('keeps the log of authenticated requests within --log-max-bytes', async () => {
    const small = await launch(['--log-max-bytes', '1000000']);
    try {
      // listRecords by POST ignores unknown keys, so the padding is a body the log must hold.
      const body = JSON.stringify({ pageSize: 1, padding: 'b'.repeat(250_000) });
      for (let i = 0; i < 12; i++)
        expect((await send(small.port, 'POST', `/v0/${small.baseId}/Leads/listRecords`, { token: TOKEN, body })).status).to.equal(200);
      const health = JSON.parse((await send(small.port, 'GET', '/_emulator/health', { token: TOKEN })).text);
      expect(health.requestLog.bytes).to.be.at.most(1_000_000);
      expect(health.requestLog.entries).to.equal(3);
    } finally {
      await stop(small.child);
    }
  });

  it('refuses a catastrophic regular expression as a fault path, so a request cannot stall the server', async () => {
    const armed = await send(em.port, 'POST', '/_emulator/faults', { token: TOKEN, body: JSON.stringify({ path: '^/(a+)+$', status: 500, count: -1 }) });
    const probe = await send(em.port, 'GET', `/${'a'.repeat(40)}!`, { token: TOKEN, timeoutMs: 3_000 });
    expect(probe.status).to.equal(404);
    expect(probe.ms).to.be.below(1_000);
    expect(armed.status).to.equal(422);
    expect(JSON.parse(armed.text).error.message).to.contain('regular expressions are not accepted');
    const glob = await send(em.port, 'POST', '/_emulator/faults', {
      token: TOKEN,
      body: JSON.stringify({ path: '/*a*a*a*a*a*a*a*a*a*a*a*a*b$', status: 500, count: -1 }),
    });
    expect(glob.status).to.equal(200);
    const globProbe = await send(em.port, 'GET', `/v0/${'a'.repeat(15_000)}`, { token: TOKEN, timeoutMs: 3_000 });
    expect(globProbe.status).to.equal(404);
    expect(globProbe.ms).to.be.below(1_000);
    await send(em.port, 'DELETE', '/_emulator/faults', { token: TOKEN });
  });
});
