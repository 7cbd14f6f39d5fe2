import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { EXIT } from '../../../lib/maintenance/commands.js';
import { showStatus } from '../../../lib/maintenance/status.js';
import type { Operation } from '../../../lib/core/operation.js';
import { journalPath, RunJournal } from '../../../lib/core/journal.js';
import { tempDir } from '../../helpers.js';

/** What showStatus writes on stdout. */
function statusOf(stateDir: string): { code: number; text: string } {
  const write = process.stdout.write;
  let text = '';
  process.stdout.write = ((chunk: string) => {
    text += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    return { code: showStatus(stateDir), text };
  } finally {
    process.stdout.write = write;
  }
}

function update(id: string): Operation {
  return {
    kind: 'operation',
    action: 'update',
    system: 'local',
    id,
    fields: { email: 'a@b.c' },
    replaces: { email: 'A@B.C' },
    reason: 'standardize',
    entity: id,
  };
}

describe('--status', () => {
  it('says when no run has written anything yet', () => {
    const stateDir = tempDir();
    expect(statusOf(stateDir)).to.deep.equal({ code: EXIT.ok, text: `State directory: ${stateDir}\nNo run has written anything yet.\n` });
  });

  it('counts the changes a run applied, and tells how to finish or undo a run that never ended', () => {
    const stateDir = tempDir();
    const finished = new RunJournal(journalPath(stateDir, '20260101T000000-aaaa'), '20260101T000000-aaaa');
    finished.settle(finished.intend([update('1'), update('2')]), [{ status: 'applied' }, { status: 'failed', error: 'locked' }]);
    finished.end('completed');
    finished.close();
    const interrupted = new RunJournal(journalPath(stateDir, '20260102T000000-bbbb'), '20260102T000000-bbbb');
    interrupted.settle(interrupted.intend([update('3')]), [{ status: 'applied' }]);
    interrupted.close();
    const { code, text } = statusOf(stateDir);
    expect(code).to.equal(EXIT.ok);
    expect(text.split('\n').slice(1, 3)).to.deep.equal([
      '  20260102T000000-bbbb       1 change(s) applied  interrupted: finish it with --resume 20260102T000000-bbbb or undo it with --rollback 20260102T000000-bbbb',
      '  20260101T000000-aaaa       1 change(s) applied  completed',
    ]);
  });

  it('names the run holding a lock', () => {
    const stateDir = tempDir();
    fs.mkdirSync(path.join(stateDir, 'locks'), { recursive: true });
    fs.writeFileSync(path.join(stateDir, 'locks', 'leads.db.lock'), JSON.stringify({ pid: 42, host: 'box', run_id: 'r1' }));
    expect(statusOf(stateDir).text).to.contain('Locked by run r1 (pid 42 on box): leads.db.lock\n');
  });
});

describe('--status, the latest report', () => {
  const saved = process.env.LEADS_DATA_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.LEADS_DATA_DIR;
    else process.env.LEADS_DATA_DIR = saved;
  });

  /** The status line of a latest report holding `result`. */
  function latestLine(result: Record<string, unknown>): string {
    const data = tempDir();
    fs.mkdirSync(path.join(data, 'reports', 'latest'), { recursive: true });
    const counts = { duplicates_removed: 3, records_standardized: 5, records_synchronized: 2, end_time: '2026-01-01T00:00:00Z', operation_id: 'r1' };
    fs.writeFileSync(path.join(data, 'reports', 'latest', 'maintenance-result.json'), JSON.stringify({ ...counts, ...result }));
    process.env.LEADS_DATA_DIR = data;
    return (
      statusOf(tempDir())
        .text.split('\n')
        .find((line) => line.startsWith('Latest report')) ?? ''
    );
  }

  it('shows a dry run as a dry run, with what it would have done', () => {
    const line = latestLine({ success: true, errors: [], detailed_results: { dry_run: true } });
    expect(line).to.match(
      /^Latest report: run r1, dry run \(nothing changed\), succeeded at 2026-01-01T00:00:00Z: 3 duplicate\(s\) would be removed, 5 record\(s\) would be standardized, 2 would be synchronized /,
    );
  });

  it('shows a failed run with its reason', () => {
    const line = latestLine({
      success: false,
      errors: ['The run failed in stage backup: cannot write\n  data/backups'],
      detailed_results: { dry_run: false, failure: 'cannot write' },
    });
    expect(line).to.contain(
      'Latest report: run r1, FAILED at 2026-01-01T00:00:00Z (The run failed in stage backup: cannot write data/backups): 3 duplicate(s) removed',
    );
  });

  it('shows a live run that went well as succeeded', () => {
    expect(latestLine({ success: true, errors: [], detailed_results: { dry_run: false } })).to.match(/^Latest report: run r1, succeeded at /);
  });
});
