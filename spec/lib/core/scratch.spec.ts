import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { makeScratchDir, removeAbandonedScratch } from '../../../lib/core/scratch.js';

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('scratch directories', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scratch-spec-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const plant = (name: string, owner?: number): string => {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'records.bin'), 'lead data');
    if (owner !== undefined) fs.writeFileSync(path.join(dir, 'owner.pid'), `${owner}\n`);
    return dir;
  };

  it('removes the lead data a run killed with -9 left behind, when the next run makes its own', async () => {
    const killed = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    const left = plant('leads-20261207T101010-abcd1234-Xy12Zq', killed.pid);
    expect(removeAbandonedScratch(tmp), 'its owner still runs').to.deep.equal([]);
    const exited = new Promise((resolve) => killed.once('exit', resolve));
    killed.kill('SIGKILL');
    await exited;

    const mine = makeScratchDir('20261207T111111-ef567890', tmp);
    expect(fs.existsSync(left), 'the killed run left it').to.equal(false);
    expect(fs.readFileSync(path.join(mine, 'owner.pid'), 'utf8').trim()).to.equal(String(process.pid));
    expect(fs.statSync(mine).mode & 0o777).to.equal(0o700);
  });

  it('leaves alone what it did not make or cannot tell is abandoned', () => {
    const live = plant('leads-20261207T101010-abcd1234-Aa11Bb', process.pid);
    const noOwner = plant('leads-20261207T101010-abcd1234-Cc22Dd');
    const otherName = plant('leads-of-my-own', deadPid());
    const unrelated = plant('sales-leads-20261207-Ee33Ff', deadPid());
    const gone = plant('leads-restore-Gg44Hh', deadPid());

    expect(removeAbandonedScratch(tmp)).to.deep.equal([gone]);
    for (const dir of [live, noOwner, otherName, unrelated]) expect(fs.existsSync(dir), dir).to.equal(true);
  });
});
