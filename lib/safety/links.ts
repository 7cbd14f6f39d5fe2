import fs from 'node:fs';
import { SyncState } from '../sync/state.js';
import type { JournalContents } from '../core/journal-read.js';

/**
 * The sync state after a rollback (lib/sync/state.ts): the links to records the rollback took
 * away are dropped, and those to Airtable records it recreated follow their new ids. The state
 * file is the one the run's local target names (write-sqlite records it); a journal without one
 * (an older run, a run that wrote no local table) leaves the state alone. Returns how many links
 * changed, or undefined when there was no state to follow.
 */
export function linksAfterRollback(contents: JournalContents): number | undefined {
  const target = contents.targets.find((t) => t.system === 'local');
  const file = target?.system === 'local' ? target.state_file : undefined;
  if (!file || !fs.existsSync(file)) return undefined;
  const unlinked = { local: [] as string[], airtable: [] as string[] };
  const recreated: Array<{ old_id: string; new_id: string }> = [];
  for (const op of contents.ops) {
    if (op.undo !== 'undone') continue;
    const id = op.result?.id ?? op.id;
    if (op.action === 'create' && id) unlinked[op.system].push(id);
    if (op.action === 'delete' && op.system === 'airtable' && op.id && op.undoId) recreated.push({ old_id: op.id, new_id: op.undoId });
  }
  const state = new SyncState(file);
  try {
    return state.followRollback({ unlinked, recreated });
  } finally {
    state.close();
  }
}

/**
 * Resume, for a table without a link column: the links the interrupted run's applied creates made
 * go into the sync state, where the resumed run's reader finds them. Returns how many.
 */
export function linkCreatedInState(contents: JournalContents): number {
  const target = contents.targets.find((t) => t.system === 'local');
  const file = target?.system === 'local' ? target.state_file : undefined;
  if (!file) return 0;
  const pairs: Array<[string, string]> = [];
  for (const op of contents.ops) {
    if (op.action !== 'create' || op.result?.status !== 'applied' || !op.result.id || !op.link || op.undo) continue;
    if (op.system === 'airtable' && op.link.system === 'local') pairs.push([op.link.id, op.result.id]);
    if (op.system === 'local' && op.link.system === 'airtable') pairs.push([op.result.id, op.link.id]);
  }
  if (pairs.length === 0) return 0;
  const state = new SyncState(file);
  try {
    return state.addLinks(pairs);
  } finally {
    state.close();
  }
}
