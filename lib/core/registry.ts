import type { Stage } from './stage.js';

/**
 * The stages a pipeline can name, by name. The runtime never imports a stage: the catalogue
 * (stages/index.ts) registers every stage when it is imported, and the package entry, the command
 * layer and the CLIs import it. A script may register stages of its own the same way.
 */
export const stages: Record<string, Stage<any>> = {};

/** Adds stages under their names; a later one of the same name replaces the earlier. */
export function registerStages(...list: Stage<any>[]): void {
  for (const stage of list) stages[stage.name] = stage;
}
