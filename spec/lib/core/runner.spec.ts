import { expect } from 'chai';
import { ConfigError, exitCodeOf, StageError } from '../../../lib/core/errors.js';
import type { Pipeline } from '../../../lib/core/pipeline.js';
import { runPipeline } from '../../../lib/core/runner.js';
import { defineStage } from '../../../lib/core/stage.js';
import { tempDir } from '../../helpers.js';

/** A one-step pipeline of a source whose setup throws `error`. */
function failingSetup(error: Error): Pipeline {
  const stage = defineStage<Record<string, never>>({
    name: 'broken-source',
    kind: 'source',
    summary: 'Fails while setting up.',
    options: {},
    create() {
      throw error;
    },
  });
  return { steps: [{ stage, options: {} }], config: { values: {} }, rejects: `${tempDir()}/rejects.jsonl` } as unknown as Pipeline;
}

describe('runner', () => {
  it('keeps a configuration problem found while a stage sets up a configuration error (exit 2, every problem listed)', async () => {
    const problem = new ConfigError([
      { path: 'field_mapping.title', message: "Airtable has no field 'Title'" },
      { path: 'field_mapping.phone', message: "Airtable has no field 'Phone Number'" },
    ]);
    const failure = await runPipeline(failingSetup(problem)).catch((e: Error) => e);
    expect(failure).to.equal(problem);
    expect(exitCodeOf(failure)).to.equal(2);
  });

  it('names the stage of any other setup failure (exit 1)', async () => {
    const failure = (await runPipeline(failingSetup(new Error('disk on fire'))).catch((e: Error) => e)) as Error;
    expect(failure).to.be.instanceOf(StageError);
    expect(failure.message).to.contain('broken-source').and.contain('disk on fire');
    expect(exitCodeOf(failure)).to.equal(1);
  });
});
