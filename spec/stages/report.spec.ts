import { expect } from 'chai';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { AlertError } from '../../lib/core/errors.js';
import type { Operation } from '../../lib/core/operation.js';
import type { Lead } from '../../lib/core/record.js';
import { runFindings } from '../../lib/core/findings.js';
import type { ReportData } from '../../lib/report/model.js';
import type { MaintenanceResult, StreamItem } from '../../lib/core/types.js';
import type { StageContext } from '../../lib/core/stage.js';
import { createStage, definePipeline } from '../../lib/core/embed.js';
import { runPipeline } from '../../lib/core/runner.js';
import { fixture, ROOT, runStage, tempDir, writeJsonl, type StageRun } from '../helpers.js';
import { defaultDatabase, rows } from '../lib/sqlite/support.js';
import { parseCsv } from '../lib/report/csv.js';

const RUN_ID = 'run-fixture';
const PAT = 'patAbCdEfGhIjKlMn.0123456789abcdef0123456789abcdef0123456789abcdef';

/** A clock that moves one second per reading, from a fixed start: stable output. */
function clock(start = '2026-12-01T09:00:00.000Z'): () => Date {
  let tick = 0;
  return () => new Date(Date.parse(start) + 1000 * tick++);
}

function mixedRun(): Lead[] {
  return fs
    .readFileSync(fixture('report', 'mixed-run.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

interface Reported extends StageRun {
  dir: string;
  runDir: string;
  read: (name: string) => string;
  json: <T = ReportData>(name: string) => T;
}

async function runReport(
  options: Record<string, unknown>,
  items: StreamItem[] | AsyncIterable<StreamItem>,
  settings: { dryRun?: boolean; rejects?: string; before?: (ctx: StageContext) => void } = {},
): Promise<Reported> {
  const dir = tempDir('report-');
  const rejects = settings.rejects ?? path.join(dir, 'rejects.jsonl');
  // Most specs look at the outputs of a run that has a failed operation; the alert specs turn failing back on.
  const run = await runStage('report', { directory: dir, fail_on_alert: false, ...options }, items, {
    runId: RUN_ID,
    now: clock(),
    dryRun: settings.dryRun,
    rejects,
  });
  const runDir = path.join(dir, RUN_ID);
  const read = (name: string): string => fs.readFileSync(path.join(runDir, name), 'utf8');
  return { ...run, dir, runDir, read, json: <T>(name: string) => JSON.parse(read(name)) as T };
}

function rejectsCopy(): string {
  const file = path.join(tempDir('rejects-'), 'rejects.jsonl');
  fs.copyFileSync(fixture('report', 'rejects.jsonl'), file);
  return file;
}

describe('report', () => {
  describe('outputs', () => {
    it('writes every format into a folder per run and points latest at it', async () => {
      const { dir, runDir } = await runReport({}, mixedRun());
      expect(fs.readdirSync(runDir).sort()).to.deep.equal([
        'audit.csv',
        'audit.json',
        'audit.jsonl',
        'maintenance-result.json',
        'metrics.json',
        'report.html',
        'report.json',
        'report.md',
      ]);
      expect(fs.realpathSync(path.join(dir, 'latest'))).to.equal(fs.realpathSync(runDir));
      expect(fs.readFileSync(path.join(dir, 'latest', 'report.md'), 'utf8')).to.contain(`run ${RUN_ID}`);
    });

    it('moves latest to the newest run and keeps the older run', async () => {
      const dir = tempDir('report-');
      await runStage('report', { directory: dir, fail_on_alert: false }, mixedRun(), { runId: 'first', now: clock() });
      await runStage('report', { directory: dir }, [], { runId: 'second', now: clock() });
      expect(fs.existsSync(path.join(dir, 'first', 'report.html'))).to.equal(true);
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'latest', 'report.json'), 'utf8')).run_id).to.equal('second');
    });

    it('keeps the report folders of the newest keep_runs runs and nothing else it did not write is touched', async () => {
      const dir = tempDir('report-');
      fs.mkdirSync(path.join(dir, 'notes'));
      for (const [i, runId] of ['r1', 'r2', 'r3'].entries()) {
        await runStage('report', { directory: dir, keep_runs: 2 }, [], { runId, now: clock() });
        // mtimes one second apart, as separate runs would have
        fs.utimesSync(path.join(dir, runId, 'maintenance-result.json'), 1_700_000_000 + i, 1_700_000_000 + i);
      }
      expect(fs.readdirSync(dir).sort()).to.deep.equal(['latest', 'notes', 'r2', 'r3']);
    });

    it('passes every item on unchanged and in order', async () => {
      const items = mixedRun();
      const { output, counters } = await runReport({}, structuredClone(items));
      expect(output).to.deep.equal(items);
      expect(counters).to.include({ received: 10, sent: 10 });
    });

    it('holds back a fast source when the sink after it is slow, and writes the report once the input ends', async () => {
      const dir = tempDir('report-');
      let produced = 0;
      let consumed = 0;
      let maxInFlight = 0;
      const source = Readable.from(
        (function* () {
          for (let i = 0; i < 300; i++) {
            produced++;
            yield {
              kind: 'operation',
              action: 'update',
              system: 'local',
              id: String(i),
              fields: { email: `p${i}@x.io` },
              replaces: { email: `P${i}@X.IO` },
              reason: 'standardize',
              entity: `e${i}`,
              result: { status: 'applied' },
            };
          }
        })(),
        { objectMode: true, highWaterMark: 1 },
      );
      const stage = await createStage('report', { directory: dir }, { runId: RUN_ID, rejects: path.join(dir, 'rejects.jsonl') });
      const slow = new Writable({
        objectMode: true,
        highWaterMark: 1,
        write(_item, _e, cb) {
          consumed++;
          maxInFlight = Math.max(maxInFlight, produced - consumed);
          if (fs.existsSync(path.join(dir, RUN_ID, 'report.json'))) expect(produced, 'no report before the input ends').to.equal(300);
          setTimeout(cb, 1);
        },
      });
      await pipeline(source, stage, slow);
      expect(consumed).to.equal(300);
      expect(maxInFlight).to.be.at.most(40);
      const report = JSON.parse(fs.readFileSync(path.join(dir, RUN_ID, 'report.json'), 'utf8')) as ReportData;
      expect(report.operations).to.deep.equal({ 'local.update.applied': 300 });
      expect(report.audit_entries).to.equal(300);
    });

    it('writes only the formats asked for', async () => {
      const { runDir } = await runReport({ formats: ['html'], audit_formats: ['csv'] }, mixedRun());
      expect(fs.readdirSync(runDir).sort()).to.deep.equal(['audit.csv', 'maintenance-result.json', 'metrics.json', 'report.html']);
    });
  });

  describe('MaintenanceResult', () => {
    it('counts duplicates removed, records standardized and synchronized, conflicts resolved, errors', async () => {
      const rejects = rejectsCopy();
      const { json } = await runReport({}, mixedRun(), { rejects });
      const result = json<MaintenanceResult>('maintenance-result.json');
      expect(result).to.include({
        success: false,
        operation_id: RUN_ID,
        start_time: '2026-12-01T09:00:00.000Z',
        duplicates_removed: 2,
        records_standardized: 2,
        records_synchronized: 2,
        conflicts_resolved: 1,
      });
      expect(result.errors).to.deep.equal([
        'Error rate 50% is over the threshold of 5%: 1 failed operation(s) and 2 rejected record(s) out of 6 records and operations.',
        'airtable update of recAda failed: Airtable answered 422 INVALID_VALUE_FOR_COLUMN for field Phone',
        `1 record(s) rejected (read-jsonl · malformed_json); see ${rejects}.`,
        `1 record(s) rejected (write-airtable · write_failed); see ${rejects}.`,
      ]);
      expect(result.warnings).to.deep.equal([
        '1 conflict(s) were left for a person to resolve (conflict_resolution: manual); see the conflicts table and the review file.',
        '1 record(s) have problems that were flagged and left in place.',
      ]);
      expect(result.detailed_results.operations).to.deep.equal({
        'local.delete.applied': 2,
        'airtable.create.applied': 1,
        'airtable.update.failed': 1,
        'local.update.applied': 1,
      });
    });

    it('takes the backup paths other stages recorded', async () => {
      const findings = runFindings({ shared: <T>(_k: string, create: () => T) => create() });
      expect(findings).to.deep.equal({ backup_paths: [], backup_failures: [], integrity_failures: [], warnings: [] });
      const dir = tempDir('report-');
      const backupStage = {
        name: 'report',
        kind: 'sink' as const,
        summary: 'x',
        options: (await import('../../stages/index.js')).stages.report.options,
        create: async (options: Record<string, unknown>, ctx: StageContext) => {
          runFindings(ctx).backup_paths.push('backups/leads-2026-12-01.db');
          return (await import('../../stages/index.js')).stages.report.create(options, ctx);
        },
      };
      await runStage(backupStage, { directory: dir }, [], { runId: RUN_ID, now: clock() });
      const result = JSON.parse(fs.readFileSync(path.join(dir, RUN_ID, 'maintenance-result.json'), 'utf8')) as MaintenanceResult;
      expect(result.backup_paths).to.deep.equal(['backups/leads-2026-12-01.db']);
      expect(result.success).to.equal(true);
    });

    it('reports an empty run as a success with nothing done', async () => {
      const { json } = await runReport({}, []);
      const result = json<MaintenanceResult>('maintenance-result.json');
      expect(result).to.include({ success: true, duplicates_removed: 0, records_standardized: 0, records_synchronized: 0, conflicts_resolved: 0 });
      expect(result.errors).to.deep.equal([]);
      expect(json('metrics.json')).to.include({ success_rate: 1, sync_accuracy: 1, error_rate: 0, records_read: 0 });
    });
  });

  describe('report.json and metrics', () => {
    it('tallies duplicates by match key, changes by field and rule, operations by system, action and status', async () => {
      const { json } = await runReport({ alert_on_failed_operations: false }, mixedRun());
      const report = json('report.json');
      expect(report.duplicates).to.deep.include({ groups: 2, records: 5, duplicates: 2, by_match_key: { email: 1, fuzzy: 1 }, removed: 2 });
      expect(report.changes).to.deep.equal({
        'company · company_name.case': 1,
        'email · email.lowercase': 1,
        'email · sync': 1,
        'name · sync': 1,
        'title · sync.most_recent': 1,
      });
      expect(report.conflicts).to.deep.include({ total: 2, resolved: 1, manual: 1, by_field: { phone: 1, title: 1 } });
      expect(report.problems).to.deep.equal({ 'company · missing_value': 1 });
      expect(report.tables.groups.rows[0]).to.deep.equal({
        cluster: 'c1',
        matching_field: 'email',
        matching_value: 'ada@analytical.io',
        confidence_score: 1,
        resolution_strategy: 'most_recent',
        primary: 'local:1 Ada Lovelace <ada@analytical.io>',
        members: ['local:1 Ada Lovelace <ada@analytical.io>', 'local:2 Ada  Lovelace <ADA@analytical.io>', 'airtable:recAda Ada Lovelace <ada@analytical.io>'],
        values_not_kept: [],
      });
    });

    it('computes the seed KPIs: success rate, sync accuracy, records per minute, error rate by category', async () => {
      const { json } = await runReport({ alert_on_failed_operations: false }, mixedRun(), { rejects: rejectsCopy() });
      const metrics = json<Record<string, unknown>>('metrics.json');
      // 5 operations, 1 failed; 3 sync operations, 1 failed; 1 record read; 1 failure + 2 rejects over 1 + 5.
      expect(metrics).to.include({
        operations_total: 5,
        operations_failed: 1,
        success_rate: 0.8,
        duplicates_removed: 2,
        sync_accuracy: 0.666667,
        records_read: 1,
        error_rate: 0.5,
      });
      expect(metrics.errors_by_category).to.deep.equal({ critical: 0, recoverable: 0, data_quality: 3 });
      expect(metrics.records_per_minute).to.be.a('number').and.be.greaterThan(0);
    });

    it('counts failed operations that may pass on a retry (rate limit, timeout, lock) as recoverable, the others as data quality', async () => {
      const failed = (id: string, error: string): Operation => ({
        kind: 'operation',
        action: 'update',
        system: 'airtable',
        id,
        fields: { email: 'a@x.io' },
        replaces: {},
        reason: 'sync',
        entity: id,
        result: { status: 'failed', error },
      });
      const { json } = await runReport({ max_rows: 1 }, [
        failed('recA', 'Airtable answered 429 TOO_MANY_REQUESTS after 3 retries'),
        failed('recB', 'database is locked'),
        failed('recC', 'Airtable answered 422 INVALID_VALUE_FOR_COLUMN'),
      ]);
      expect(json<Record<string, unknown>>('metrics.json').errors_by_category).to.deep.equal({ critical: 0, recoverable: 2, data_quality: 1 });
    });

    it('counts a create and the link the writer stores for it as one record synchronized', async () => {
      const create = {
        kind: 'operation',
        action: 'create',
        system: 'airtable',
        fields: { name: 'Ada' },
        replaces: {},
        reason: 'sync',
        entity: 'local:1',
        link: { system: 'local', id: '1' },
        result: { status: 'applied', id: 'recNew' },
      };
      const link = {
        kind: 'operation',
        action: 'update',
        system: 'local',
        id: '1',
        fields: { airtable_id: 'recNew' },
        replaces: {},
        reason: 'sync',
        entity: 'local:1',
        result: { status: 'applied', id: '1' },
      };
      const { json } = await runReport({}, [create, link]);
      expect(json<MaintenanceResult>('maintenance-result.json').records_synchronized).to.equal(1);
      expect(json('report.json').audit_entries).to.equal(2);
    });

    it('bounds each table by max_rows and says how many were left out', async () => {
      const groups = Array.from({ length: 5 }, (_, i) => ({
        kind: 'duplicate_group',
        cluster: `c${i}`,
        matching_field: 'email',
        matching_value: `p${i}@x.io`,
        records: [],
        primary_record: {},
        duplicate_records: [{}],
        resolution_strategy: 'merge',
        confidence_score: 1,
      }));
      const { json, read } = await runReport({ max_rows: 2 }, groups);
      const report = json('report.json');
      expect(report.tables.groups.rows).to.have.length(2);
      expect(report.tables.groups.omitted).to.equal(3);
      expect(report.duplicates.groups).to.equal(5);
      expect(read('report.md')).to.contain('_3 more not shown (max_rows)._');
      expect(read('report.html')).to.contain('3 more not shown (max_rows).');
      expect(report.warnings).to.contain('The groups table shows the first 2 rows; 3 more were left out (max_rows).');
    });

    it("lists this run's rejected records with where and why, and not other runs'", async () => {
      const { json, read } = await runReport({}, [], { rejects: rejectsCopy() });
      const report = json('report.json');
      expect(report.rejects.count).to.equal(2);
      expect(report.tables.rejects.rows).to.deep.equal([
        {
          stage: 'read-jsonl',
          reason: 'malformed_json',
          where: 'leads.jsonl:12',
          message: 'Unexpected token } in JSON at position 17; fix the line or remove it.',
        },
        {
          stage: 'write-airtable',
          reason: 'write_failed',
          where: 'airtable:recAda',
          message: 'Airtable update of record recAda failed: 422 INVALID_VALUE_FOR_COLUMN',
        },
      ]);
      expect(read('report.md')).to.contain('| read-jsonl | malformed\\_json | leads.jsonl:12 |');
    });

    it('counts the changes and problems of records in a pipeline without diff', async () => {
      const records: Lead[] = [
        { name: 'A', email: 'a@x.io', _meta: { line: 1, changes: [{ field: 'email', old: 'A@X.IO', new: 'a@x.io', rule: 'email.lowercase' }] } },
        {
          name: 'B',
          email: 'b@x.io',
          _meta: {
            line: 2,
            changes: [
              { field: 'email', old: ' b@x.io', new: 'b@x.io', rule: 'email.trim' },
              { field: 'name', old: 'b', new: 'B', rule: 'name.case' },
            ],
          },
        },
        { name: 'C', _meta: { line: 3, problems: [{ field: 'email', problem: 'missing_value' }] } },
      ];
      const { json } = await runReport({}, records);
      const report = json('report.json');
      expect(report.records).to.deep.include({ read: 3, seen: 3, changed: 2, with_problems: 1, standardized: 2 });
      expect(report.changes).to.deep.equal({ 'email · email.lowercase': 1, 'email · email.trim': 1, 'name · name.case': 1 });
      expect(report.audit_entries).to.equal(3);
    });

    it('says in a dry run that the counts are what the run would do', async () => {
      const op: Operation = {
        kind: 'operation',
        action: 'delete',
        system: 'local',
        id: '2',
        fields: {},
        replaces: { name: 'Ada' },
        reason: 'dedupe',
        entity: 'c1',
        result: { status: 'dry_run', id: '2' },
      };
      const { json, read } = await runReport({}, [op], { dryRun: true });
      expect(json<MaintenanceResult>('maintenance-result.json')).to.include({ duplicates_removed: 1 });
      expect(json('report.json').dry_run).to.equal(true);
      expect(read('report.md')).to.contain('**Dry run**');
      expect(read('report.html')).to.contain('<strong>Dry run</strong>');
    });
  });

  describe('audit log', () => {
    it('has one entry per changed field with old and new value, reason and rule, the same in JSON, JSONL and CSV', async () => {
      const { read } = await runReport({ alert_on_failed_operations: false }, mixedRun());
      const entries = JSON.parse(read('audit.json')) as Array<Record<string, unknown>>;
      const lines = read('audit.jsonl')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines).to.deep.equal(entries);
      expect(entries.map((e) => [e.system, e.action, e.record_id, e.field, e.old_value, e.new_value, e.rule, e.status])).to.deep.equal([
        ['local', 'update', '1', 'title', 'CTO', 'Chief Technology Officer', 'sync.most_recent', 'applied'],
        ['local', 'update', '1', 'company', 'ACME', 'Acme, "Quoted" Inc', 'company_name.case', 'applied'],
        ['local', 'delete', '2', 'name', 'Ada  Lovelace', null, 'dedupe', 'applied'],
        ['local', 'delete', '2', 'email', 'ADA@analytical.io', null, 'dedupe', 'applied'],
        ['local', 'delete', '4', 'name', 'Grace M. Hopper', null, 'dedupe', 'applied'],
        ['airtable', 'create', 'recNew', 'name', null, 'Linus\nTorvalds, Jr.', 'sync', 'applied'],
        ['airtable', 'create', 'recNew', 'email', null, 'linus@kernel.org', 'sync', 'applied'],
        ['airtable', 'update', 'recAda', 'phone', '514 555 0100', '+15145550100', 'sync.most_recent', 'failed'],
        ['local', 'change', '9', 'email', 'Margaret@Apollo.IO', 'margaret@apollo.io', 'email.lowercase', 'changed'],
      ]);
      expect(entries[0]).to.include({ run_id: RUN_ID, reason: 'sync' });
      expect(entries[0].time).to.match(/^2026-12-01T09:00:\d\d\.000Z$/);
      const csv = parseCsv(read('audit.csv'));
      expect(csv[0]).to.deep.equal(['run_id', 'time', 'system', 'action', 'record_id', 'field', 'old_value', 'new_value', 'reason', 'rule', 'status']);
      // Text a spreadsheet would run (here the E.164 phone `+1514…`) carries a leading apostrophe.
      const cell = (v: unknown): string => (v === null ? '' : typeof v === 'string' && /^[=+\-@\t\r]/.test(v) ? `'${v}` : String(v));
      expect(csv.slice(1)).to.deep.equal(entries.map((e) => csv[0].map((c) => cell(e[c]))));
    });

    it('logs a delete that carries no old values as one entry for the whole record', async () => {
      const op = {
        kind: 'operation',
        action: 'delete',
        system: 'airtable',
        id: 'recGone',
        fields: {},
        replaces: {},
        reason: 'dedupe',
        entity: 'e',
        result: { status: 'applied', id: 'recGone' },
      };
      const { read } = await runReport({}, [op]);
      expect(
        read('audit.jsonl')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l)),
      ).to.deep.equal([
        {
          run_id: RUN_ID,
          time: '2026-12-01T09:00:01.000Z',
          system: 'airtable',
          action: 'delete',
          record_id: 'recGone',
          field: '(record)',
          old_value: null,
          new_value: null,
          reason: 'dedupe',
          rule: 'dedupe',
          status: 'applied',
        },
      ]);
    });

    it('quotes CSV cells holding commas, quotes and line breaks', async () => {
      const { read } = await runReport({ audit_formats: ['csv'], alert_on_failed_operations: false }, mixedRun());
      const text = read('audit.csv');
      expect(text).to.contain(',"Acme, ""Quoted"" Inc",');
      expect(text).to.contain(',"Linus\nTorvalds, Jr.",');
      expect(text.split('\r\n')[0]).to.equal('run_id,time,system,action,record_id,field,old_value,new_value,reason,rule,status');
    });

    it('writes values exactly with csv_escape_formulas off, and a UTF-8 byte-order mark with csv_byte_order_mark on', async () => {
      const op = {
        kind: 'operation',
        action: 'update',
        system: 'local',
        id: '7',
        fields: { notes: '=HYPERLINK("http://x.test","go")' },
        replaces: { notes: 'Café Zoë' },
        reason: 'sync',
        entity: 'e',
        result: { status: 'applied', id: '7' },
      };
      const plain = await runReport({ audit_formats: ['csv'], csv_escape_formulas: false }, [op]);
      expect(parseCsv(plain.read('audit.csv'))[1].slice(6, 8)).to.deep.equal(['Café Zoë', '=HYPERLINK("http://x.test","go")']);
      expect(plain.read('audit.csv').charCodeAt(0)).to.not.equal(0xfeff);
      const safe = await runReport({ audit_formats: ['csv'], csv_byte_order_mark: true }, [op]);
      const bytes = fs.readFileSync(path.join(safe.runDir, 'audit.csv'));
      expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
      expect(parseCsv(bytes.subarray(3).toString('utf8'))[1].slice(6, 8)).to.deep.equal(['Café Zoë', '\'=HYPERLINK("http://x.test","go")']);
    });

    it('still writes a valid audit log and a report marked unfinished when the run fails before the report ends', async () => {
      const dir = tempDir('report-');
      const broken = async function* (): AsyncGenerator<Lead> {
        yield mixedRun()[4];
        throw new Error('upstream broke');
      };
      const failure = await runStage('report', { directory: dir }, broken(), { runId: RUN_ID, now: clock() }).catch((e: Error) => e);
      expect((failure as Error).message).to.equal('upstream broke');
      const entries = JSON.parse(fs.readFileSync(path.join(dir, RUN_ID, 'audit.json'), 'utf8'));
      expect(entries).to.have.length(2);
      const report = JSON.parse(fs.readFileSync(path.join(dir, 'latest', 'report.json'), 'utf8')) as ReportData;
      expect(report).to.include({ complete: false, success: false });
      expect(report.operations).to.deep.equal({ 'local.update.applied': 1 });
      expect(fs.readFileSync(path.join(dir, RUN_ID, 'report.md'), 'utf8')).to.contain('**Unfinished run**');
      expect(JSON.parse(fs.readFileSync(path.join(dir, RUN_ID, 'maintenance-result.json'), 'utf8')).success).to.equal(false);
    });
  });

  describe('secrets', () => {
    it('masks tokens in values, messages and secret-named fields in every output', async () => {
      const rejects = path.join(tempDir('rejects-'), 'rejects.jsonl');
      fs.writeFileSync(
        rejects,
        JSON.stringify({ run_id: RUN_ID, stage: 'read-airtable', reason: 'http_error', message: `GET failed with Authorization: Bearer ${PAT}` }) + '\n',
      );
      const items = [
        {
          kind: 'operation',
          action: 'update',
          system: 'local',
          id: '1',
          fields: { notes: `token ${PAT}`, api_key: 'sk-live-abcdef123456' },
          replaces: { notes: null, api_key: 'old-secret-value' },
          reason: 'standardize',
          entity: 'e',
          result: { status: 'applied' },
        },
        {
          kind: 'conflict',
          entity: 'e',
          field_name: 'notes',
          local_value: PAT,
          airtable_value: 'x',
          record_id: 'local:1|airtable:recX',
          last_modified_local: null,
          last_modified_airtable: null,
          conflict_type: 'value_mismatch',
          suggested_resolution: 'keep_local',
          resolution: 'applied',
        },
      ];
      const { runDir } = await runReport({}, items, { rejects });
      for (const name of fs.readdirSync(runDir)) {
        const text = fs.readFileSync(path.join(runDir, name), 'utf8');
        expect(text, name).not.to.contain(PAT.slice(3));
        expect(text, name).not.to.contain('sk-live-abcdef123456');
        expect(text, name).not.to.contain('old-secret-value');
      }
      expect(fs.readFileSync(path.join(runDir, 'audit.jsonl'), 'utf8')).to.contain('[REDACTED]');
    });
  });

  describe('alerts', () => {
    it('fails the run with an AlertError (exit code 4) past the error rate, after writing the report and running the alert command', async () => {
      const out = path.join(tempDir('alert-'), 'alert.json');
      const failure = await runReport({ alert_command: `cat >> "${out}"`, fail_on_alert: true }, mixedRun(), { rejects: rejectsCopy() }).catch(
        (e: unknown) => e,
      );
      expect(failure).to.be.instanceOf(AlertError);
      expect((failure as AlertError).exitCode).to.equal(4);
      expect((failure as AlertError).message).to.match(
        /^report: 1 alert\(s\): Error rate 50% is over the threshold of 5%: 1 failed operation\(s\) and 2 rejected record\(s\) out of 6 records and operations\./,
      );
      const alert = JSON.parse(fs.readFileSync(out, 'utf8'));
      expect(alert).to.include({ kind: 'error_rate', run_id: RUN_ID });
      expect(alert.details).to.deep.equal({ error_rate: 0.5, threshold: 0.05, failed_operations: 1, rejected: 2 });
      expect(alert.message).to.contain('Report: ').and.contain(path.join('latest', 'report.html'));
      const reportDir = (failure as AlertError).message.split('The report is in ')[1].replace(/\.$/, '');
      const report = JSON.parse(fs.readFileSync(path.join(reportDir, 'report.json'), 'utf8')) as ReportData;
      expect(report.success).to.equal(false);
      expect(report.alerts.map((a) => a.kind)).to.deep.equal(['error_rate']);
    });

    it('takes the threshold from the alerting section of the configuration', async () => {
      const config = { file: 'maintenance.yaml', values: { alerting: { error_rate_threshold: 0.6 } }, locate: () => undefined };
      const dir = tempDir('report-');
      const run = await runStage('report', { directory: dir, alert_on_failed_operations: false }, mixedRun(), {
        runId: RUN_ID,
        now: clock(),
        rejects: rejectsCopy(),
        config: config as never,
      });
      expect(run.counters.sent).to.equal(10);
      const report = JSON.parse(fs.readFileSync(path.join(dir, RUN_ID, 'report.json'), 'utf8')) as ReportData;
      expect(report.metrics.error_rate).to.equal(0.5);
      expect(report.alerts).to.deep.equal([]);
    });

    it('alerts on a failed operation below the error rate, and POSTs the alert to the webhook', async () => {
      const received: Array<Record<string, unknown>> = [];
      const server = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c) => {
          body += c;
        });
        req.on('end', () => {
          received.push(JSON.parse(body));
          res.end('ok');
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      const many = Array.from({ length: 40 }, (_, i) => ({ name: `r${i}` }) as Lead);
      try {
        const failure = await runReport({ alert_webhook: `http://127.0.0.1:${port}/hook`, fail_on_alert: true, alert_on_failed_operations: true }, [
          ...mixedRun(),
          ...many,
        ]).catch((e: unknown) => e);
        expect(failure).to.be.instanceOf(AlertError);
      } finally {
        server.close();
      }
      expect(received).to.have.length(1);
      expect(received[0]).to.include({ kind: 'error_rate', run_id: RUN_ID });
      expect(received[0].message).to.match(/^1 operation\(s\) failed \(airtable\.update: 1\); both systems may now differ\./);
    });

    it('lists a failed operation below the error rate without an alert by default, and the run goes on', async () => {
      const many = Array.from({ length: 40 }, (_, i) => ({ name: `r${i}` }) as Lead);
      const { json } = await runReport({ fail_on_alert: true }, [...mixedRun(), ...many]);
      const report = json('report.json');
      expect(report.alerts).to.deep.equal([]);
      expect(report.success).to.equal(false);
      expect(report.tables.failures.rows).to.have.length(1);
    });

    it('raises a slow_run alert while a run takes longer than alert_processing_minutes, and lets the run finish normally', async () => {
      const out = path.join(tempDir('alert-'), 'alert.json');
      async function* slow(): AsyncIterable<Lead> {
        yield* mixedRun();
        await new Promise((resolve) => setTimeout(resolve, 400)); // the input ends well after the 60 ms threshold
      }
      const { counters, json } = await runReport(
        { alert_processing_minutes: 0.001, alert_error_rate: 1, fail_on_alert: true, alert_command: `cat >> "${out}"` },
        slow(),
      );
      expect(counters.sent).to.equal(10);
      const alerts = fs
        .readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(alerts).to.have.length(1);
      expect(alerts[0]).to.deep.include({ kind: 'slow_run', run_id: RUN_ID, details: { threshold_minutes: 0.001 } });
      expect(alerts[0].message).to.contain('more than 0.001 minute(s)').and.contain('still going');
      const report = json<ReportData>('report.json');
      expect(report.alerts).to.deep.equal([]);
      expect(report.warnings.join(' ')).to.contain('A slow_run alert was raised.');
    });

    it('raises no slow_run alert for a run that ends within alert_processing_minutes', async () => {
      const out = path.join(tempDir('alert-'), 'alert.json');
      const { json } = await runReport({ alert_processing_minutes: 0.1, alert_error_rate: 1, alert_command: `cat >> "${out}"` }, mixedRun());
      expect(fs.existsSync(out)).to.equal(false);
      expect(json<ReportData>('report.json').warnings.join(' ')).to.not.contain('slow_run');
    });

    it('raises the alert but ends the run normally with fail_on_alert off', async () => {
      const out = path.join(tempDir('alert-'), 'alert.json');
      const { counters, json } = await runReport({ fail_on_alert: false, alert_command: `cat > "${out}"` }, mixedRun());
      expect(counters.sent).to.equal(10);
      expect(JSON.parse(fs.readFileSync(out, 'utf8')).kind).to.equal('error_rate');
      expect(json<MaintenanceResult>('maintenance-result.json').success).to.equal(false);
    });

    it('raises an integrity alert that another stage recorded', async () => {
      const dir = tempDir('report-');
      const { stages } = await import('../../stages/index.js');
      const validate = {
        ...stages.report,
        create: (options: Record<string, unknown>, ctx: StageContext) => {
          runFindings(ctx).integrity_failures.push('local: 3 leads in the database, 4 expected after the run.');
          return stages.report.create(options, ctx);
        },
      };
      const failure = await runStage(validate, { directory: dir }, [], { runId: RUN_ID, now: clock() }).catch((e: unknown) => e);
      expect(failure).to.be.instanceOf(AlertError);
      expect((failure as AlertError).alerts).to.deep.equal([
        { kind: 'integrity_failed', message: 'local: 3 leads in the database, 4 expected after the run.' },
      ]);
    });
  });

  it('makes run-stage exit with code 4 after an alert, with the events passed to stdout and the report named', () => {
    const dir = tempDir('report-cli-');
    const cli = spawnSync(
      process.execPath,
      [path.join(ROOT, 'dist', 'bin', 'run-stage.js'), 'report', '--directory', dir, '--rejects', path.join(dir, 'rejects.jsonl')],
      {
        input: fs.readFileSync(fixture('report', 'mixed-run.jsonl')),
        encoding: 'utf8',
      },
    );
    expect(cli.status, cli.stderr).to.equal(4);
    expect(cli.stdout.trim().split('\n')).to.have.length(10);
    expect(cli.stderr)
      .to.contain('ALERT (error_rate): Error rate 16.7% is over the threshold of 5%')
      .and.contain(path.join(dir, 'latest', 'report.html'));
  });

  describe('options', () => {
    it('rejects a Prometheus textfile that node_exporter would not read', async () => {
      const failure = (await runStage('report', { prometheus_textfile: '/tmp/metrics.txt' }, []).catch((e: Error) => e)) as Error;
      expect(failure.message).to.equal(
        'report.prometheus_textfile: node_exporter\'s textfile collector reads only files ending in .prom; rename "metrics.txt" (e.g. lead_maintenance.prom)',
      );
    });

    it('rejects an unknown format with a hint', async () => {
      const failure = (await runStage('report', { formats: ['md', 'htm'] }, []).catch((e: Error) => e)) as Error;
      expect(failure.message).to.equal('report.formats: has "htm", which is not one of md, json, html (did you mean "html"?)');
    });
  });

  describe('in a pipeline', () => {
    const BOOKKEEPING = new Set(['updated_at', 'created_at']);
    const snapshot = (file: string): Map<string, Record<string, unknown>> => new Map(rows(file).map((r) => [String(r.id), r]));

    it('accounts in the audit log for every difference between the database before and after, and leaves the run summary its operations', async () => {
      const dir = tempDir('report-pipe-');
      const created = '2026-01-01T00:00:00.000Z';
      const file = await defaultDatabase(dir, [
        {
          id: 'lead-a',
          name: 'ann lee',
          email: 'ANN@Acme.com ',
          company: 'ACME INC',
          title: 'CTO',
          airtable_id: 'recAnn',
          created_at: created,
          updated_at: created,
        },
        {
          id: 'lead-b',
          name: 'Bob Roy',
          email: 'bob@initech.com',
          company: 'Initech',
          title: 'CFO',
          airtable_id: 'recBob',
          created_at: created,
          updated_at: created,
        },
        { id: 'lead-c', name: 'Cy Clean', email: 'cy@clean.io', company: 'Clean Co', created_at: created, updated_at: created },
      ]);
      const airtable = writeJsonl(dir, 'airtable.jsonl', [
        {
          name: 'Ann Lee',
          email: 'ann@acme.com',
          company: 'Acme Inc',
          title: 'CEO',
          _meta: { source: 'airtable', id: 'recAnn', modified_at: '2026-02-01T00:00:00.000Z' },
        },
        {
          name: 'Bob Roy',
          email: 'bob@initech.com',
          company: 'Initech',
          title: 'CFO',
          _meta: { source: 'airtable', id: 'recBob', modified_at: '2025-12-01T00:00:00.000Z' },
        },
        { name: 'Dee New', email: 'dee@new.io', company: 'New Ltd', _meta: { source: 'airtable', id: 'recDee', modified_at: '2026-02-01T00:00:00.000Z' } },
      ]);
      const before = snapshot(file);
      const reports = path.join(dir, 'reports');
      const pipeline = definePipeline(
        [
          { 'read-jsonl': { path: airtable } },
          { 'read-sqlite': { database: file } },
          { normalize: {} },
          { diff: { direction: 'to_local', review_file: path.join(dir, 'review.jsonl') } },
          { 'write-sqlite': { database: file, on_error: 'fail' } },
          { report: { directory: reports } },
        ],
        { rejects: path.join(dir, 'rejects.jsonl') },
      );
      const summary = await runPipeline(pipeline, { runId: 'pipe-run', now: () => new Date('2026-03-01T12:00:00.000Z') });
      const after = snapshot(file);

      // A created row also gets the table's column defaults; the create accounts for them.
      const defaults = new Map(
        rows(file, "SELECT name, dflt_value FROM pragma_table_info('leads')").map((c) => [
          String(c.name),
          c.dflt_value === null ? null : String(c.dflt_value).replace(/^'(.*)'$/, '$1'),
        ]),
      );
      const differences = new Set<string>();
      for (const id of new Set([...before.keys(), ...after.keys()])) {
        const old = before.get(id) ?? {};
        const now = after.get(id) ?? {};
        for (const field of new Set([...Object.keys(old), ...Object.keys(now)])) {
          if (BOOKKEEPING.has(field) || field === 'id' || (old[field] ?? null) === (now[field] ?? null)) continue;
          if (!before.has(id) && defaults.get(field) === String(now[field])) continue;
          differences.add(JSON.stringify([id, field, old[field] ?? null, now[field] ?? null]));
        }
      }
      const audit = fs
        .readFileSync(path.join(reports, 'latest', 'audit.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const logged = new Set(
        audit.filter((e) => e.system === 'local' && e.status === 'applied').map((e) => JSON.stringify([e.record_id, e.field, e.old_value, e.new_value])),
      );
      expect(differences.size).to.be.greaterThan(3);
      expect([...logged].sort()).to.deep.equal([...differences].sort());

      const report = JSON.parse(fs.readFileSync(path.join(reports, 'latest', 'report.json'), 'utf8')) as ReportData;
      expect(report.operations).to.deep.equal(summary.operations);
      expect(report.records.read).to.equal(6);
      expect(report.success).to.equal(true);
    });

    it('reports the duplicate groups dedupe found, by match key, with their members', async () => {
      const dir = tempDir('report-dedupe-');
      const reports = path.join(dir, 'reports');
      const pipeline = definePipeline(
        [
          { 'read-jsonl': { path: fixture('report', 'duplicate-leads.jsonl') } },
          { normalize: {} },
          { fingerprint: {} },
          { dedupe: { emit_groups: true, review_file: path.join(dir, 'review.jsonl') } },
          { report: { directory: reports } },
        ],
        { rejects: path.join(dir, 'rejects.jsonl') },
      );
      await runPipeline(pipeline, { runId: 'dedupe-run' });
      const report = JSON.parse(fs.readFileSync(path.join(reports, 'latest', 'report.json'), 'utf8')) as ReportData;
      expect(report.records).to.deep.include({ read: 5, seen: 5 });
      expect(report.duplicates).to.deep.include({ groups: 2, duplicates: 2, removed: 2 });
      expect(report.duplicates.by_match_key).to.deep.equal({ email: 1, linkedin: 1 });
      const members = report.tables.groups.rows.map((g) => g.members.map((m) => m.split(' ')[0]).sort());
      expect(members.sort()).to.deep.equal([
        ['1', '2'],
        ['3', '4'],
      ]);
      expect(report.changes).to.deep.equal({
        'engagement_status · engagement_status.default': 5,
        'email · email.lowercase': 1,
        'linkedin_url · linkedin.host': 1,
      });
    });

    describe('values a merge does not keep', () => {
      // Two local copies of one person: the newer and more complete survives under every strategy.
      const leads = [
        {
          id: 'old',
          name: 'Ana Silva',
          email: 'ana@lumen.io',
          title: 'CEO',
          phone: '+15145550100',
          notes: 'Met at the expo',
          _meta: { source: 'local', id: 'old', modified_at: '2025-01-01T00:00:00.000Z' },
        },
        {
          id: 'new',
          name: 'Ana Silva',
          email: 'ana@lumen.io',
          title: 'CTO',
          company: 'Lumen',
          location: 'Lisbon',
          industry: 'Software',
          _meta: { source: 'local', id: 'new', modified_at: '2025-03-01T00:00:00.000Z' },
        },
      ];
      for (const strategy of ['most_recent', 'highest_quality', 'merge']) {
        it(`${strategy}: lists each in the merged groups of report.json, report.md and report.html and in the audit log, with its record`, async () => {
          const dir = tempDir('report-not-kept-');
          const reports = path.join(dir, 'reports');
          const pipeline = definePipeline(
            [
              { 'read-jsonl': { path: writeJsonl(dir, 'leads.jsonl', leads) } },
              { fingerprint: {} },
              { dedupe: { emit_groups: true, resolution_strategy: strategy, review_file: path.join(dir, 'review.jsonl') } },
              { report: { directory: reports, audit_formats: ['json', 'jsonl', 'csv'] } },
            ],
            { rejects: path.join(dir, 'rejects.jsonl') },
          );
          await runPipeline(pipeline, { runId: 'not-kept' });
          const read = (name: string): string => fs.readFileSync(path.join(reports, 'latest', name), 'utf8');

          const report = JSON.parse(read('report.json')) as ReportData;
          expect(report.tables.groups.rows).to.have.length(1);
          expect(report.tables.groups.rows[0]!.values_not_kept).to.deep.equal([
            { record: 'local:old', field: 'title', value: 'CEO', kept: 'CTO', survivor: 'local:new' },
          ]);
          expect(report.duplicates.values_not_kept).to.equal(1);

          const markdown = read('report.md');
          const section = markdown.slice(markdown.indexOf('### Values not kept'));
          expect(section.split('\n')).to.include(`| ${report.tables.groups.rows[0]!.cluster} | local:old | title | CEO | CTO | local:new |`);
          expect(read('report.html')).to.match(/<table id="values-not-kept">.*<td>local:old<\/td><td>title<\/td><td>CEO<\/td><td>CTO<\/td>/s);

          // The value is the old value of the record that held it; the filled fields are changes of the survivor.
          const audit = read('audit.jsonl')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as Record<string, unknown>);
          const row = (e: Record<string, unknown>) => [e.system, e.action, e.record_id, e.field, e.old_value, e.new_value, e.rule, e.status];
          expect(audit.filter((e) => e.action === 'not_kept').map(row)).to.deep.equal([
            ['local', 'not_kept', 'old', 'title', 'CEO', 'CTO', 'dedupe.not_kept', 'listed'],
          ]);
          expect(audit.filter((e) => e.record_id === 'new').map((e) => [e.field, e.old_value, e.new_value])).to.deep.include.members([
            ['phone', null, '+15145550100'],
            ['notes', null, 'Met at the expo'],
          ]);
          expect((JSON.parse(read('audit.json')) as Array<Record<string, unknown>>).filter((e) => e.action === 'not_kept').map(row)).to.deep.equal(
            audit.filter((e) => e.action === 'not_kept').map(row),
          );
          const csv = parseCsv(read('audit.csv'));
          const at = (name: string): number => csv[0]!.indexOf(name);
          expect(
            csv.filter((r) => r[at('action')] === 'not_kept').map((r) => ['system', 'record_id', 'field', 'old_value', 'new_value'].map((c) => r[at(c)])),
          ).to.deep.equal([['local', 'old', 'title', 'CEO', 'CTO']]);
        });
      }

      it('marks them dry_run in the audit log of a dry run', async () => {
        const dir = tempDir('report-not-kept-');
        const pipeline = definePipeline(
          [
            { 'read-jsonl': { path: writeJsonl(dir, 'leads.jsonl', leads) } },
            { dedupe: { emit_groups: true, review_file: path.join(dir, 'review.jsonl') } },
            { report: { directory: dir } },
          ],
          { rejects: path.join(dir, 'rejects.jsonl') },
        );
        await runPipeline(pipeline, { runId: 'not-kept-dry', dryRun: true });
        const audit = fs
          .readFileSync(path.join(dir, 'latest', 'audit.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(audit.filter((e) => e.action === 'not_kept').map((e) => [e.record_id, e.field, e.status])).to.deep.equal([['old', 'title', 'dry_run']]);
      });
    });

    it('counts the duplicates dedupe marked or dropped when it emits no groups and nothing is written', async () => {
      for (const dedupe of [{}, { drop_duplicates: true }]) {
        const dir = tempDir('report-dedupe-');
        const pipeline = definePipeline(
          [
            { 'read-jsonl': { path: fixture('report', 'duplicate-leads.jsonl') } },
            { dedupe: { ...dedupe, review_file: path.join(dir, 'review.jsonl') } },
            { report: { directory: dir } },
          ],
          { rejects: path.join(dir, 'rejects.jsonl') },
        );
        await runPipeline(pipeline, { runId: 'marked' });
        const result = JSON.parse(fs.readFileSync(path.join(dir, 'latest', 'maintenance-result.json'), 'utf8')) as MaintenanceResult;
        expect(result.duplicates_removed, JSON.stringify(dedupe)).to.equal(2);
      }
    });
  });
});
