import type { StageCounters } from './stage.js';

// Kept apart from context.ts so a worker thread can count without loading the run's machinery.

/** A running total of drops, kept off the printed counters, so the adapter can tell whether a stage said why. */
export const DROPS = Symbol('drops');

/** Fresh counters for a stage. */
export function newCounters(stage: string): StageCounters {
  const counters = { stage, received: 0, sent: 0, dropped: {}, rejected: 0, errored: 0, elapsed_ms: 0 };
  Object.defineProperty(counters, DROPS, { value: 0, writable: true, enumerable: false });
  return counters;
}
