/**
 * Why a field changes, from the rule that changed it (`sync.local_wins`, `dedupe.merge`,
 * `email.lowercase`, `decision.3`) or a bare reason (`sync`, `merge`, `dedupe`): from the other
 * system, a dedupe merge, a person's decision (lib/review), or standardization. Planning gives each operation its reason by it and the report counts
 * changes by it, so the two always agree.
 */
export function reasonOfRule(rule: string): 'sync' | 'merge' | 'standardize' | 'manual decision' {
  const head = rule.split('.')[0];
  if (head === 'decision') return 'manual decision';
  if (head === 'dedupe' || head === 'merge') return 'merge';
  if (head === 'sync') return 'sync';
  return 'standardize';
}
