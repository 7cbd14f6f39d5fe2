import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { loadPipeline } from '../../../lib/core/pipeline.js';
import type { Lead } from '../../../lib/core/record.js';
import { runGuarded, type RolledBackError } from '../../../lib/safety/guard.js';
import { readJournal } from '../../../lib/core/journal-read.js';
import { localWorkspace, tableRows } from './support.js';

/** A workspace whose database refuses updates of every `nth` row (a trigger), writing with `onError`. */
function refusingWorkspace(nth: number, onError: 'tag' | 'fail') {
  const work = localWorkspace({ batch: 10 });
  const db = new Database(work.database);
  db.exec(`CREATE TRIGGER refuse BEFORE UPDATE ON leads WHEN (old.rowid % ${nth}) = 0 BEGIN SELECT RAISE(ABORT, 'refused by the database'); END`);
  db.close();
  const config = path.join(work.dir, 'maintenance.yaml');
  fs.writeFileSync(config, `maintenance_config:\n  alerting:\n    error_rate_threshold: 0.05\n    command: "cat > ${path.join(work.dir, 'alert.json')}"\n`);
  const text = fs.readFileSync(work.pipeline, 'utf8').replace('batch_size: 10 }', `batch_size: 10, on_error: ${onError} }`);
  fs.writeFileSync(work.pipeline, `config: maintenance.yaml\nrejects: rejects.jsonl\n${text}`);
  return { ...work, initial: tableRows(work.database), alert: path.join(work.dir, 'alert.json') };
}

describe('automatic rollback (runGuarded)', () => {
  it('rolls the run back when more operations fail than the error-rate threshold allows, and alerts', async () => {
    const work = refusingWorkspace(5, 'tag');
    const error = await runGuarded(work.pipeline, { runId: 'too-many' }).then(
      () => {
        throw new Error('the run succeeded');
      },
      (e: RolledBackError) => e,
    );
    expect(error.message).to.match(
      /^run: \d+ of \d+ operations failed \(\d+\.\d%, above the 5\.0% threshold\)\. The run was rolled back \(\d+ local and 0 Airtable operation\(s\) undone\)\.$/,
    );
    expect(error.rollback!.undone.local).to.be.greaterThan(30);
    expect(tableRows(work.database)).to.deep.equal(work.initial);
    expect(JSON.parse(fs.readFileSync(work.alert, 'utf8'))).to.include({ kind: 'error_rate', run_id: 'too-many' });
    expect(readJournal(error.summary!.journal!).end?.status).to.equal('rolled_back');
  });

  it('keeps a run whose failures stay under the threshold, and reports its error rate', async () => {
    const work = refusingWorkspace(61, 'tag');
    const db = new Database(work.database);
    db.exec("DROP TRIGGER refuse; CREATE TRIGGER refuse BEFORE UPDATE ON leads WHEN old.rowid = 7 BEGIN SELECT RAISE(ABORT, 'refused by the database'); END");
    db.close();
    const summary = await runGuarded(work.pipeline, { runId: 'few' });
    expect(summary.error_rate).to.be.greaterThan(0).and.lessThan(0.05);
    expect(tableRows(work.database)).to.not.deep.equal(work.initial);
    expect(fs.existsSync(work.alert)).to.equal(false);
  });

  it('rolls back what a run applied before a critical error stopped it, and says so', async () => {
    const work = refusingWorkspace(25, 'fail');
    const error = await runGuarded(work.pipeline, { runId: 'crashed' }).then(
      () => {
        throw new Error('the run succeeded');
      },
      (e: RolledBackError) => e,
    );
    expect(error.message).to.contain('refused by the database');
    expect(error.message).to.match(/The run was rolled back \(\d+ local and 0 Airtable operation\(s\) undone\)\.$/);
    expect(error.rollback!.undone.local).to.be.greaterThan(0);
    expect(tableRows(work.database)).to.deep.equal(work.initial);
    expect(JSON.parse(fs.readFileSync(work.alert, 'utf8'))).to.include({ kind: 'run_failed', run_id: 'crashed' });
    // diff's scratch database went with the failed run.
    expect(fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith('leads-crashed-'))).to.deep.equal([]);
  });

  it('puts the backup back when the database fails its integrity check after the run', async () => {
    const work = refusingWorkspace(1000, 'tag');
    const pipeline = loadPipeline(work.pipeline);
    // A stage after the writers that damages the file, as a failing disk or a bug would.
    pipeline.steps.push({
      stage: {
        name: 'damage',
        kind: 'sink',
        summary: '',
        options: {},
        create: () => ({
          transform: (r: Lead) => r,
          flush() {
            const fd = fs.openSync(work.database, 'r+');
            fs.writeSync(fd, Buffer.alloc(8192, 0x5a), 0, 8192, 8192);
            fs.closeSync(fd);
          },
        }),
      },
      options: { on_error: 'fail' },
    });
    const error = await runGuarded(pipeline, { runId: 'damaged' }).then(
      () => {
        throw new Error('the run succeeded');
      },
      (e: RolledBackError) => e,
    );
    expect(error.alert).to.equal('integrity_failed');
    expect(error.message).to.match(
      /^run: After the run, .*leads\.db failed its integrity check \(database disk image is malformed\)\. It was restored from the run's backup \(.*backups\/damaged\/manifest\.json\); the damaged file is kept beside it\.$/,
    );
    expect(tableRows(work.database)).to.deep.equal(work.initial);
    expect(JSON.parse(fs.readFileSync(work.alert, 'utf8'))).to.include({ kind: 'integrity_failed', run_id: 'damaged' });
    expect(fs.readdirSync(work.dir).filter((name) => /^leads\.db\.before-restore-\d{8}T\d{6}$/.test(name))).to.have.length(1);
  });
});
