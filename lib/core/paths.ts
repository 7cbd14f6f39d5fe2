import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's own directory (the one holding package.json), found by walking up from this
 * module, so the bundled `pipelines/` and `config/` are found both from the sources and from the
 * compiled `dist/`.
 */
export const PACKAGE_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));

function findRoot(dir: string): string {
  for (let current = dir; ; current = path.dirname(current)) {
    if (fs.existsSync(path.join(current, 'package.json'))) return current;
    if (path.dirname(current) === current) return dir;
  }
}

/** A path inside the package. */
export function packagePath(...parts: string[]): string {
  return path.join(PACKAGE_ROOT, ...parts);
}

/**
 * Finds a pipeline file: as given when it exists (relative to the working directory), else a bare
 * name in the bundled `pipelines/` (`full.yaml`, `full`, or `pipelines/full.yaml` as the package's
 * own files name it), so `run-pipeline full.yaml` and `runPipeline('full.yaml')` work from any
 * directory.
 */
export function resolvePipelineFile(name: string, cwd = process.cwd()): string | undefined {
  const direct = path.resolve(cwd, name);
  if (fs.existsSync(direct) && fs.statSync(direct).isFile()) return direct;
  const bare = name.replace(/^(\.[\\/])?pipelines[\\/]/, '');
  if (bare.includes('/') || bare.includes(path.sep)) return undefined;
  for (const candidate of [bare, `${bare}.yaml`, `${bare}.yml`]) {
    const bundled = packagePath('pipelines', candidate);
    if (fs.existsSync(bundled)) return bundled;
  }
  return undefined;
}

/** The bundled pipelines' names, for "did you mean" and `--help`. */
export function bundledPipelines(): string[] {
  const dir = packagePath('pipelines');
  return fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
    : [];
}

/** A path as the user would type it: relative to the working directory when below it. */
export function displayPath(file: string, cwd = process.cwd()): string {
  const relative = path.relative(cwd, file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/** The package version (for manifests and journals). */
export function toolVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(packagePath('package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
