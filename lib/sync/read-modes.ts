import type { Lead } from '../core/record.js';

/**
 * How each system was read in this run, shared by the stages of the run (`ctx.shared`): a reader
 * that reads only what changed since the last run marks its system `partial`, and `diff` then
 * knows a lead missing from that side was not read rather than deleted.
 */
export interface ReadModes {
  airtable: 'full' | 'partial';
  /**
   * Left by a partial Airtable reader: fetches the given Airtable records by id (batched, through
   * the reader's client and rate limiter), as leads shaped as the reader shapes them. `diff` uses
   * it for the counterparts of linked local leads that a stage changed but the read did not cover.
   */
  fetchAirtable?: (ids: Iterable<string>) => AsyncGenerator<Lead>;
}

/** The `ctx.shared` key of the run's ReadModes. */
export const READ_MODES = 'sync:read-modes';

/** The `ctx.shared` key under which `diff` leaves the run's sync direction (`{ value }`), for `validate`. */
export const SYNC_DIRECTION = 'sync:direction';
