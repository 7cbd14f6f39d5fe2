import fs from 'node:fs';
import path from 'node:path';
import { PRIVATE_FILE_MODE } from './files.js';
import type { RollbackResult } from './rollback.js';

/**
 * The rollback's own report, `rollback.json` beside the run's journal: what was undone, what was
 * left alone, and every record that came back under a new id. Airtable never reuses an id, so a
 * record the run deleted is recreated with a new id and creation time; whatever links to the old
 * id from elsewhere (other bases, automations, bookmarks) must be pointed at the new one, and this
 * file is where a person finds the pairs.
 */
export function writeRollbackReport(journalFile: string, result: RollbackResult, now: Date = new Date()): string {
  const file = path.join(path.dirname(journalFile), 'rollback.json');
  const report = { run_id: result.runId, rolled_back_at: now.toISOString(), ...result };
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n', { mode: PRIVATE_FILE_MODE });
  return file;
}
