import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { runPipeline, type RunError } from '../../lib/core/runner.js';
import { readJournal } from '../../lib/core/journal-read.js';
import { journalPath } from '../../lib/core/journal.js';
import { acquireLock } from '../../lib/safety/lock.js';
import { DEFAULT_LEAD_SCHEMA } from '../../lib/airtable-emulator/schema.js';
import { DEFAULT_TOKEN, startEmulator, type Emulator } from '../../lib/airtable-emulator/index.js';
import { pipelineProblems, tempDir } from '../helpers.js';
import { localWorkspace, tableRows } from '../lib/safety/support.js';

/** A maintenance config whose alert command writes the alert to `alert.json` in `dir`. */
function configWithAlert(dir: string, backup: Record<string, unknown> = {}): string {
  const file = path.join(dir, 'maintenance.yaml');
  const lines = Object.entries(backup).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`);
  fs.writeFileSync(
    file,
    ['maintenance_config:', '  backup:', '    enabled: true', ...lines, '  alerting:', `    command: "cat > ${path.join(dir, 'alert.json')}"`, ''].join('\n'),
  );
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
    const error = await runPipeline(work.pipeline, { runId: 'doomed' }).then(
      () => {
        throw new Error('the run succeeded');
      },
      (e: RunError) => e,
    );
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
    const error = await runPipeline(work.pipeline, { runId: 'second' }).then(
      () => {
        throw new Error('the run succeeded');
      },
      (e: RunError) => e,
    );
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

describe('backup: which Airtable table and base', () => {
  const saved: Record<string, string | undefined> = {};
  let emulator: Emulator;
  let dir: string;
  beforeEach(async () => {
    for (const name of ['AIRTABLE_TOKEN', 'AIRTABLE_BASE_ID', 'AIRTABLE_ENDPOINT_URL']) saved[name] = process.env[name];
    // Only the token in the environment, as `npm run bench -- sync` has it.
    process.env.AIRTABLE_TOKEN = DEFAULT_TOKEN;
    delete process.env.AIRTABLE_BASE_ID;
    delete process.env.AIRTABLE_ENDPOINT_URL;
    emulator = await startEmulator({
      port: 0,
      schema: { ...DEFAULT_LEAD_SCHEMA, tables: DEFAULT_LEAD_SCHEMA.tables.map((t) => ({ ...t, name: 'Prospects' })) },
    });
    emulator.seed('Prospects', [{ 'Full Name': 'Ann Lee', Email: 'ann@acme.com' }]);
    dir = tempDir('backup-airtable-');
    fs.writeFileSync(path.join(dir, 'maintenance.yaml'), 'maintenance_config:\n  synchronization: { airtable: { table: Prospects } }\n');
  });
  afterEach(async () => {
    await emulator.close();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it("backs up the base and endpoint the pipeline's Airtable steps are given, and the table the config names", async () => {
    const pipeline = path.join(dir, 'pipeline.yaml');
    fs.writeFileSync(
      pipeline,
      [
        'config: maintenance.yaml',
        'steps:',
        '  - backup: { systems: [airtable], backup_directory: backups }',
        `  - read-airtable: { base_id: ${emulator.baseId}, endpoint_url: "${emulator.url}" }`,
        '',
      ].join('\n'),
    );
    await runPipeline(pipeline, { runId: 'bench-like', stateDir: path.join(dir, 'state') });
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'backups', 'bench-like', 'manifest.json'), 'utf8'));
    const records = manifest.files.find((f: { kind: string }) => f.kind === 'records');
    expect(records.source).to.include({ base_id: emulator.baseId, table: 'Prospects' });
    expect(records.records).to.equal(1);
  });

  it('restore reaches the base and endpoint its step names, as the other Airtable stages do, with only the token in the environment', async () => {
    fs.writeFileSync(
      path.join(dir, 'backup.yaml'),
      [
        'config: maintenance.yaml',
        'steps:',
        `  - backup: { systems: [airtable], backup_directory: backups, base_id: ${emulator.baseId}, endpoint_url: "${emulator.url}" }`,
        '',
      ].join('\n'),
    );
    await runPipeline(path.join(dir, 'backup.yaml'), { runId: 'before', stateDir: path.join(dir, 'state') });
    emulator.seed('Prospects', [{ 'Full Name': 'Added After The Backup' }]);
    fs.writeFileSync(
      path.join(dir, 'restore.yaml'),
      ['steps:', `  - restore: { backup: backups/before, systems: [airtable], base_id: ${emulator.baseId}, endpoint_url: "${emulator.url}" }`, ''].join('\n'),
    );
    await runPipeline(path.join(dir, 'restore.yaml'), { runId: 'restore' });
    expect(emulator.dump('Prospects').map((r) => r.fields['Full Name'])).to.deep.equal(['Ann Lee']);
  });

  it("backs up the table the pipeline's Airtable steps read when a step names it", async () => {
    fs.writeFileSync(path.join(dir, 'maintenance.yaml'), 'maintenance_config: {}\n');
    const pipeline = path.join(dir, 'pipeline.yaml');
    fs.writeFileSync(
      pipeline,
      [
        'config: maintenance.yaml',
        'steps:',
        '  - backup: { systems: [airtable], backup_directory: backups }',
        `  - read-airtable: { table: Prospects, base_id: ${emulator.baseId}, endpoint_url: "${emulator.url}" }`,
        '',
      ].join('\n'),
    );
    await runPipeline(pipeline, { runId: 'step-table', stateDir: path.join(dir, 'state') });
    expect(fs.readdirSync(path.join(dir, 'backups', 'step-table'))).to.include('airtable-Prospects.jsonl.gz');
  });
});
