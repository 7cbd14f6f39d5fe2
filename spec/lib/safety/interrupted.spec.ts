import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { runPipeline } from '../../../lib/core/runner.js';
import { readJournal } from '../../../lib/core/journal-read.js';
import { journalPath } from '../../../lib/core/journal.js';
import { resumeRun } from '../../../lib/safety/resume.js';
import { rollbackRun } from '../../../lib/safety/rollback.js';
import { seededRandom } from '../../../lib/core/random.js';
import { contentOf, eachAtMost, localWorkspace, tableRows } from './support.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'kill-child.js');
const NOW = '2026-02-01T09:00:00.000Z';
const EVENTS = ['intended', 'settling', 'settled'] as const;

/** Twenty kill points chosen by a seeded RNG: an event and which batch it hits. */
function killPoints(batches: number): Array<{ event: string; count: number }> {
  const random = seededRandom(20260201);
  return Array.from({ length: 20 }, () => ({ event: EVENTS[Math.floor(random() * EVENTS.length)]!, count: 1 + Math.floor(random() * batches) }));
}

/** Runs the pipeline in a child process that SIGKILLs itself at `point`; resolves to its exit signal. */
function runKilled(pipeline: string, runId: string, point: { event: string; count: number }): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, pipeline, runId, point.event, String(point.count), NOW], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => (code ? reject(new Error(`the child failed: ${stderr}`)) : resolve(signal)));
  });
}

interface Killed {
  dir: string;
  database: string;
  pipeline: string;
  runId: string;
  stateDir: string;
  point: { event: string; count: number };
  journal: ReturnType<typeof readJournal>;
}

describe('an interrupted local run (kill -9 at random points)', function () {
  this.timeout(120_000);
  const COUNT = 80;
  const BATCH = 4;
  const CREATES = 12;
  let original: string;
  let uninterrupted: Array<Record<string, unknown>>;
  let initial: Array<Record<string, unknown>>;

  before(async () => {
    const reference = localWorkspace({ count: COUNT, batch: BATCH, airtableOnly: CREATES });
    original = path.join(reference.dir, 'original.db');
    fs.copyFileSync(reference.database, original);
    initial = tableRows(original);
    const summary = await runPipeline(reference.pipeline, { runId: 'reference', now: () => new Date(NOW) });
    expect(summary.operations['local.update.applied']).to.be.greaterThan(40);
    expect(summary.operations['local.create.applied']).to.equal(CREATES);
    uninterrupted = tableRows(reference.database);
    expect(uninterrupted).to.not.deep.equal(initial);
  });

  /**
   * Kills a run at each point and checks it, four points at a time, each from kill to check (the
   * children mostly wait on fsync, so a point's check runs while the next ones are being killed).
   */
  async function eachKilled(points: Array<{ event: string; count: number }>, prefix: string, check: (work: Killed) => Promise<void>): Promise<void> {
    await eachAtMost(points, 4, async (point, i) => {
      const work = localWorkspace({ count: COUNT, batch: BATCH, airtableOnly: CREATES });
      fs.copyFileSync(original, work.database);
      const runId = `${prefix}-${i}`;
      const signal = await runKilled(work.pipeline, runId, point);
      expect(signal, `run ${runId} was killed at ${point.event} #${point.count}`).to.equal('SIGKILL');
      const stateDir = path.join(work.dir, '.lead-maintenance');
      const journal = readJournal(journalPath(stateDir, runId));
      expect(journal.end, 'the journal shows the run did not end').to.equal(undefined);
      await check({ ...work, runId, stateDir, point, journal });
    });
  }

  it('resumed at each of 20 points, ends exactly as an uninterrupted run: every update and create made once, none lost', async () => {
    let unknownOutcomes = 0;
    let unknownCreates = 0;
    await eachKilled(killPoints(Math.ceil((COUNT + CREATES) / BATCH)), 'resume', async (work) => {
      const { point } = work;
      unknownOutcomes += work.journal.ops.filter((op) => !op.result).length;
      unknownCreates += work.journal.ops.filter((op) => !op.result && op.action === 'create').length;
      const result = await resumeRun(work.runId, { stateDir: work.stateDir, run: { now: () => new Date(NOW) } });
      expect(result.already_complete).to.equal(false);
      const after = tableRows(work.database);
      expect(after.length, `rows after resume at ${point.event} #${point.count}`).to.equal(initial.length + CREATES);
      expect(contentOf(after), `state after resume at ${point.event} #${point.count}`).to.deep.equal(contentOf(uninterrupted));
      expect(readJournal(journalPath(work.stateDir, work.runId)).end?.status).to.equal('completed');
      // The backup taken before the first write is the only one: the resumed run reused it.
      expect(fs.readdirSync(path.join(work.dir, 'backups'))).to.deep.equal([work.runId]);
    });
    // Some kills fell between a commit and its mark, so outcomes had to be looked up.
    expect(unknownOutcomes).to.be.greaterThan(0);
    // …creates among them, which were looked up rather than made again.
    expect(unknownCreates).to.be.greaterThan(0);
  });

  it('rolled back at each of 20 points, ends exactly as before the run', async () => {
    const points = killPoints(Math.ceil((COUNT + CREATES) / BATCH)).map((p, i) => ({ ...p, count: Math.max(1, p.count - (i % 3)) }));
    await eachKilled(points, 'rollback', async (work) => {
      const { point } = work;
      const result = await rollbackRun(work.runId, { stateDir: work.stateDir });
      expect(result.conflicts).to.deep.equal([]);
      expect(tableRows(work.database), `state after rollback at ${point.event} #${point.count}`).to.deep.equal(initial);
      expect(readJournal(journalPath(work.stateDir, work.runId)).end?.status).to.equal('rolled_back');
    });
  });
});
