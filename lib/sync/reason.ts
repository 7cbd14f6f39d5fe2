/**
 * Why a field changes, from the rule that changed it (`sync.local_wins`, `dedupe.merge`,
 * `email.lowercase`) or a bare reason (`sync`, `merge`, `dedupe`): from the other system, a dedupe
 * merge, or standardization. Planning gives each operation its reason by it and the report counts
 * changes by it, so the two always agree.
 */
export function reasonOfRule(rule: string): 'sync' | 'merge' | 'standardize' {
  const head = rule.split('.')[0];
  if (head === 'dedupe' || head === 'merge') return 'merge';
  if (head === 'sync') return 'sync';
  return 'standardize';
}
