import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { maintenancePipeline } from '../../../lib/maintenance/commands.js';
import { cli, ROOT, tempDir } from '../../helpers.js';

const CLEAN_ENV = { LEADS_DB: '', LEADS_DATA_DIR: '', LEADS_STATE_DIR: '', AIRTABLE_TOKEN: '', AIRTABLE_BASE_ID: '', AIRTABLE_ENDPOINT_URL: '' };

/** The bundled sample leads as a CSV export, as a CRM would give them. */
async function sampleExport(dir: string): Promise<string> {
  const file = path.join(dir, 'leads.csv');
  const leads = fs.readFileSync(path.join(ROOT, 'pipelines', 'samples', 'leads.jsonl'), 'utf8');
  const run = await cli('run-stage', ['write-csv', '--path', file], { input: leads, cwd: dir, env: CLEAN_ENV });
  expect(run.code, run.stderr).to.equal(0);
  return file;
}

describe('db-maintenance --local-file', function () {
  // Two runs of the command over the sample data.
  this.timeout(120_000);
  it('reads a CSV export in place of the database, and neither backs up, writes nor re-reads a database', () => {
    const pipeline = maintenancePipeline('sync-data', { localFile: 'exports/leads.csv', env: {} });
    const names = pipeline.steps.map((s) => s.stage.name);
    expect(names[0]).to.equal('read-csv');
    expect(names).to.not.include.members(['backup', 'read-sqlite', 'write-sqlite', 'validate']);
    expect(pipeline.steps[0]!.options).to.include({ path: path.resolve('exports/leads.csv'), system: 'local' });
    expect(pipeline.steps.find((s) => s.stage.name === 'diff')!.options.direction).to.equal('to_airtable');
    // The export is every lead: it is set beside the whole base, with no run's links or watermark.
    expect(pipeline.steps.find((s) => s.stage.name === 'diff')!.options.state_file).to.equal(undefined);
    expect(
      maintenancePipeline('sync-data', { localFile: 'leads.csv', incremental: true, env: {} }).steps.find((s) => s.stage.name === 'read-airtable')!.options
        .incremental,
    ).to.equal(false);
  });

  it('reads a .json export with read-json', () => {
    const pipeline = maintenancePipeline('full-maintenance', { localFile: 'leads.json', env: {} });
    expect(pipeline.steps[0]!.stage.name).to.equal('read-json');
  });

  it('refuses anything but a dry run, saying the file is never written (exit 2)', async () => {
    const dir = tempDir();
    const file = await sampleExport(dir);
    const run = await cli('db-maintenance', ['--sync-data', '--sample', '--yes', '--local-file', file], { cwd: dir, env: CLEAN_ENV });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.contain('--local-file reads an export, which is never written: add --dry-run');
    expect(fs.existsSync(path.join(dir, 'data'))).to.equal(false);
  });

  it('refuses a command that reads no local database', async () => {
    const run = await cli('db-maintenance', ['--backup-only', '--dry-run', '--sample', '--local-file', 'leads.csv'], { cwd: tempDir(), env: CLEAN_ENV });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.contain('--local-file goes with --full-maintenance');
  });

  it('shows what a sync would change in Airtable from a CSV export, leaving the file as it was', async () => {
    const dir = tempDir();
    const file = await sampleExport(dir);
    const before = fs.readFileSync(file);
    const run = await cli('db-maintenance', ['--sync-data', '--sample', '--dry-run', '--local-file', file], { cwd: dir, env: CLEAN_ENV });
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.match(/steps":"read-csv → read-airtable/);
    expect(run.stderr).to.match(/This run would change:\n(\s+\w+\s+\d+ record\(s\) in Airtable\n)+/);
    expect(run.stderr).to.not.match(/record\(s\) locally|in the local database/);
    expect(fs.readFileSync(file).equals(before)).to.equal(true);
  });

  it('after runs on the database, does not read leads missing from the export as deleted: the sync state links the database rows, not the export', async () => {
    const dir = tempDir();
    const synced = await cli('db-maintenance', ['--sync-data', '--sample', '--yes'], { cwd: dir, env: CLEAN_ENV });
    expect(synced.code, synced.stderr).to.equal(0);
    const firstFive = fs
      .readFileSync(path.join(ROOT, 'pipelines', 'samples', 'leads.jsonl'), 'utf8')
      .split('\n')
      .slice(0, 5)
      .join('\n');
    const file = path.join(dir, 'five.csv');
    expect((await cli('run-stage', ['write-csv', '--path', file], { input: `${firstFive}\n`, cwd: dir, env: CLEAN_ENV })).code).to.equal(0);
    const run = await cli('db-maintenance', ['--sync-data', '--sample', '--dry-run', '--local-file', file], { cwd: dir, env: CLEAN_ENV });
    expect(run.code, run.stderr).to.equal(0);
    // Every lead of the base was linked to a database row by the run before; none is in the export.
    const operations = /^operations: (.*)$/m.exec(run.stderr)?.[1];
    expect(operations).to.equal('airtable.create.dry_run=4');
  });
});
