import { groupKey, readSettled } from './memory.js';
import type { StageContext } from '../core/stage.js';

const KEY = 'review.settled-groups';

/**
 * The duplicate groups settled for this run (by groupKey: their records with the versions they
 * had): the `decisions` stage adds those it decides, and dedupe writes none of them to the review
 * file. Shared through the run (`ctx.shared`), so neither stage needs to know the other is there.
 */
export function settledGroups(ctx: Pick<StageContext, 'shared'>): Set<string> {
  return ctx.shared<Set<string>>(KEY, () => new Set());
}

/**
 * Whether a duplicate group needs no review: a person decided it in this run, or marked it "not
 * duplicates" in an earlier one (the run state), and its records are as they were then.
 */
export function reviewSettled(stateFile: string | undefined, ctx: Pick<StageContext, 'shared'>): (line: { versions: Record<string, string> }) => boolean {
  const remembered = readSettled(stateFile);
  const now = settledGroups(ctx);
  return (line) => {
    const key = groupKey(line.versions);
    return now.has(key) || remembered.has(key);
  };
}

/** The keys of the groups a person marked "not duplicates" (the run state), for the dedupe engine. */
export function keptApart(stateFile: string | undefined): string[] {
  return [...readSettled(stateFile)].filter(([, kind]) => kind === 'not_duplicates').map(([key]) => key);
}
