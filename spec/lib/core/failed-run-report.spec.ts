import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { runPipeline } from '../../../lib/core/runner.js';
import { tempDir } from '../../helpers.js';

describe('the report of a run that fails', () => {
  it('is written, marked failed with the stage that failed and why, and reports/latest points at it', async () => {
    const dir = tempDir('failed-report-');
    fs.writeFileSync(path.join(dir, 'in.jsonl'), '{"name":"Ann Lee","email":"ann@acme.com"}\n{not json\n');
    fs.writeFileSync(
      path.join(dir, 'pipeline.yaml'),
      ['steps:', '  - read-jsonl: { path: in.jsonl, on_error: fail }', '  - report: { directory: reports, formats: [json, md, html] }', ''].join('\n'),
    );
    const error = await runPipeline(path.join(dir, 'pipeline.yaml'), { runId: 'broken', rejects: path.join(dir, 'rejects.jsonl') }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).to.match(/^read-jsonl: /);
    const latest = path.join(dir, 'reports', 'latest');
    const result = JSON.parse(fs.readFileSync(path.join(latest, 'maintenance-result.json'), 'utf8'));
    expect(result).to.include({ operation_id: 'broken', success: false });
    expect(result.errors[0])
      .to.match(/^The run failed in stage read-jsonl: /)
      .and.not.match(/stage read-jsonl: read-jsonl:/);
    expect(result.detailed_results).to.include({ failed_stage: 'read-jsonl', complete: false });
    const report = JSON.parse(fs.readFileSync(path.join(latest, 'report.json'), 'utf8'));
    expect(report.failure.stage).to.equal('read-jsonl');
    expect(fs.readFileSync(path.join(latest, 'report.md'), 'utf8'))
      .to.contain('> **FAILED**: The run failed in stage read-jsonl')
      .and.contain('**Failed**,');
    expect(fs.readFileSync(path.join(latest, 'report.html'), 'utf8')).to.contain('<strong>FAILED</strong>: The run failed in stage read-jsonl');
  });
});
