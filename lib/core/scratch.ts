import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processRuns } from './processes.js';

/**
 * Scratch directories: where a run parks lead data it cannot keep in memory (the clustering
 * thread's record files, the ids a listing has emitted, a restore's comparison). A run removes
 * its own when it ends; a run killed with -9 cannot, and lead data would stay in the temporary
 * folder for good. So each directory names the process that owns it, and making a new one first
 * removes those whose owner is gone. Only directories this module made are touched: the name
 * pattern and the owner file must both be there.
 */

const OWNER_FILE = 'owner.pid';
/** `leads-<label>-` plus the six characters mkdtemp adds; a label is a run id or a word. */
const SCRATCH_NAME = /^leads-[A-Za-z0-9_.-]+-[A-Za-z0-9]{6}$/;

/** A new private scratch directory under `tmp`, after clearing away those of processes that are gone. */
export function makeScratchDir(label: string, tmp = os.tmpdir()): string {
  removeAbandonedScratch(tmp);
  const dir = fs.mkdtempSync(path.join(tmp, `leads-${label}-`));
  fs.writeFileSync(path.join(dir, OWNER_FILE), `${process.pid}\n`, { mode: 0o600 });
  return dir;
}

/** Removes the scratch directories under `tmp` whose owning process no longer runs; returns their paths. */
export function removeAbandonedScratch(tmp = os.tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(tmp);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!SCRATCH_NAME.test(name)) continue;
    const dir = path.join(tmp, name);
    const owner = ownerOf(dir);
    if (owner === undefined || processRuns(owner)) continue;
    try {
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // Another user's directory, or one going away as we look: not ours to insist on.
    }
  }
  return removed;
}

function ownerOf(dir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
