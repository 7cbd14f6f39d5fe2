import { expect } from 'chai';
import path from 'node:path';
import { maintenancePipeline, pipelineOfInvocation } from '../../../lib/maintenance/commands.js';
import { tempDir } from '../../helpers.js';

describe('--apply-decisions in the command layer', () => {
  it('runs the decisions pipeline on the file given, and a resume rebuilds it from the journal record alone', () => {
    const data = tempDir();
    const file = path.join(data, 'decisions.json');
    const env = { LEADS_DATA_DIR: data, LEADS_DB: path.join(data, 'leads.db') };
    const pipeline = maintenancePipeline('apply-decisions', { decisionsFile: file, env });
    const stages = pipeline.steps.map((s) => s.stage.name);
    expect(stages.slice(stages.indexOf('dedupe'), stages.indexOf('diff') + 1)).to.deep.equal(['dedupe', 'decisions', 'diff']);
    expect(pipeline.steps.find((s) => s.stage.name === 'decisions')!.options).to.include({ file, state_file: path.join(data, 'sync-state.db') });
    // Only the leads a person decided are merged or resolved.
    expect(pipeline.steps.find((s) => s.stage.name === 'dedupe')!.options.resolution_strategy).to.equal('manual');
    expect(pipeline.steps.find((s) => s.stage.name === 'diff')!.options.conflict_resolution).to.equal('manual');
    const resumed = pipelineOfInvocation({ command: 'apply-decisions', overrides: { decisionsFile: file } }, env);
    expect(resumed!.steps.find((s) => s.stage.name === 'decisions')!.options.file).to.equal(file);
  });
});
