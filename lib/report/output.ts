import fs from 'node:fs';
import path from 'node:path';
import { redactText } from '../redact.js';

/**
 * Where a run's report goes: one folder per run under the report directory, and `latest`
 * pointing at the newest (a symbolic link, swapped atomically; a copy where links are not
 * allowed), so `reports/latest/report.html` is always the last run's page.
 */

/** A run id made safe as a folder name. */
export function runFolderName(runId: string): string {
  return runId.replace(/[^A-Za-z0-9._-]/g, '_') || 'run';
}

/** Points `<directory>/latest` at the run's folder. */
export function linkLatest(directory: string, folder: string): string {
  const latest = path.join(directory, 'latest');
  const tmp = path.join(directory, `.latest.${process.pid}.tmp`);
  try {
    fs.rmSync(tmp, { force: true, recursive: true });
    fs.symlinkSync(folder, tmp, 'dir');
    if (fs.existsSync(latest) && !fs.lstatSync(latest).isSymbolicLink()) fs.rmSync(latest, { recursive: true, force: true });
    fs.renameSync(tmp, latest);
  } catch {
    fs.rmSync(tmp, { force: true, recursive: true });
    fs.rmSync(latest, { force: true, recursive: true });
    fs.cpSync(path.join(directory, folder), latest, { recursive: true });
  }
  return latest;
}

/** A deep copy with every string (keys too) passed through the secret redaction. */
export function redactStrings<T>(value: T): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactStrings(v)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redactText(k), redactStrings(v)])) as T;
  }
  return value;
}
