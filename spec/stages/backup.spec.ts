import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { runPipeline, type RunError } from '../../lib/runner.js';
import { journalPath, readJournal } from '../../lib/safety/journal.js';
import { acquireLock } from '../../lib/safety/lock.js';
import { pipelineProblems } from '../helpers.js';
import { localWorkspace, tableRows } from '../lib/safety/support.js';

/** A maintenance config whose alert command writes the alert to `alert.json` in `dir`. */
function configWithAlert(dir: string, backup: Record<string, unknown> = {}): string {
  const file = path.join(dir, 'maintenance.yaml');
  const lines = Object.entries(backup).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`);
  fs.writeFileSync(file, ['maintenance_config:', '  backup:', '    enabled: true', ...lines, '  alerting:', `    command: "cat > ${path.join(dir, 'alert.json')}"`, ''].join('\n'));
  return file;
}

function withConfig(pipeline: string, config: string): void {
  fs.writeFileSync(pipeline, `config: ${config}\n` + fs.readFileSync(pipeline, 'utf8'));
}

describe('backup', () => {
  it('takes a verified backup before the first write and records it in the run journal', async () => {
    const work = localWorkspace();
    const summary = await runPipeline(work.pipeline, { runId: 'ok-run' });
    const journal = readJournal(summary.journal!);
    expect(journal.backups).to.deep.equal([path.join(work.dir, 'backups', 'ok-run', 'manifest.json')]);
    expect(journal.ops.length).to.be.greaterThan(0);
    const manifest = JSON.parse(fs.readFileSync(journal.backups[0]!, 'utf8'));
    expect(manifest).to.include({ run_id: 'ok-run', verified: true });
    expect(summary.journal).to.equal(journalPath(path.join(work.dir, '.lead-maintenance'), 'ok-run'));
  });

  it('aborts the run before any write when the backup fails, exits with the reason and raises the alert', async () => {
    const work = localWorkspace();
    fs.writeFileSync(path.join(work.dir, 'backups'), 'a file where the backup directory should be');
    withConfig(work.pipeline, configWithAlert(work.dir));
    const before = fs.readFileSync(work.database);
    const error = await runPipeline(work.pipeline, { runId: 'doomed' }).then(() => { throw new Error('the run succeeded'); }, (e: RunError) => e);
    expect(error.message).to.match(/^backup: Writing the backup to .*backups failed: .*A file stands where the backup directory should be/);
    expect(fs.readFileSync(work.database).equals(before)).to.equal(true);
    expect(error.summary!.stages.find((s) => s.stage === 'write-sqlite')!.received).to.equal(0);
    const alert = JSON.parse(fs.readFileSync(path.join(work.dir, 'alert.json'), 'utf8'));
    expect(alert).to.include({ kind: 'backup_failed', run_id: 'doomed' });
    expect(alert.message).to.match(/^Backup failed, so the run stopped before writing anything: backup: Writing the backup/);
    expect(readJournal(journalPath(path.join(work.dir, '.lead-maintenance'), 'doomed')).ops).to.deep.equal([]);
  });

  it('refuses to start while another run holds the database, before any write', async () => {
    const work = localWorkspace();
    const lock = acquireLock(path.join(work.dir, '.lead-maintenance'), [work.database], { runId: 'other-run' });
    const before = tableRows(work.database);
    const error = await runPipeline(work.pipeline, { runId: 'second' }).then(() => { throw new Error('the run succeeded'); }, (e: RunError) => e);
    lock.release();
    expect(error.message).to.match(/leads\.db is locked by run other-run \(pid \d+ on .*\): one maintenance run at a time/);
    expect(tableRows(work.database)).to.deep.equal(before);
    expect(fs.existsSync(path.join(work.dir, 'backups', 'second'))).to.equal(false);
  });

  it('takes no backup and writes no journal on a dry run', async () => {
    const work = localWorkspace();
    const before = fs.readFileSync(work.database);
    const summary = await runPipeline(work.pipeline, { runId: 'dry', dryRun: true });
    expect(summary.journal).to.equal(undefined);
    expect(fs.existsSync(path.join(work.dir, 'backups'))).to.equal(false);
    expect(fs.existsSync(path.join(work.dir, '.lead-maintenance'))).to.equal(false);
    expect(fs.readFileSync(work.database).equals(before)).to.equal(true);
  });

  it('applies retention_count after a successful backup, keeping the newest', async () => {
    const work = localWorkspace();
    withConfig(work.pipeline, configWithAlert(work.dir, { retention_count: 2 }));
    for (const runId of ['r1', 'r2', 'r3']) await runPipeline(work.pipeline, { runId });
    expect(fs.readdirSync(path.join(work.dir, 'backups')).sort()).to.deep.equal(['r2', 'r3']);
  });

  it('rejects an unknown system by name and position', () => {
    const work = localWorkspace();
    fs.writeFileSync(work.pipeline, 'steps:\n  - backup: { systems: [local, salesforce] }\n');
    expect(pipelineProblems(work.pipeline)[0]).to.match(/maintain\.yaml:2:\d+ backup\.systems: 'salesforce' is not a system; use local and\/or airtable\./);
  });
});
