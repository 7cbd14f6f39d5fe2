import { setFlagsFromString } from 'node:v8';

/**
 * Starts a command-line tool (`bin/tools/`) with steady memory. Every tool's entry file calls
 * this with the tool's module, which is loaded only after the setting below is made.
 *
 * A run streams its records a block at a time, so a few blocks are always in flight. V8's minor-GC
 * task (a young-generation collection scheduled ahead of need) can catch the same in-flight blocks
 * twice and promote them to the old generation, where they pile up as garbage until the next full
 * collection: whether it did decided a run's peak memory, by up to a third, from one run of the same
 * input to the next. Without the task, young collections happen when the young generation is full,
 * and the peak is steady. The setting only holds when it is made before the tool's modules load
 * (hence the dynamic import), and it is the command-line tools' alone: a program that imports the
 * library keeps its own V8 settings.
 */
export async function launch(tool: () => Promise<unknown>): Promise<void> {
  setFlagsFromString('--no-minor-gc-task');
  await tool();
}
