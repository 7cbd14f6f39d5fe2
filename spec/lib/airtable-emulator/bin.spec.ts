import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../../../..');
const BIN = path.join(ROOT, 'dist/bin/airtable-emulator.js');

/** Starts the bin and resolves with its URL and base id once it says it listens. */
function launch(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; url: string; baseId: string; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (c) => {
      err += c;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+) with base (app\w+)/.exec(err);
      if (m) resolve({ child, url: m[1]!, baseId: m[2]!, stderr: () => err });
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${err}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('airtable-emulator bin', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'emulator-bin-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the token from AIRTABLE_TOKEN, is driven over the control API, and keeps data after SIGTERM', async () => {
    const data = path.join(dir, 'base.sqlite');
    const secret = 'patSecretValue123';
    const first = await launch(['--data', data, '--no-rate-limit'], { AIRTABLE_TOKEN: secret });
    const headers = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' };
    const created = await fetch(`${first.url}/v0/${first.baseId}/Leads`, { method: 'POST', headers, body: JSON.stringify({ fields: { 'Full Name': 'Ada' } }) });
    expect(created.status).to.equal(200);
    await fetch(`${first.url}/_emulator/faults`, { method: 'POST', headers, body: JSON.stringify({ preset: 'server-error' }) });
    expect((await fetch(`${first.url}/v0/${first.baseId}/Leads`, { headers })).status).to.equal(500);
    first.child.kill('SIGTERM');
    expect(await exited(first.child)).to.equal(0);
    expect(first.stderr()).to.not.contain(secret);

    const second = await launch(['--data', data, '--token', 'other']);
    try {
      const list = await fetch(`${second.url}/v0/${second.baseId}/Leads`, { headers: { authorization: 'Bearer other' } });
      const body: any = await list.json();
      expect(body.records.map((r: any) => r.fields['Full Name'])).to.deep.equal(['Ada']);
    } finally {
      second.child.kill('SIGINT');
      expect(await exited(second.child)).to.equal(0);
    }
  });

  it('opens the control API to the control token from AIRTABLE_EMULATOR_CONTROL_TOKEN, and to nothing else but the Airtable token', async () => {
    const em = await launch(['--token', 'airtable-secret'], { AIRTABLE_EMULATOR_CONTROL_TOKEN: 'control-secret' });
    try {
      const health = (token?: string) => fetch(`${em.url}/_emulator/health`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      expect((await health('control-secret')).status).to.equal(200);
      expect((await health('airtable-secret')).status).to.equal(200);
      expect((await health()).status).to.equal(401);
      expect((await fetch(`${em.url}/v0/${em.baseId}/Leads`, { headers: { authorization: 'Bearer control-secret' } })).status).to.equal(401);
    } finally {
      em.child.kill('SIGTERM');
      expect(await exited(em.child)).to.equal(0);
    }
    expect(em.stderr()).to.not.contain('secret');
  });

  it('exits 2 with the usage on a bad argument', async () => {
    const child = spawn(process.execPath, [BIN, '--port', 'abc'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => {
      err += c;
    });
    expect(await exited(child)).to.equal(2);
    expect(err).to.contain('--port must be a whole number, not "abc".');
    expect(err).to.contain('Usage: airtable-emulator');
  });
});
