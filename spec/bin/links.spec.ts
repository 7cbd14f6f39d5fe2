import { expect } from 'chai';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startEmulator } from '../../lib/airtable-emulator/index.js';
import { loadFieldMapping } from '../../lib/core/field-mapping.js';
import { SyncState } from '../../lib/sync/state.js';
import { cli, tempDir, type CliResult } from '../helpers.js';

/**
 * Links between local leads and Airtable records, through `db-maintenance` in a child process on
 * the embedded default (a real SQLite file and the Airtable emulator in the data directory): a
 * dry run plans what the live run applies, link write-backs included, and a table without a link
 * column works with no setting, its links kept in the sync state.
 */

const NO_CREDENTIALS = { AIRTABLE_TOKEN: '', AIRTABLE_BASE_ID: '', AIRTABLE_ENDPOINT_URL: '', LEADS_DB: '', LEADS_DATA_DIR: '' };

function maintenance(dataDir: string, ...args: string[]): Promise<CliResult> {
  return cli('db-maintenance', [...args, '--sample', '--data-dir', dataDir], { env: NO_CREDENTIALS });
}

type Row = Record<string, unknown>;

/** `system.action` → count, from the `operations:` line, whatever the status (dry_run or applied). */
function counts(stderr: string): Record<string, number> {
  const line = /^operations: (.*)$/m.exec(stderr)?.[1] ?? '';
  const out: Record<string, number> = {};
  for (const [, system, action, status, n] of line.matchAll(/(\w+)\.(\w+)\.(\w+)=(\d+)/g)) {
    expect(status, `no ${status} operation`).to.be.oneOf(['dry_run', 'applied']);
    out[`${system}.${action}`] = (out[`${system}.${action}`] ?? 0) + Number(n);
  }
  return out;
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** The sample database and base, made once (a dry run creates them), before any run touched them. */
let sample: Promise<string> | undefined;

/** A data directory of its own holding the sample database and base, before any run touched them. */
async function sampleData(): Promise<string> {
  sample ??= (async () => {
    const dir = tempDir('links-');
    const made = await maintenance(dir, '--backup-only', '--dry-run');
    expect(made.code, made.stderr).to.equal(0);
    return dir;
  })();
  return copyOf(await sample);
}

/** A second data directory with the same start state. */
function copyOf(dir: string): string {
  const copy = tempDir('links-copy-');
  for (const file of ['leads.db', 'airtable-base.db']) fs.copyFileSync(path.join(dir, file), path.join(copy, file));
  return copy;
}

/** The sample table as a team's own would be: no `airtable_id` column. */
function dropLinkColumn(dir: string): void {
  const db = new Database(path.join(dir, 'leads.db'));
  try {
    db.exec('DROP INDEX IF EXISTS leads_airtable_id; ALTER TABLE leads DROP COLUMN airtable_id');
  } finally {
    db.close();
  }
}

function localLeads(dir: string): Row[] {
  const db = new Database(path.join(dir, 'leads.db'), { readonly: true });
  try {
    return db.prepare('SELECT * FROM leads ORDER BY id').all() as Row[];
  } finally {
    db.close();
  }
}

function columns(dir: string): string[] {
  const db = new Database(path.join(dir, 'leads.db'), { readonly: true });
  try {
    return (db.prepare('SELECT name FROM pragma_table_info(?)').all('leads') as Array<{ name: string }>).map((c) => c.name);
  } finally {
    db.close();
  }
}

/** The Airtable records by id, with canonical field names, read from the emulator's base file. */
async function airtableLeads(dir: string): Promise<Map<string, Row>> {
  const emulator = await startEmulator({ port: 0, dataFile: path.join(dir, 'airtable-base.db') });
  try {
    const names = loadFieldMapping().airtable_to_database;
    return new Map(
      emulator.dump('Leads').map((r) => [
        r.id,
        Object.fromEntries(
          Object.entries(r.fields)
            .filter(([k]) => k in names)
            .map(([k, v]) => [names[k], v]),
        ),
      ]),
    );
  } finally {
    await emulator.close();
  }
}

const runIdOf = (stderr: string): string => /"run_id":"([^"]+)"/.exec(stderr)![1]!;
const content = (rows: Iterable<Row>): string[] =>
  [...rows]
    .map((r) =>
      JSON.stringify(
        Object.entries(r)
          .filter(([, v]) => v !== null && v !== '')
          .sort(),
      ),
    )
    .sort();

describe('links between the systems (end to end, embedded default)', function () {
  this.timeout(180_000);

  it('a dry run counts what the live run applies from the same start state, link write-backs after Airtable creates included', async () => {
    const planned = await sampleData();
    const live = copyOf(planned);
    // Two directories, each with its own emulated base: the two runs go side by side.
    const [dry, run] = await Promise.all([maintenance(planned, '--full-maintenance', '--dry-run'), maintenance(live, '--full-maintenance', '--yes')]);
    expect(dry.code, dry.stderr).to.equal(0);
    expect(run.code, run.stderr).to.equal(0);
    const applied = counts(run.stderr);
    expect(applied['airtable.create'], 'the sample has local leads Airtable lacks').to.be.greaterThan(0);
    expect(counts(dry.stderr)).to.deep.equal(applied);
  });

  it('a table without a link column needs no setting: dry run, run, a second run with zero changes, links kept in the sync state', async () => {
    const dir = await sampleData();
    dropLinkColumn(dir);
    const files = ['leads.db', 'airtable-base.db'].map((f) => path.join(dir, f));
    const before = files.map(sha256);

    const dry = await maintenance(dir, '--full-maintenance', '--dry-run');
    expect(dry.code, dry.stderr).to.equal(0);
    expect(dry.stderr).not.to.match(/rejected record|ALERT/);
    expect(files.map(sha256), 'the dry run changed nothing').to.deep.equal(before);

    const run = await maintenance(dir, '--full-maintenance', '--yes');
    expect(run.code, run.stderr).to.equal(0);
    expect(counts(run.stderr)).to.deep.equal(counts(dry.stderr));
    expect(columns(dir), "no column was added to the user's table").not.to.include('airtable_id');

    // Every local lead is linked, in the state, to its own existing Airtable record.
    const local = localLeads(dir);
    const airtable = await airtableLeads(dir);
    expect(local.length).to.equal(airtable.size);
    const state = new SyncState(path.join(dir, 'sync-state.db'));
    try {
      const linked = local.map((r) => state.airtableIdOf(String(r.id)));
      expect(new Set(linked).size).to.equal(local.length);
      for (const [i, id] of linked.entries()) {
        expect(airtable.has(String(id)), `local ${local[i]!.id} linked to an existing record`).to.equal(true);
        expect(airtable.get(String(id))!.email ?? null).to.equal(local[i]!.email ?? null);
      }
    } finally {
      state.close();
    }

    const second = await maintenance(dir, '--full-maintenance', '--yes');
    expect(second.code, second.stderr).to.equal(0);
    expect(second.stderr).to.contain('Zero changes');
  });

  it("a rollback brings both systems back, lists the Airtable records recreated under new ids, and sets the state's links straight", async () => {
    const dir = await sampleData();
    dropLinkColumn(dir);
    const localBefore = localLeads(dir);
    const airtableBefore = await airtableLeads(dir);
    const run = await maintenance(dir, '--full-maintenance', '--yes');
    expect(run.code, run.stderr).to.equal(0);
    const runId = runIdOf(run.stderr);
    const leadsAfterRun = localLeads(dir).length;

    const rollback = await maintenance(dir, '--rollback', runId);
    expect(rollback.code, rollback.stderr).to.equal(0);
    const report = JSON.parse(fs.readFileSync(path.join(dir, '.lead-maintenance', 'runs', runId, 'rollback.json'), 'utf8')) as {
      recreated: Array<{ system: string; old_id: string; new_id: string }>;
    };
    const airtableAfter = await airtableLeads(dir);
    const gone = [...airtableBefore.keys()].filter((id) => !airtableAfter.has(id));
    expect(gone.length, 'the run deleted Airtable duplicates').to.be.greaterThan(0);
    expect(report.recreated.map((r) => r.old_id).sort()).to.deep.equal(gone.sort());
    for (const r of report.recreated) {
      expect(r.system).to.equal('airtable');
      expect(airtableAfter.get(r.new_id), `${r.old_id} came back as ${r.new_id}`).to.deep.equal(airtableBefore.get(r.old_id));
    }
    expect(rollback.stderr).to.contain(`${gone.length} record(s) the run deleted were recreated with NEW ids`).and.contain('rollback.json');
    expect(content(localLeads(dir).map(({ updated_at: _u, ...r }) => r))).to.deep.equal(content(localBefore.map(({ updated_at: _u, ...r }) => r)));
    expect(content(airtableAfter.values())).to.deep.equal(content(airtableBefore.values()));

    // No link of the state points at a record that is gone: the next run deletes nothing that was there before it.
    const state = new SyncState(path.join(dir, 'sync-state.db'));
    try {
      for (const row of localBefore) {
        const link = state.airtableIdOf(String(row.id));
        if (link) expect(airtableAfter.has(link), `local ${row.id} linked to ${link}`).to.equal(true);
      }
    } finally {
      state.close();
    }
    const again = await maintenance(dir, '--full-maintenance', '--yes');
    expect(again.code, again.stderr).to.equal(0);
    expect(localLeads(dir).length, 'the same clean leads as after the first run').to.equal(leadsAfterRun);
    expect((await airtableLeads(dir)).size).to.equal(leadsAfterRun);
  });
});
