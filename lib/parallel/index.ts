import type { MultiCore } from '../core/multi-core.js';
import { planRun, type ParallelPlan } from './plan.js';
import { runParallelSegment } from './segment.js';

/**
 * Runs on every core a pipeline that reads JSON Lines, goes through stages whose records are
 * independent, and writes JSON Lines (segment.ts), decided from what the stages declared
 * (capabilities.ts). The stage catalogue installs it with the runtime (`installMultiCore`).
 */
export const PARALLEL: MultiCore<ParallelPlan> = { plan: planRun, run: runParallelSegment };
