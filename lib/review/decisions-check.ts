import type { ConfigIssue, SourcePosition } from '../core/errors.js';

/**
 * The checks of a decisions file that its schema cannot say: what the parts of one decision must
 * agree on (its survivor is one of its records, `seen` names exactly its records), and that no
 * record is decided about twice. Run on the decisions the schema found nothing wrong with: those
 * in `skip` (by index) broke it and were reported by it.
 */

type Locate = (keys: ReadonlyArray<string | number>) => SourcePosition;
type Raw = Record<string, unknown>;

export function checkDecisions(file: { decisions: Raw[] }, locate: Locate, skip: ReadonlySet<number> = new Set()): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const problem = (keys: ReadonlyArray<string | number>, message: string): void => {
    issues.push({
      position: locate(keys),
      path: keys
        .map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`))
        .join('')
        .replace(/^\./, ''),
      message,
    });
  };
  const grouped = new Map<string, number>();
  const conflicts = new Map<string, number>();
  file.decisions.forEach((decision, i) => {
    if (skip.has(i)) return;
    const at = ['decisions', i];
    if (decision.type === 'duplicates') {
      const records = decision.records as string[];
      checkSeen(decision.seen as Raw, records, [...at, 'seen'], problem);
      if (decision.action === 'merge') {
        if (!records.includes(decision.survivor as string)) problem([...at, 'survivor'], `the survivor must be one of "records" (${records.join(', ')})`);
        for (const [field, choice] of Object.entries((decision.values ?? {}) as Record<string, Raw>)) {
          if (field === '_meta') problem([...at, 'values', field], '"_meta" is the tool\'s bookkeeping, not a field; remove it');
          if ('from' in choice && !records.includes(choice.from as string))
            problem([...at, 'values', field, 'from'], `"from" must be one of "records" (${records.join(', ')})`);
        }
      } else {
        for (const key of ['survivor', 'values'])
          if (key in decision) problem([...at, key], `"${key}" goes with "action": "merge"; remove it, or make the action merge`);
      }
      for (const record of records) {
        const earlier = grouped.get(record);
        if (earlier !== undefined) problem([...at, 'records'], `${record} is already in decision ${earlier + 1}; decide about each record once`);
        else grouped.set(record, i);
      }
    } else {
      const keys = [`local:${decision.local}`, `airtable:${decision.airtable}`];
      checkSeen(decision.seen as Raw, keys, [...at, 'seen'], problem);
      if (decision.choice !== 'value' && 'value' in decision)
        problem([...at, 'value'], `"value" goes with "choice": "value"; remove it, or make the choice value`);
      const key = `${keys.join('|')}|${decision.field}`;
      const earlier = conflicts.get(key);
      if (earlier !== undefined) problem(at, `decision ${earlier + 1} already decides ${decision.field} of ${keys.join(' and ')}; keep one`);
      else conflicts.set(key, i);
    }
  });
  return issues;
}

/** `seen` must give a version for each record of the decision, and for no other. */
function checkSeen(seen: Raw, records: readonly string[], at: Array<string | number>, problem: (keys: Array<string | number>, message: string) => void): void {
  for (const record of records) if (!Object.hasOwn(seen, record)) problem(at, `no version for ${record}: copy the review line's "versions" into "seen"`);
  for (const key of Object.keys(seen))
    if (!records.includes(key)) problem([...at, key], `${key} is not a record of this decision; "seen" gives the versions of ${records.join(', ')} only`);
}
