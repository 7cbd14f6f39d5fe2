import { ConfigError } from './errors.js';
import { didYouMean } from './options.js';
import { bundledPipelines, resolvePipelineFile } from './paths.js';

/** Why a pipeline name was not found, with the names that were meant most likely. */
export function missingPipelineMessage(name: string): string {
  const bundled = bundledPipelines();
  return `no pipeline file "${name}" here, and no bundled pipeline of that name${didYouMean(name.replace(/^.*[\\/]/, ''), bundled)}; bundled: ${bundled.join(', ')}`;
}

/** resolvePipelineFile, or a ConfigError saying what was looked for (the library's lookup, the same as the CLI's). */
export function findPipelineFile(name: string, cwd = process.cwd()): string {
  const file = resolvePipelineFile(name, cwd);
  if (!file) throw new ConfigError([{ message: missingPipelineMessage(name) }]);
  return file;
}
