import readline from 'node:readline/promises';
import type { RunSummary } from '../core/runner.js';

/** Confirmation: what a run would change, shown before a person says yes. */

/** Whether a run's planned operations would change either system (a write needs confirmation). */
export function plannedWrites(operations: Record<string, number>, statuses?: readonly string[]): { total: number; lines: string[] } {
  const bySystemAction = new Map<string, number>();
  for (const [key, count] of Object.entries(operations)) {
    const [system, action, status] = key.split('.');
    if (statuses && !statuses.includes(status)) continue;
    bySystemAction.set(`${system}.${action}`, (bySystemAction.get(`${system}.${action}`) ?? 0) + count);
  }
  const lines: string[] = [];
  let total = 0;
  for (const [key, count] of [...bySystemAction].sort(([a], [b]) => a.localeCompare(b))) {
    const [system, action] = key.split('.');
    total += count;
    lines.push(`  ${action.padEnd(6)} ${String(count).padStart(7)} record(s) in ${system === 'local' ? 'the local database' : 'Airtable'}`);
  }
  return { total, lines };
}

/** Prints the operations of a run by system and action; returns how many there were. */
export function printPlan(summary: RunSummary, verb: string, statuses?: string[]): { total: number } {
  const { total, lines } = plannedWrites(summary.operations, statuses);
  if (total > 0) process.stderr.write(`This run ${verb}:\n${lines.join('\n')}\n`);
  return { total };
}

/** Asks on the terminal; true for y or yes. */
export async function confirm(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
