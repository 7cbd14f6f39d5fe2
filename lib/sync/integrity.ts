import Database from 'better-sqlite3';
import type { Lead } from '../core/record.js';
import type { SyncDirection } from './plan.js';
import { sameValue } from './values.js';

/** One way the two systems disagree after a run. */
export interface IntegrityDifference {
  problem: 'unlinked_local' | 'missing_airtable' | 'shared_link' | 'unlinked_airtable' | 'field_mismatch' | 'count_mismatch' | 'not_deleted';
  local_id?: string;
  airtable_id?: string;
  field?: string;
  local_value?: unknown;
  airtable_value?: unknown;
  message: string;
}

/**
 * The comparison behind `validate`: the Airtable records are parked in a scratch SQLite table
 * (memory stays flat), then each local lead is checked against the record it links to, and at
 * the end every Airtable record no local lead linked to is reported. Only the first
 * `keep` differences are kept in full; all are counted.
 */
export class IntegrityCheck {
  private readonly db: Database.Database;
  private readonly putAirtable: Database.Statement;
  private readonly getAirtable: Database.Statement;
  private readonly markLinked: Database.Statement;
  private readonly putManual: Database.Statement;
  private readonly isManual: Database.Statement;
  private readonly putLocal: Database.Statement;
  readonly differences: IntegrityDifference[] = [];
  total = 0;
  localCount = 0;
  airtableCount = 0;

  private readonly linkField: string;
  private readonly linkOf: (lead: Lead) => unknown;
  private readonly keep: number;
  /** Every local lead must have its Airtable record (both ways, or a sync to Airtable). */
  private readonly requireLocalLinks: boolean;
  /** Every Airtable record must have its local lead (both ways, or a sync to the database). */
  private readonly requireAirtableLinks: boolean;
  private readonly oneWay: boolean;
  /** `<system>:<id>` of the records under review (bounded by the review groups of one run). */
  private readonly underReview = new Set<string>();
  /** `<system>:<id>` of records another writer's change kept unlinked (bounded by one run's conflicts). */
  private readonly keptUnlinked = new Set<string>();
  /** Local leads whose delete another writer's change made the run skip (bounded likewise). */
  private readonly keptLocal = new Set<string>();
  /** How many of `keptLocal` were seen: the local table holds that many more leads than Airtable. */
  private keptSeen = 0;

  /**
   * `requireLinks` false: a lead without a counterpart is allowed (duplicates kept on purpose);
   * linked pairs are still compared. A one-way `direction` requires counterparts in the written
   * system only: a sync to Airtable leaves Airtable-only records alone, and the counts may differ.
   */
  constructor(
    file: string,
    private readonly fields: readonly string[],
    settings: { linkField: string; keep: number; requireLinks: boolean; direction?: SyncDirection; linkOf?: (lead: Lead) => string | undefined },
  ) {
    this.linkField = settings.linkField;
    // Links kept in the run state (a table without a link column) come from there.
    this.linkOf = settings.linkOf ?? ((lead) => lead[this.linkField]);
    this.keep = settings.keep;
    const direction = settings.direction ?? 'both';
    this.requireLocalLinks = settings.requireLinks && direction !== 'to_local';
    this.requireAirtableLinks = settings.requireLinks && direction !== 'to_airtable';
    this.oneWay = direction !== 'both';
    this.db = new Database(file);
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.exec(`
      CREATE TABLE airtable (id TEXT PRIMARY KEY, record TEXT NOT NULL, linked_by TEXT) WITHOUT ROWID;
      CREATE TABLE manual (local_id TEXT NOT NULL, field TEXT NOT NULL, PRIMARY KEY (local_id, field)) WITHOUT ROWID;
      CREATE TABLE checked_local (id TEXT PRIMARY KEY) WITHOUT ROWID;
    `);
    this.putAirtable = this.db.prepare('INSERT OR REPLACE INTO airtable (id, record) VALUES (?, ?)');
    this.getAirtable = this.db.prepare('SELECT record, linked_by FROM airtable WHERE id = ?');
    this.markLinked = this.db.prepare('UPDATE airtable SET linked_by = ? WHERE id = ?');
    this.putManual = this.db.prepare('INSERT OR IGNORE INTO manual (local_id, field) VALUES (?, ?)');
    this.isManual = this.db.prepare('SELECT 1 FROM manual WHERE local_id = ? AND field = ?').pluck();
    this.putLocal = this.db.prepare('INSERT OR IGNORE INTO checked_local (id) VALUES (?)');
  }

  /** An Airtable record as read (canonical field names). */
  addAirtable(id: string, record: Record<string, unknown>): void {
    this.airtableCount++;
    this.putAirtable.run(id, JSON.stringify(record));
  }

  /**
   * A record a person must decide about (a member of a `manual` duplicate group, a record of a
   * `manual` conflict): the run left it as it was, so it may rightly have no counterpart yet or
   * differ from it, and the totals of the two systems may differ by it.
   */
  leaveUnlinked(system: 'local' | 'airtable', id: string): void {
    this.underReview.add(`${system}:${id}`);
  }

  /** A field a person must decide (a `manual` conflict): the systems may rightly differ on it. */
  leaveAlone(localId: string, field: string): void {
    this.putManual.run(localId, field);
  }

  /**
   * The run's update that would have linked local lead `localId` to Airtable record `airtableId`
   * was skipped, because another writer changed the lead since the run read it: that lead may
   * still have no link, and that record no local lead. Nothing else about either is excused.
   */
  keptUnlinkedBy(localId: string, airtableId: string | undefined): void {
    this.keptUnlinked.add(`local:${localId}`);
    if (airtableId) this.keptUnlinked.add(`airtable:${airtableId}`);
  }

  /**
   * The run's delete of local lead `localId` was skipped, because another writer changed it since
   * the run read it: the lead is still there as they left it. Its link and fields are not
   * compared, it links no record (the record it named may be gone, or belong to the lead that
   * survived), and the local table may hold one lead more than Airtable for it.
   */
  keptDespiteDelete(localId: string): void {
    this.keptLocal.add(localId);
  }

  /** Checks one local lead against the Airtable record it links to; a lead seen before is skipped. */
  checkLocal(lead: Lead): void {
    const localId = String(lead._meta?.id ?? '');
    if (this.putLocal.run(localId).changes === 0) return;
    this.localCount++;
    const link = this.linkOf(lead);
    if (this.keptLocal.has(localId)) {
      this.keptSeen++;
      if (typeof link === 'string' && link) this.keptUnlinked.add(`airtable:${link}`);
      return;
    }
    const who = describe(localId, lead);
    if (typeof link !== 'string' || link === '') {
      const why = this.linkField ? ` (${this.linkField} is empty)` : '';
      if (this.requireLocalLinks && !this.underReview.has(`local:${localId}`) && !this.keptUnlinked.has(`local:${localId}`))
        this.add({ problem: 'unlinked_local', local_id: localId, message: `${who} has no Airtable record${why}.` });
      return;
    }
    const row = this.getAirtable.get(link) as { record: string; linked_by: string | null } | undefined;
    if (!row) {
      this.add({
        problem: 'missing_airtable',
        local_id: localId,
        airtable_id: link,
        message: `${who} is linked to Airtable record ${link}, which does not exist.`,
      });
      return;
    }
    if (row.linked_by !== null) {
      this.add({
        problem: 'shared_link',
        local_id: localId,
        airtable_id: link,
        message: `Local leads ${row.linked_by} and ${localId} are both linked to Airtable record ${link}.`,
      });
      return;
    }
    this.markLinked.run(localId, link);
    // A lead waiting for a person's decision was left as it is: its two records may rightly differ.
    if (this.underReview.has(`local:${localId}`)) return;
    const airtable = JSON.parse(row.record) as Record<string, unknown>;
    for (const field of this.fields) {
      if (!(field in airtable)) continue;
      if (sameValue(lead[field], airtable[field]) || this.isManual.get(localId, field)) continue;
      this.add({
        problem: 'field_mismatch',
        local_id: localId,
        airtable_id: link,
        field,
        local_value: lead[field] ?? null,
        airtable_value: airtable[field] ?? null,
        message: `${who} and Airtable record ${link} differ in ${field}: local ${show(lead[field])}, Airtable ${show(airtable[field])}.`,
      });
    }
  }

  /** Reports every parked Airtable record no local lead linked to; with `counts`, also unequal totals. */
  finish(settings: { counts: boolean }): void {
    if (!this.requireAirtableLinks) return;
    for (const id of this.db.prepare('SELECT id FROM airtable WHERE linked_by IS NULL ORDER BY id').pluck().iterate() as Iterable<string>) {
      if (this.underReview.has(`airtable:${id}`) || this.keptUnlinked.has(`airtable:${id}`)) continue;
      this.add({ problem: 'unlinked_airtable', airtable_id: id, message: `Airtable record ${id} has no local lead linked to it.` });
    }
    if (settings.counts && !this.oneWay && this.underReview.size === 0 && this.localCount - this.keptSeen !== this.airtableCount) {
      this.add({ problem: 'count_mismatch', message: `The local table holds ${this.localCount} leads and Airtable ${this.airtableCount}.` });
    }
  }

  /** A record that the run deleted is still there. */
  notDeleted(system: 'local' | 'airtable', id: string): void {
    this.add({
      problem: 'not_deleted',
      ...(system === 'local' ? { local_id: id } : { airtable_id: id }),
      message: `The run deleted ${system === 'local' ? 'local lead' : 'Airtable record'} ${id}, but it is still there.`,
    });
  }

  /** The (local id, Airtable id) pairs that checked out as linked. */
  *links(): Generator<[string, string]> {
    yield* this.db.prepare('SELECT linked_by, id FROM airtable WHERE linked_by IS NOT NULL ORDER BY id').raw(true).iterate() as Iterable<[string, string]>;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private add(difference: IntegrityDifference): void {
    this.total++;
    if (this.differences.length < this.keep) this.differences.push(difference);
  }
}

function describe(id: string, lead: Lead): string {
  const name = typeof lead.name === 'string' && lead.name ? ` (${lead.name})` : '';
  return `Local lead ${id}${name}`;
}

function show(value: unknown): string {
  if (value === null || value === undefined || value === '') return '(empty)';
  return JSON.stringify(value);
}
