import type { Lead } from '../core/record.js';
import type { DataConflict, DuplicateGroup } from '../core/types.js';
import { recordVersion, versionsOf } from './version.js';

/**
 * The lines of the review files, as a person (or the review page) reads them to write a decisions
 * file: the duplicate group or conflict as the run found it, plus `versions`, each record's
 * `<source>:<id>` and version, which a decision copies into `seen`.
 */

export type ReviewGroupLine = DuplicateGroup & { versions: Record<string, string> };
export type ReviewConflictLine = DataConflict & { versions: Record<string, string> };

/** A duplicate group's review line: its members' versions, taken from the records as they came in. */
export function reviewGroupLine(group: DuplicateGroup, linkField: string): ReviewGroupLine {
  return { ...group, versions: versionsOf(group.records, linkField) };
}

/**
 * A conflict's review line: the versions of its two records (`record_id` names them), taken from
 * `records`, the entity's records as they reached planning.
 */
export function reviewConflictLine(conflict: DataConflict, records: readonly Lead[], linkField: string): ReviewConflictLine {
  const versions: Record<string, string> = {};
  for (const key of conflict.record_id.split('|')) {
    const record = records.find((r) => `${r._meta?.source}:${r._meta?.id}` === key);
    if (record) versions[key] = recordVersion(record, linkField);
  }
  return { ...conflict, versions };
}
