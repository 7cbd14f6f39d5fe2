import { expect } from 'chai';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startEmulator } from '../../lib/airtable-emulator/index.js';
import { loadFieldMapping } from '../../lib/core/field-mapping.js';
import { cli, tempDir, type CliResult } from '../helpers.js';

/**
 * The product as a user meets it: `db-maintenance` in a child process, on the embedded default
 * (a real SQLite file and the Airtable emulator, both created with messy sample leads in the data
 * directory). Each test has its own data directory.
 */

/** No credentials: the embedded default. The parent's Airtable variables must not leak in. */
const NO_CREDENTIALS = { AIRTABLE_TOKEN: '', AIRTABLE_BASE_ID: '', AIRTABLE_ENDPOINT_URL: '', LEADS_DB: '', LEADS_DATA_DIR: '' };

function maintenance(dataDir: string, ...args: string[]): Promise<CliResult> {
  return cli('db-maintenance', [...args, '--sample', '--data-dir', dataDir], { env: NO_CREDENTIALS });
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

type Row = Record<string, unknown>;

/** The local leads by id. */
function localLeads(dataDir: string): Map<string, Row> {
  const db = new Database(path.join(dataDir, 'leads.db'), { readonly: true });
  try {
    return new Map((db.prepare('SELECT * FROM leads').all() as Row[]).map((r) => [String(r.id), r]));
  } finally {
    db.close();
  }
}

/** The Airtable records by id, with canonical field names, read from the emulator's base file. */
async function airtableLeads(dataDir: string): Promise<Map<string, Row>> {
  const emulator = await startEmulator({ port: 0, dataFile: path.join(dataDir, 'airtable-base.db') });
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

function operationsLine(stderr: string): string {
  return /^operations: (.*)$/m.exec(stderr)?.[1] ?? '';
}

const empty = (v: unknown): boolean => v === null || v === undefined || v === '';

describe('db-maintenance (end to end, embedded default)', function () {
  this.timeout(120_000);

  it('--full-maintenance cleans the sample data and an identical second run changes nothing', async () => {
    const dir = tempDir('maint-');
    const first = await maintenance(dir, '--full-maintenance');
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stderr).to.contain('running on SAMPLE data').and.contain('set AIRTABLE_TOKEN, AIRTABLE_BASE_ID and LEADS_DB');
    expect(operationsLine(first.stderr))
      .to.match(/local\.delete\.applied=\d+/)
      .and.match(/airtable\.create\.applied=\d+/);
    expect(operationsLine(first.stderr)).not.to.contain('failed');

    const local = localLeads(dir);
    const airtable = await airtableLeads(dir);
    // Both systems hold the same leads: every local lead linked to one Airtable record, none left over.
    expect(local.size).to.equal(airtable.size);
    const linked = [...local.values()].map((r) => r.airtable_id);
    expect(new Set(linked).size).to.equal(local.size);
    for (const id of linked) expect(airtable.has(String(id)), `local lead linked to missing ${id}`).to.equal(true);
    // No two leads share an email any more, in either system.
    for (const leads of [local, airtable]) {
      const emails = [...leads.values()].map((r) => r.email).filter((e) => !empty(e));
      expect(new Set(emails).size).to.equal(emails.length);
    }
    const result = JSON.parse(fs.readFileSync(path.join(dir, 'reports', 'latest', 'maintenance-result.json'), 'utf8'));
    expect(result).to.include({ success: true });
    expect(result.duplicates_removed).to.be.greaterThan(0);
    expect(result.backup_paths).to.have.length(1);
    expect(fs.existsSync(result.backup_paths[0]), 'the backup the result names exists').to.equal(true);

    const second = await maintenance(dir, '--full-maintenance');
    expect(second.code, second.stderr).to.equal(0);
    expect(second.stderr).to.contain('Zero changes');
    expect(operationsLine(second.stderr)).to.equal('');
    expect(second.stderr).to.match(/write-airtable +0 +0 /);
  });

  it('--dry-run leaves the database file and the Airtable base byte-identical', async () => {
    const dir = tempDir('maint-');
    const plan = await maintenance(dir, '--full-maintenance', '--dry-run');
    expect(plan.code, plan.stderr).to.equal(0);
    expect(plan.stderr).to.match(/would change:\n\s+create\s+\d+ record\(s\) in Airtable/);
    const files = ['leads.db', 'airtable-base.db'].map((f) => path.join(dir, f));
    const before = files.map(sha256);
    const again = await maintenance(dir, '--full-maintenance', '--dry-run');
    expect(again.code, again.stderr).to.equal(0);
    expect(files.map(sha256)).to.deep.equal(before);
    expect(operationsLine(again.stderr))
      .to.match(/dry_run/)
      .and.not.match(/applied/);
  });

  it("refuses a live run on the user's own data off a terminal without --yes, and changes nothing", async () => {
    const dir = tempDir('maint-');
    const planned = await maintenance(dir, '--standardize-fields', '--dry-run');
    expect(planned.code, planned.stderr).to.equal(0);
    const own = path.join(dir, 'my-leads.db');
    fs.copyFileSync(path.join(dir, 'leads.db'), own);
    fs.copyFileSync(path.join(dir, 'airtable-base.db'), path.join(dir, 'my-base.db'));
    const emulator = await startEmulator({ port: 0, dataFile: path.join(dir, 'my-base.db') });
    try {
      const env = {
        ...NO_CREDENTIALS,
        LEADS_DB: own,
        AIRTABLE_TOKEN: 'emulator-token',
        AIRTABLE_BASE_ID: emulator.baseId,
        AIRTABLE_ENDPOINT_URL: emulator.url,
      };
      const before = sha256(own);
      const refused = await cli('db-maintenance', ['--standardize-fields', '--data-dir', dir], { env });
      expect(refused.code).to.equal(5);
      expect(refused.stderr).to.contain('not a terminal').and.contain('--yes').and.contain('--dry-run');
      expect(sha256(own)).to.equal(before);
      const confirmed = await cli('db-maintenance', ['--standardize-fields', '--yes', '--data-dir', dir], { env });
      expect(confirmed.code, confirmed.stderr).to.equal(0);
      expect(sha256(own)).not.to.equal(before);
    } finally {
      await emulator.close();
    }
  });

  it('--standardize-fields standardizes in place: no lead created or deleted in either system', async () => {
    const dir = tempDir('maint-');
    const run = await maintenance(dir, '--standardize-fields');
    expect(run.code, run.stderr).to.equal(0);
    const ops = operationsLine(run.stderr);
    expect(ops)
      .to.match(/local\.update\.applied=\d+/)
      .and.match(/airtable\.update\.applied=\d+/);
    expect(ops).not.to.match(/create|delete/);
    const emails = [...localLeads(dir).values()].map((r) => r.email).filter((e) => typeof e === 'string');
    expect(emails.filter((e) => e !== (e as string).trim().toLowerCase())).to.deep.equal([]);
  });

  it('--remove-duplicates merges duplicates within each system and creates nothing', async () => {
    const dir = tempDir('maint-');
    expect((await maintenance(dir, '--remove-duplicates', '--dry-run')).code).to.equal(0);
    const localBefore = localLeads(dir).size;
    const run = await maintenance(dir, '--remove-duplicates');
    expect(run.code, run.stderr).to.equal(0);
    const ops = operationsLine(run.stderr);
    expect(ops).to.match(/local\.delete\.applied=\d+/);
    expect(ops).not.to.match(/create/);
    const deleted = Number(/local\.delete\.applied=(\d+)/.exec(ops)![1]);
    expect(localLeads(dir).size).to.equal(localBefore - deleted);
  });

  it('--sync-data makes both systems hold the same leads without merging duplicates away', async () => {
    const dir = tempDir('maint-');
    const run = await maintenance(dir, '--sync-data');
    expect(run.code, run.stderr).to.equal(0);
    const ops = operationsLine(run.stderr);
    expect(ops)
      .to.match(/airtable\.create\.applied=\d+/)
      .and.match(/local\.create\.applied=\d+/);
    expect(ops).not.to.match(/delete/);
    const again = await maintenance(dir, '--sync-data');
    expect(again.stderr).to.contain('Zero changes');
  });

  it('the audit log accounts for every difference between the before and after states of both systems', async () => {
    const dir = tempDir('maint-');
    expect((await maintenance(dir, '--full-maintenance', '--dry-run')).code).to.equal(0);
    const localBefore = localLeads(dir);
    const airtableBefore = await airtableLeads(dir);
    const run = await maintenance(dir, '--full-maintenance');
    expect(run.code, run.stderr).to.equal(0);
    const localAfter = localLeads(dir);
    const airtableAfter = await airtableLeads(dir);
    const audit = fs
      .readFileSync(path.join(dir, 'reports', 'latest', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Row);
    const logged = new Set(audit.flatMap((e) => [`${e.system}|${e.record_id}|${e.action}`, `${e.system}|${e.record_id}|${e.action}|${e.field}`]));

    const unaccounted: string[] = [];
    const compare = (system: string, before: Map<string, Row>, after: Map<string, Row>, ignore: string[]): void => {
      for (const [id, row] of before) {
        if (!after.has(id)) {
          if (!logged.has(`${system}|${id}|delete`)) unaccounted.push(`${system} ${id} deleted`);
          continue;
        }
        const now = after.get(id)!;
        for (const field of new Set([...Object.keys(row), ...Object.keys(now)])) {
          if (ignore.includes(field) || (empty(row[field]) && empty(now[field])) || row[field] === now[field]) continue;
          if (!logged.has(`${system}|${id}|update|${field}`))
            unaccounted.push(`${system} ${id}.${field}: ${JSON.stringify(row[field])} → ${JSON.stringify(now[field])}`);
        }
      }
      for (const id of after.keys()) {
        if (!before.has(id) && !logged.has(`${system}|${id}|create`)) unaccounted.push(`${system} ${id} created`);
      }
    };
    compare('local', localBefore, localAfter, ['updated_at']);
    compare('airtable', airtableBefore, airtableAfter, []);
    expect(unaccounted).to.deep.equal([]);
    expect(localAfter).not.to.deep.equal(localBefore); // the comparison had something to account for
  });

  it('--backup-only writes a verified, private backup of both systems and changes nothing', async () => {
    const dir = tempDir('maint-');
    expect((await maintenance(dir, '--backup-only', '--dry-run')).code).to.equal(0);
    const before = sha256(path.join(dir, 'leads.db'));
    const run = await maintenance(dir, '--backup-only');
    expect(run.code, run.stderr).to.equal(0);
    const [backup] = fs.readdirSync(path.join(dir, 'backups'));
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'backups', backup, 'manifest.json'), 'utf8'));
    expect(manifest.files.map((f: { name?: string; path?: string }) => f.name ?? f.path).join(' '))
      .to.match(/leads\.db/)
      .and.match(/airtable-Leads\.jsonl\.gz/);
    for (const file of fs.readdirSync(path.join(dir, 'backups', backup))) {
      expect(fs.statSync(path.join(dir, 'backups', backup, file)).mode & 0o777, file).to.equal(0o600);
    }
    expect(sha256(path.join(dir, 'leads.db'))).to.equal(before);
  });

  it('--resume RUN finishes an interrupted run with the flags it was started with', async () => {
    const dir = tempDir('maint-');
    expect((await maintenance(dir, '--backup-only')).code).to.equal(0); // creates the sample data
    const emptyStatus = [...localLeads(dir).values()].filter((r) => empty(r.engagement_status)).map((r) => String(r.id));
    expect(emptyStatus).to.not.have.length(0);
    // A `--standardize-fields --engagement-status Skipped` run killed before its first write: its
    // journal holds only how it was started.
    const journal = path.join(dir, '.lead-maintenance', 'runs', 'interrupted-1', 'journal.jsonl');
    fs.mkdirSync(path.dirname(journal), { recursive: true });
    fs.writeFileSync(
      journal,
      JSON.stringify({
        t: 'run',
        run_id: 'interrupted-1',
        started_at: new Date().toISOString(),
        pipeline: path.resolve('pipelines', 'standardize.yaml'),
        invocation: { command: 'standardize-fields', overrides: { engagementStatus: 'Skipped' } },
        tool_version: '0.1.0',
        pid: 1,
        host: 'elsewhere',
      }) + '\n',
    );

    const resumed = await maintenance(dir, '--resume', 'interrupted-1');
    expect(resumed.code, resumed.stderr).to.equal(0);
    expect(resumed.stderr).to.contain('Run interrupted-1 resumed and finished');
    const leads = localLeads(dir);
    // The config's default would be Auto-Send: the run's own flag is what the resumed run applied.
    expect(emptyStatus.map((id) => leads.get(id)!.engagement_status)).to.deep.equal(emptyStatus.map(() => 'Skipped'));
  });

  it('--status lists the run, and --rollback RUN puts both systems back as they were before it', async () => {
    const dir = tempDir('maint-');
    expect((await maintenance(dir, '--full-maintenance', '--dry-run')).code).to.equal(0);
    const localBefore = localLeads(dir);
    const content = (rows: Map<string, Row>): string[] =>
      [...rows.values()]
        .map((r) =>
          JSON.stringify(
            Object.entries(r)
              .filter(([, v]) => !empty(v))
              .sort(),
          ),
        )
        .sort();
    const airtableBefore = content(await airtableLeads(dir));
    const run = await maintenance(dir, '--full-maintenance');
    expect(run.code, run.stderr).to.equal(0);
    const runId = /"run_id":"([^"]+)"/.exec(run.stderr)![1];
    // The journal records how the run was started, so --resume can start it again the same way.
    const started = JSON.parse(fs.readFileSync(path.join(dir, '.lead-maintenance', 'runs', runId!, 'journal.jsonl'), 'utf8').split('\n')[0]!);
    expect(started.invocation).to.deep.include({ command: 'full-maintenance', overrides: { noBackup: false } });
    expect(started.invocation.options).to.deep.include({ remove_duplicates: true, standardize_fields: true, sync_data: true, dry_run: false });

    const status = await maintenance(dir, '--status');
    expect(status.code, status.stderr).to.equal(0);
    expect(status.stdout).to.match(new RegExp(`${runId} +\\d+ change\\(s\\) applied +completed`));
    expect(status.stdout).to.contain(`Latest report: run ${runId}, succeeded`);

    const rollback = await maintenance(dir, '--rollback', runId);
    expect(rollback.code, rollback.stderr).to.equal(0);
    expect(rollback.stderr).to.match(/rolled back: \d+ local and \d+ Airtable change\(s\) undone/);
    const localAfter = localLeads(dir);
    expect([...localAfter.keys()].sort()).to.deep.equal([...localBefore.keys()].sort());
    for (const [id, row] of localBefore) {
      const { updated_at: _u1, ...was } = row;
      const { updated_at: _u2, ...now } = localAfter.get(id)!;
      expect(now, `local ${id}`).to.deep.equal(was);
    }
    // Deleted Airtable records come back with new ids: compare contents.
    expect(content(await airtableLeads(dir))).to.deep.equal(airtableBefore);
  });
});
