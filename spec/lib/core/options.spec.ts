import { expect } from 'chai';
import { describeStage } from '../../../lib/core/describe.js';
import { RESOLUTION_STRATEGIES } from '../../../lib/match/resolution.js';
import { checkOptionValue, COMMON_OPTIONS } from '../../../lib/core/options.js';
import { stages } from '../../../stages/index.js';
import type { OptionSpec } from '../../../lib/core/stage.js';
import { SYNC_STRATEGIES } from '../../../lib/sync/plan.js';

/** Every option of every stage that takes one of a list of values, with its stage. */
const enumerated = Object.values(stages).flatMap((stage) =>
  Object.entries({ ...stage.options, ...COMMON_OPTIONS } as Record<string, OptionSpec>)
    .filter(([, spec]) => spec.values)
    .map(([name, spec]) => ({ stage, name, spec, values: spec.values! })),
);

describe('options with a list of values', () => {
  it('take the strategies their logic knows', () => {
    expect(stages.dedupe.options.resolution_strategy.values).to.deep.equal(RESOLUTION_STRATEGIES);
    expect(stages.diff.options.conflict_resolution.values).to.deep.equal(SYNC_STRATEGIES);
  });

  it('take each of their values, and --describe lists them all', () => {
    expect(enumerated.length).to.be.greaterThan(5);
    for (const { stage, name, spec, values } of enumerated) {
      const given = spec.type === 'string[]' ? [...values] : undefined;
      for (const value of values) expect(checkOptionValue(spec, given ?? value), `${stage.name}.${name}: ${value}`).to.equal(undefined);
      expect(describeStage(stage)).to.contain(`  ${name}  ${values.join(' | ')}\n`);
    }
  });

  it('answer a misspelled value with the list and the value meant', () => {
    for (const { stage, name, spec, values } of enumerated) {
      const typo = values.find((v) => v.length >= 5)?.slice(0, -1);
      if (!typo || values.includes(typo)) continue;
      const message = checkOptionValue(spec, spec.type === 'string[]' ? [typo] : typo);
      expect(message, `${stage.name}.${name}`)
        .to.contain(values.join(', '))
        .and.match(/\(did you mean "[^"]+"\?\)$/);
    }
  });
});
