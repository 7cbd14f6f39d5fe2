/**
 * How each system was read in this run, shared by the stages of the run (`ctx.shared`): a reader
 * that reads only what changed since the last run marks its system `partial`, and `diff` then
 * knows a lead missing from that side was not read rather than deleted.
 */
export interface ReadModes {
  airtable: 'full' | 'partial';
}

/** The `ctx.shared` key of the run's ReadModes. */
export const READ_MODES = 'sync:read-modes';

/** The `ctx.shared` key under which `diff` leaves the run's sync direction (`{ value }`), for `validate`. */
export const SYNC_DIRECTION = 'sync:direction';
