import type { Operation } from '../core/operation.js';
import { isConcurrentChange } from '../postgres/conflict.js';
import type { IntegrityCheck } from '../sync/integrity.js';

/**
 * What `validate` excuses after local operations another writer's change made the run skip
 * (lib/postgres/conflict.ts): each such record stays as the other writer left it, so the two
 * systems may rightly differ on exactly what the skipped operation would have changed, and on
 * nothing else. An update skipped: its fields, and the link it would have written (the lead may
 * stay unlinked, its Airtable record without a local lead). A delete skipped: the lead is still
 * there. Bounded by the conflicts of one run.
 */
export class ConcurrentSkips {
  private readonly fields: Array<[string, string]> = [];
  private readonly unlinked: Array<[string, string | undefined]> = [];
  private readonly kept: string[] = [];

  /** Notes one operation as it passes (anything but a local operation skipped for a concurrent change is ignored). */
  note(item: Operation, linkField: string): void {
    if (item.system !== 'local' || item.id === undefined || item.id === null || !isConcurrentChange(item.result)) return;
    const id = String(item.id);
    if (item.action === 'delete') this.kept.push(id);
    if (item.action !== 'update') return;
    for (const field of Object.keys(item.fields)) this.fields.push([id, field]);
    if (linkField && Object.hasOwn(item.fields, linkField)) {
      const link = item.fields[linkField];
      this.unlinked.push([id, typeof link === 'string' && link ? link : undefined]);
    }
  }

  /** Tells the check what it may find different because of them. */
  excuse(check: IntegrityCheck): void {
    for (const [id, field] of this.fields) check.leaveAlone(id, field);
    for (const [id, link] of this.unlinked) check.keptUnlinkedBy(id, link);
    for (const id of this.kept) check.keptDespiteDelete(id);
  }
}
