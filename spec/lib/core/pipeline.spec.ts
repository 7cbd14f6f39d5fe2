import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { loadPipeline } from '../../../lib/core/pipeline.js';
import { runPipeline } from '../../../lib/core/runner.js';
import { SYNC_STRATEGIES } from '../../../lib/sync/plan.js';
import { fixture, pipelineProblems, tempDir } from '../../helpers.js';

const problems = (name: string, env: NodeJS.ProcessEnv = {}): string[] => pipelineProblems(path.join('spec/fixtures/pipelines', name), env);

describe('pipeline files', () => {
  it('points at a misspelled stage and suggests the right one', () => {
    expect(problems('bad-stage.yaml')).to.deep.equal([
      'spec/fixtures/pipelines/bad-stage.yaml:3:5 steps[0]: unknown stage "read-jsnol" (did you mean "read-jsonl"?); see run-pipeline --list-stages',
    ]);
  });

  it('reports every bad option at once, unknown names at the key and bad values at the value', () => {
    expect(problems('bad-options.yaml')).to.deep.equal([
      'spec/fixtures/pipelines/bad-options.yaml:5:7 write-jsonl.strip_metta: unknown option (did you mean "strip_meta"?); write-jsonl takes path, strip_meta, on_error',
      'spec/fixtures/pipelines/bad-options.yaml:6:13 write-jsonl.path: must be a string, not number 42',
    ]);
  });

  it('treats unknown top-level keys as errors, not as something to ignore', () => {
    expect(problems('bad-top-level.yaml')).to.deep.equal([
      'spec/fixtures/pipelines/bad-top-level.yaml:1:1 descripton: unknown key (did you mean "description"?); a pipeline has description, config, rejects, steps',
      'spec/fixtures/pipelines/bad-top-level.yaml:1:1 steps: a pipeline needs a `steps:` list of `stage-name: options`',
      'spec/fixtures/pipelines/bad-top-level.yaml:2:1 step: unknown key (did you mean "steps"?); a pipeline has description, config, rejects, steps',
    ]);
  });

  it('requires each step to be a single-key mapping with mapping options', () => {
    expect(problems('bad-shape.yaml')).to.deep.equal([
      'spec/fixtures/pipelines/bad-shape.yaml:2:17 read-jsonl: options must be a mapping of option: value (or nothing)',
      'spec/fixtures/pipelines/bad-shape.yaml:3:5 steps[1]: a step is a single-key mapping `stage-name: { options }`',
      'spec/fixtures/pipelines/bad-shape.yaml:4:5 steps[2]: a step is a single-key mapping `stage-name: { options }`',
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    expect(problems('bad-syntax.yaml')).to.deep.equal([
      'spec/fixtures/pipelines/bad-syntax.yaml:3:3 YAML syntax: Flow map in block collection must be sufficiently indented and end with a }',
    ]);
  });

  it('checks the config file against its schema and points into that file', () => {
    expect(problems('bad-config.yaml')).to.deep.equal([
      'spec/fixtures/pipelines/config-with-errors.yaml:3:21 maintenance_config.backup.retention_days: must be >= 1',
      'spec/fixtures/pipelines/config-with-errors.yaml:5:5 maintenance_config.performance.progress_update_intervall: unknown key (did you mean "progress_update_interval"?); known keys: max_memory_usage_mb, progress_update_interval, enable_parallel_processing',
      `spec/fixtures/pipelines/config-with-errors.yaml:7:26 maintenance_config.synchronization.conflict_resolution: must be one of ${SYNC_STRATEGIES.join(', ')}`,
    ]);
  });

  it('requires the first step to be a source', () => {
    expect(problems('bad-first-step.yaml')).to.deep.equal([
      'spec/fixtures/pipelines/bad-first-step.yaml:2:5 write-jsonl: is a sink, so it cannot come first: start with a source (backup, restore, read-jsonl, read-csv, read-json, read-sqlite, read-postgres, read-airtable)',
    ]);
  });

  it('names an unset ${VAR} and how to give it a default', () => {
    expect(problems('bad-env.yaml')).to.deep.equal([
      'spec/fixtures/pipelines/bad-env.yaml:2:25 read-jsonl.path: environment variable LEADS_SPEC_UNSET_FILE is not set; set it, or give a default as ${LEADS_SPEC_UNSET_FILE:-value}',
    ]);
  });

  it('takes ${VAR} from the environment, ${VAR:-default} otherwise, and resolves paths from the file', () => {
    const out = path.join(tempDir(), 'out.jsonl');
    const pipeline = loadPipeline(fixture('pipelines', 'good.yaml'), { env: { SPEC_OUT: out } });
    expect(pipeline.description).to.equal('Copies leads, dropping bookkeeping.');
    expect(pipeline.steps.map((s) => s.stage.name)).to.deep.equal(['read-jsonl', 'write-jsonl']);
    expect(pipeline.steps[0].options.path).to.equal(fixture('jsonl', 'plain-export.jsonl'));
    expect(pipeline.steps[1].options).to.deep.equal({ path: out, strip_meta: true, on_error: 'skip' });
    expect(pipeline.rejects).to.equal(fixture('pipelines', 'rejects.jsonl'));
    expect(pipeline.config.values).to.have.nested.property('synchronization.batch_size', 50);
  });

  it('lets a source placed after another pass the upstream records through, then add its own', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'out.jsonl');
    const { definePipeline } = await import('../../../lib/core/embed.js');
    const summary = await runPipeline(
      definePipeline(
        [
          { 'read-jsonl': { path: fixture('jsonl', 'plain-export.jsonl') } },
          { 'read-jsonl': { path: fixture('jsonl', 'malformed-lines.jsonl') } },
          { 'write-jsonl': { path: out, strip_meta: true } },
        ],
        { rejects: path.join(dir, 'rejects.jsonl') },
      ),
    );
    const names = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).name);
    expect(names).to.deep.equal(['Élodie Gagnon', 'Marc Roy', 'Zoë Smith', 'First', 'Third']);
    expect(summary.stages[1]).to.include({ received: 3, sent: 5 });
    expect(summary.rejected).to.equal(3);
  });

  it('runs a loaded pipeline end to end and keeps unicode intact', async () => {
    const out = path.join(tempDir(), 'out.jsonl');
    const summary = await runPipeline(loadPipeline(fixture('pipelines', 'good.yaml'), { env: { SPEC_OUT: out } }));
    const lines = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).to.have.length(3);
    expect(lines[0]).to.deep.equal({ name: 'Élodie Gagnon', email: 'ELODIE@Acme.ca', company: 'Acme Inc.' });
    expect(summary.records_out).to.equal(3);
    expect(summary.stages[0]).to.include({ stage: 'read-jsonl', sent: 3 });
  });
});
