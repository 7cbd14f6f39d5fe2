import fs from 'node:fs';
import path from 'node:path';
import { redactText } from '../core/redact.js';

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

/** Between strings redacted together: whitespace and a NUL, which no secret pattern can match across. */
const SEPARATOR = '\n\u0000\n';

/**
 * Redacts many strings with one pass of the redaction (each pass rescans the environment for
 * secret values, which costs far more than the patterns), giving the same result as one by one.
 */
export function redactMany(strings: string[]): string[] {
  if (strings.length === 0) return [];
  const joined = redactText(strings.join(SEPARATOR)).split(SEPARATOR);
  return joined.length === strings.length ? joined : strings.map((v) => redactText(v));
}

/**
 * Removes the oldest run folders beyond the newest `keep` (0 keeps all). Only folders this stage
 * wrote (holding a maintenance-result.json) are touched, so a shared directory is safe.
 */
export function pruneRuns(directory: string, keep: number, current: string): string[] {
  if (keep <= 0) return [];
  const runs = fs
    .readdirSync(directory, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'latest' && fs.existsSync(path.join(directory, e.name, 'maintenance-result.json')))
    .map((e) => ({ name: e.name, time: fs.statSync(path.join(directory, e.name, 'maintenance-result.json')).mtimeMs }))
    .sort((a, b) => b.time - a.time || (a.name < b.name ? 1 : -1));
  const removed = runs
    .slice(keep)
    .map((r) => r.name)
    .filter((name) => name !== current);
  for (const name of removed) fs.rmSync(path.join(directory, name), { recursive: true, force: true });
  return removed;
}

/** A deep copy with every string (keys too) passed through the secret redaction, in one pass. */
export function redactStrings<T>(value: T): T {
  const strings: string[] = [];
  const collect = (v: unknown): void => {
    if (typeof v === 'string') strings.push(v);
    else if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        strings.push(k);
        collect(x);
      }
  };
  collect(value);
  const redacted = redactMany(strings);
  let i = 0;
  const rebuild = (v: unknown): unknown => {
    if (typeof v === 'string') return redacted[i++];
    if (Array.isArray(v)) return v.map(rebuild);
    if (v && typeof v === 'object') {
      // From entries, so that a key named `__proto__` (a lead's field, say) stays a key instead of setting the prototype.
      const entries: Array<[string, unknown]> = [];
      for (const [, x] of Object.entries(v)) {
        const key = redacted[i++]!;
        entries.push([key, rebuild(x)]);
      }
      return Object.fromEntries(entries);
    }
    return v;
  };
  return rebuild(value) as T;
}
