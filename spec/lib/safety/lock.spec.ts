import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { LockError } from '../../../lib/safety/errors.js';
import { acquireLock } from '../../../lib/safety/lock.js';
import { applyRetention } from '../../../lib/safety/retention.js';
import { tempDir } from '../../helpers.js';

/** The pid of a process that has ended. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

describe('lib/safety lock and retention', () => {
  describe('acquireLock', () => {
    it('lets one run at a time hold a database, naming the holder to the second', () => {
      const dir = tempDir();
      const lock = acquireLock(dir, ['/data/leads.db', 'airtable:appX'], { runId: 'first' });
      expect(lock.files).to.have.length(2);
      for (const file of lock.files) expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
      const error = (() => {
        try {
          acquireLock(dir, ['airtable:appX'], { runId: 'second' });
        } catch (e) {
          return e as LockError;
        }
        return undefined;
      })();
      expect(error).to.be.instanceOf(LockError);
      expect(error!.message).to.equal(
        `airtable:appX is locked by run first (pid ${process.pid} on ${os.hostname()}, started ${JSON.parse(fs.readFileSync(error!.lockFile, 'utf8')).started_at}): one maintenance run at a time. Wait for it to finish; the lock is ${error!.lockFile}.`,
      );
      lock.release();
      acquireLock(dir, ['airtable:appX', '/data/leads.db'], { runId: 'second' }).release();
      expect(fs.readdirSync(path.join(dir, 'locks'))).to.deep.equal([]);
    });

    it('takes all of its resources or none', () => {
      const dir = tempDir();
      const held = acquireLock(dir, ['b'], { runId: 'one' });
      expect(() => acquireLock(dir, ['a', 'b', 'c'], { runId: 'two' })).to.throw(LockError);
      expect(fs.readdirSync(path.join(dir, 'locks'))).to.deep.equal(held.files.map((f) => path.basename(f)));
    });

    it('reports a stale lock of a dead run instead of breaking it, and breaks it only when asked or resuming that run', () => {
      const dir = tempDir();
      const lock = acquireLock(dir, ['leads.db'], { runId: 'dead-run' });
      const file = lock.files[0]!;
      const owner = JSON.parse(fs.readFileSync(file, 'utf8'));
      fs.writeFileSync(file, JSON.stringify({ ...owner, pid: deadPid() }));
      const error = (() => {
        try {
          acquireLock(dir, ['leads.db'], { runId: 'next' });
        } catch (e) {
          return e as LockError;
        }
        return undefined;
      })();
      expect(error?.stale).to.equal(true);
      expect(error!.message).to.match(
        /^A stale lock on leads\.db: run dead-run \(pid \d+ on .*\) no longer runs but left .*\.lock\. Finish that run with db-maintenance --resume dead-run or undo it with db-maintenance --rollback dead-run \(either takes its lock over\); or, once you are sure no run is in progress, remove the lock: rm '.*\.lock'/,
      );
      // Only what db-maintenance accepts: it has no --break-stale-lock flag.
      expect(error!.message).not.to.contain('--break-stale-lock');
      expect(fs.existsSync(file)).to.equal(true);
      acquireLock(dir, ['leads.db'], { runId: 'dead-run' }).release();
      fs.writeFileSync(file, JSON.stringify({ ...owner, pid: deadPid() }));
      const taken = acquireLock(dir, ['leads.db'], { runId: 'next', breakStale: true });
      expect(JSON.parse(fs.readFileSync(file, 'utf8')).run_id).to.equal('next');
      taken.release();
    });

    it('treats a lock from another host as held, since its owner cannot be checked from here', () => {
      const dir = tempDir();
      const lock = acquireLock(dir, ['leads.db'], { runId: 'remote' });
      const file = lock.files[0]!;
      fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), host: 'elsewhere', pid: deadPid() }));
      expect(() => acquireLock(dir, ['leads.db'], { runId: 'next', breakStale: true })).to.throw(/locked by run remote \(pid \d+ on elsewhere/);
    });
  });

  describe('applyRetention', () => {
    function fakeBackup(root: string, runId: string, daysAgo: number, verified: boolean): string {
      const dir = path.join(root, runId);
      fs.mkdirSync(dir, { recursive: true });
      const created = new Date(Date.parse('2026-03-01T00:00:00Z') - daysAgo * 86_400_000).toISOString();
      fs.writeFileSync(
        path.join(dir, 'manifest.json'),
        JSON.stringify({ format: 1, run_id: runId, created_at: created, tool_version: '0', encrypted: false, files: [], verified }),
      );
      return dir;
    }
    const now = () => new Date('2026-03-01T00:00:00Z');

    it('deletes backups past retention_days and beyond retention_count, newest kept', () => {
      const root = tempDir();
      for (const [id, days] of [
        ['a', 1],
        ['b', 5],
        ['c', 10],
        ['d', 40],
        ['e', 50],
      ] as const)
        fakeBackup(root, id, days, true);
      const byDays = applyRetention(root, { retention_days: 30, now });
      expect(byDays.deleted.map((d) => path.basename(d))).to.deep.equal(['d', 'e']);
      const byCount = applyRetention(root, { retention_days: 30, retention_count: 2, now });
      expect(byCount.deleted.map((d) => path.basename(d))).to.deep.equal(['c']);
      expect(fs.readdirSync(root).sort()).to.deep.equal(['a', 'b']);
    });

    it('never deletes the only verified backup, however old, nor a directory it cannot read', () => {
      const root = tempDir();
      fakeBackup(root, 'old-verified', 90, true);
      fakeBackup(root, 'new-unverified', 60, false);
      fs.mkdirSync(path.join(root, 'someone-elses'));
      const result = applyRetention(root, { retention_days: 30, now });
      expect(result.deleted.map((d) => path.basename(d))).to.deep.equal(['new-unverified']);
      expect(fs.readdirSync(root).sort()).to.deep.equal(['old-verified', 'someone-elses']);
    });

    it('removes the unfinished backup of a run killed mid-backup once it is a day old', () => {
      const root = tempDir();
      fakeBackup(root, 'good', 1, true);
      fs.mkdirSync(path.join(root, 'killed.partial'));
      fs.mkdirSync(path.join(root, 'running.partial'));
      const old = new Date(Date.parse('2026-02-27T00:00:00Z'));
      fs.utimesSync(path.join(root, 'killed.partial'), old, old);
      fs.utimesSync(path.join(root, 'running.partial'), new Date('2026-02-28T23:00:00Z'), new Date('2026-02-28T23:00:00Z'));
      const result = applyRetention(root, { retention_days: 30, now });
      expect(result.deleted.map((d) => path.basename(d))).to.deep.equal(['killed.partial']);
      expect(fs.readdirSync(root).sort()).to.deep.equal(['good', 'running.partial']);
    });
  });
});
