import fs from 'node:fs';
import path from 'node:path';
import { MANIFEST_NAME, readManifest, type BackupManifest } from './manifest.js';

export interface RetentionOptions {
  /** Backups older than this many days are deleted. */
  retention_days: number;
  /** Keep at most this many backups (newest first); 0 = no limit. */
  retention_count?: number;
  now?: () => Date;
  /** A backup never deleted (the current run's). */
  keep?: string;
}

export interface RetentionResult {
  kept: string[];
  deleted: string[];
}

/**
 * Deletes backups past `retention_days` (and beyond `retention_count`), oldest first, but never
 * the newest verified backup: with nothing verified left, a run would have no way back.
 * Directories without a readable manifest are not ours to judge and are left alone; unfinished
 * `.partial` backups (of a run killed while backing up) go after a day.
 */
export function applyRetention(directory: string, options: RetentionOptions): RetentionResult {
  const now = (options.now ?? (() => new Date()))().getTime();
  const backups: Array<{ dir: string; manifest: BackupManifest; time: number }> = [];
  if (!fs.existsSync(directory)) return { kept: [], deleted: [] };
  const result: RetentionResult = { kept: [], deleted: [] };
  for (const name of fs.readdirSync(directory)) {
    const dir = path.join(directory, name);
    // An unfinished backup of a run killed mid-backup: never usable, gone after a day.
    if (name.endsWith('.partial')) {
      if (name !== `${options.keep}.partial` && fs.statSync(dir).mtimeMs < now - 86_400_000) {
        fs.rmSync(dir, { recursive: true, force: true });
        result.deleted.push(dir);
      }
      continue;
    }
    if (!fs.existsSync(path.join(dir, MANIFEST_NAME))) continue;
    try {
      const manifest = readManifest(path.join(dir, MANIFEST_NAME));
      backups.push({ dir, manifest, time: Date.parse(manifest.created_at) });
    } catch {
      // a damaged manifest: keep it for a person to look at
    }
  }
  backups.sort((a, b) => b.time - a.time);
  const protectedDir = backups.find((b) => b.manifest.verified)?.dir;
  const cutoff = now - options.retention_days * 86_400_000;
  backups.forEach((backup, index) => {
    const tooOld = backup.time < cutoff;
    const tooMany = (options.retention_count ?? 0) > 0 && index >= options.retention_count!;
    const keep = backup.dir === protectedDir || path.basename(backup.dir) === options.keep || !(tooOld || tooMany);
    if (keep) {
      result.kept.push(backup.dir);
      return;
    }
    fs.rmSync(backup.dir, { recursive: true, force: true });
    result.deleted.push(backup.dir);
  });
  return result;
}
