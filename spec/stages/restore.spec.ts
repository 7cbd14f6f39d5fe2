import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { packagePath } from '../../lib/core/paths.js';
import { loadPipeline } from '../../lib/core/pipeline.js';
import { runPipeline, type RunError } from '../../lib/core/runner.js';
import { localWorkspace, tableRows } from '../lib/safety/support.js';

/** Runs a pipeline and collects what comes out of its last stage. */
async function collect(pipeline: Parameters<typeof runPipeline>[0], options: Parameters<typeof runPipeline>[1] = {}) {
  const out: Array<Record<string, unknown>> = [];
  const loaded = typeof pipeline === 'string' ? loadPipeline(pipeline) : pipeline;
  loaded.steps.push({
    stage: {
      name: 'collect',
      kind: 'sink',
      summary: '',
      options: {},
      create: () => (r: Record<string, unknown>) => {
        out.push(r);
        return r;
      },
    },
    options: { on_error: 'fail' },
  });
  await runPipeline(loaded, options);
  return out;
}

describe('restore', () => {
  it('plans on a dry run (the bundled restore pipeline), then restores the database byte for byte', async () => {
    const work = localWorkspace();
    const initial = tableRows(work.database);
    await runPipeline(work.pipeline, { runId: 'maintained' });
    const afterRun = fs.readFileSync(work.database);
    expect(tableRows(work.database)).to.not.deep.equal(initial);

    const bundled = loadPipeline(packagePath('pipelines', 'restore.yaml'), {
      env: { BACKUP: path.join(work.dir, 'backups', 'maintained'), LEADS_DB: work.database },
    });
    const [plan] = await collect(bundled, { dryRun: true, now: () => new Date('2026-02-02T08:00:00Z') });
    expect(plan).to.deep.include({
      kind: 'restore_plan',
      dry_run: true,
      local: {
        database: work.database,
        from: path.join(work.dir, 'backups', 'maintained', 'leads.db'),
        tables: { leads: 60, schema_migrations: 1 },
        current_kept_as: `${work.database}.before-restore-20260202T080000`,
      },
    });
    expect(fs.readFileSync(work.database).equals(afterRun)).to.equal(true);

    await collect(bundled, { now: () => new Date('2026-02-02T08:00:00Z') });
    expect(tableRows(work.database)).to.deep.equal(initial);
    expect(fs.readFileSync(work.database).equals(fs.readFileSync(path.join(work.dir, 'backups', 'maintained', 'leads.db')))).to.equal(true);
    const kept = new Database(`${work.database}.before-restore-20260202T080000`, { readonly: true });
    expect(kept.prepare('SELECT count(*) FROM leads').pluck().get()).to.equal(60);
    kept.close();
  });

  it('refuses a damaged backup and leaves the database alone', async () => {
    const work = localWorkspace();
    await runPipeline(work.pipeline, { runId: 'maintained' });
    const current = fs.readFileSync(work.database);
    const copy = path.join(work.dir, 'backups', 'maintained', 'leads.db');
    fs.truncateSync(copy, 4096);
    fs.writeFileSync(path.join(work.dir, 'restore.yaml'), 'steps:\n  - restore: { backup: backups/maintained, database: leads.db }\n');
    const error = await runPipeline(path.join(work.dir, 'restore.yaml')).then(
      () => {
        throw new Error('restored');
      },
      (e: RunError) => e,
    );
    expect(error.message).to.match(/The backup .*manifest\.json does not verify, so it is not restored: leads\.db is truncated: 4096 of \d+ bytes\./);
    expect(fs.readFileSync(work.database).equals(current)).to.equal(true);
  });

  it('restores to the configured database, never to the path an edited manifest names', async () => {
    const work = localWorkspace();
    const initial = tableRows(work.database);
    await runPipeline(work.pipeline, { runId: 'maintained' });
    const other = path.join(work.dir, 'other.db');
    fs.writeFileSync(other, 'not to be replaced');
    const manifestFile = path.join(work.dir, 'backups', 'maintained', 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    for (const file of manifest.files) if (file.source?.database) file.source.database = other;
    fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
    const bundled = loadPipeline(packagePath('pipelines', 'restore.yaml'), {
      env: { BACKUP: path.join(work.dir, 'backups', 'maintained'), LEADS_DB: work.database },
    });
    await collect(bundled);
    expect(fs.readFileSync(other, 'utf8')).to.equal('not to be replaced');
    expect(tableRows(work.database)).to.deep.equal(initial);
  });

  it('refuses to restore a database backup without a configured database to restore to', async () => {
    const work = localWorkspace();
    await runPipeline(work.pipeline, { runId: 'maintained' });
    const current = fs.readFileSync(work.database);
    fs.writeFileSync(path.join(work.dir, 'restore.yaml'), 'steps:\n  - restore: { backup: backups/maintained }\n');
    const error = await runPipeline(path.join(work.dir, 'restore.yaml')).then(
      () => {
        throw new Error('restored');
      },
      (e: RunError) => e,
    );
    expect(error.message).to.contain('Give the database to restore to');
    expect(fs.readFileSync(work.database).equals(current)).to.equal(true);
  });

  it('names a backup path that is not a backup', async () => {
    const work = localWorkspace();
    fs.writeFileSync(path.join(work.dir, 'restore.yaml'), 'steps:\n  - restore: { backup: backups/nope }\n');
    const error = await runPipeline(path.join(work.dir, 'restore.yaml')).then(
      () => {
        throw new Error('restored');
      },
      (e: RunError) => e,
    );
    expect(error.message).to.match(/Cannot read the backup manifest .*backups\/nope: ENOENT.*Give the manifest\.json of a backup directory\./);
  });
});
