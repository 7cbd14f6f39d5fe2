import type { StageContext } from './stage.js';

/**
 * What must still hold for a run to go on writing, checked before each batch any writer applies:
 * each check throws a WriteStopped, saying why and what to do, once it no longer holds (the run's
 * lock, as the backup step took it, lost with the connection that held it).
 */
export type WriteCheck = () => void;

/** The run must write nothing more: the writer stops the run at once, its batch unsent and its operations not rejected (a resume sends them). */
export class WriteStopped extends Error {}

const WRITE_CHECKS = 'core.write-checks';

/** The run's write checks (shared by its stages); a stage adds to them, the writers run them. */
export function writeChecks(ctx: Pick<StageContext, 'shared'>): WriteCheck[] {
  return ctx.shared<{ checks: WriteCheck[] }>(WRITE_CHECKS, () => ({ checks: [] })).checks;
}
