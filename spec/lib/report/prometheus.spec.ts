import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import type { Lead } from '../../../lib/core/record.js';
import { escapeLabelValue } from '../../../lib/report/prometheus.js';
import { fixture, runStage, tempDir } from '../../helpers.js';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,(?!\}))?)*\})? (-?[0-9.]+(?:e[+-]?[0-9]+)?|NaN|[+-]Inf)$/;

/**
 * Checks the text exposition format as Prometheus parses it: HELP and TYPE once per family,
 * before its samples; every sample line well formed and belonging to the family just declared;
 * no series twice; a line feed at the end. Returns the samples by series.
 */
function parseExposition(text: string): Map<string, number> {
  expect(text.endsWith('\n'), 'ends with a line feed').to.equal(true);
  const samples = new Map<string, number>();
  const declared = new Set<string>();
  let family = '';
  let typed = false;
  for (const line of text.slice(0, -1).split('\n')) {
    const help = /^# HELP (\S+) (.*)$/.exec(line);
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (help) {
      expect(help[1]).to.match(NAME);
      expect(declared.has(help[1]), `${help[1]} declared once`).to.equal(false);
      declared.add(help[1]);
      family = help[1];
      typed = false;
    } else if (type) {
      expect(type[1], 'TYPE follows its HELP').to.equal(family);
      typed = true;
    } else {
      const sample = SAMPLE.exec(line);
      expect(sample, `sample line: ${line}`).to.not.equal(null);
      expect(sample![1], 'sample of the declared family').to.equal(family);
      expect(typed, `${family} has a TYPE`).to.equal(true);
      const series = `${sample![1]}${sample![2] ?? ''}`;
      expect(samples.has(series), `${series} once`).to.equal(false);
      samples.set(series, Number(sample![3].replace('+Inf', 'Infinity').replace('-Inf', '-Infinity')));
    }
  }
  return samples;
}

function mixedRun(): Lead[] {
  return fs
    .readFileSync(fixture('report', 'mixed-run.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

describe('report: Prometheus textfile', () => {
  it('writes the seed KPIs in the text exposition format node_exporter reads', async () => {
    const dir = tempDir('prom-');
    const file = path.join(dir, 'textfile', 'lead_maintenance.prom');
    await runStage('report', { directory: path.join(dir, 'reports'), prometheus_textfile: file, fail_on_alert: false }, mixedRun(), {
      runId: 'r1',
      now: () => new Date('2026-12-01T09:00:00.000Z'),
    });
    const samples = parseExposition(fs.readFileSync(file, 'utf8'));
    expect(Object.fromEntries([...samples].filter(([k]) => !k.includes('{')))).to.deep.equal({
      lead_maintenance_last_run_timestamp_seconds: 1796115600,
      lead_maintenance_last_run_success: 0,
      lead_maintenance_last_run_dry_run: 0,
      lead_maintenance_last_run_duration_seconds: 0,
      lead_maintenance_records_read: 1,
      lead_maintenance_records_per_minute: 60000,
      lead_maintenance_operation_success_ratio: 0.8,
      lead_maintenance_duplicates_removed: 2,
      lead_maintenance_records_standardized: 2,
      lead_maintenance_records_synchronized: 2,
      lead_maintenance_conflicts_resolved: 1,
      lead_maintenance_conflicts_manual: 1,
      lead_maintenance_sync_accuracy_ratio: 0.666667,
      lead_maintenance_error_ratio: 0.166667,
      lead_maintenance_records_rejected: 0,
      lead_maintenance_alerts: 1,
    });
    expect(samples.get('lead_maintenance_operations{system="airtable",action="update",status="failed"}')).to.equal(1);
    expect(samples.get('lead_maintenance_operations{system="local",action="delete",status="applied"}')).to.equal(2);
    expect(samples.get('lead_maintenance_errors{category="data_quality"}')).to.equal(1);
    expect(fs.readdirSync(path.dirname(file))).to.deep.equal(['lead_maintenance.prom']);
  });

  it('replaces the file by a rename, so the collector never reads half of it', async () => {
    const dir = tempDir('prom-');
    const file = path.join(dir, 'lead_maintenance.prom');
    fs.writeFileSync(file, 'old\n');
    const before = fs.statSync(file).ino;
    const hardLink = path.join(dir, 'reader-still-has.prom.old');
    fs.linkSync(file, hardLink);
    await runStage('report', { directory: path.join(dir, 'reports'), prometheus_textfile: file }, []);
    expect(fs.statSync(file).ino).to.not.equal(before);
    expect(fs.readFileSync(hardLink, 'utf8')).to.equal('old\n');
    expect(parseExposition(fs.readFileSync(file, 'utf8')).get('lead_maintenance_last_run_success')).to.equal(1);
  });

  it('leaves the textfile of the last real run alone in a dry run', async () => {
    const dir = tempDir('prom-');
    const file = path.join(dir, 'lead_maintenance.prom');
    await runStage('report', { directory: path.join(dir, 'reports'), prometheus_textfile: file }, [], { runId: 'real' });
    const real = fs.readFileSync(file, 'utf8');
    await runStage('report', { directory: path.join(dir, 'reports'), prometheus_textfile: file }, [], { runId: 'dry', dryRun: true });
    expect(fs.readFileSync(file, 'utf8')).to.equal(real);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'reports', 'latest', 'report.json'), 'utf8')).run_id).to.equal('dry');
  });

  it('escapes backslashes, quotes and line feeds in label values', () => {
    expect(escapeLabelValue('a\\b"c\nd')).to.equal('a\\\\b\\"c\\nd');
    const line = `m{l="${escapeLabelValue('x"\n\\')}"} 1`;
    expect(SAMPLE.test(line)).to.equal(true);
    expect(SAMPLE.test('m{l="x"\n"} 1')).to.equal(false);
  });
});
