import normalize from '../stages/normalize.js';
import readJsonl from '../stages/read-jsonl.js';
import writeJsonl from '../stages/write-jsonl.js';
import type { Stage } from './stage.js';

/**
 * Every stage, by name. Adding a stage = one file in `stages/`, one line here, one spec file.
 */
export const stages: Record<string, Stage<any>> = {
  normalize,
  'read-jsonl': readJsonl,
  'write-jsonl': writeJsonl,
};
