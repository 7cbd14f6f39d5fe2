import type { SourceSystem } from './record.js';

/**
 * What `diff` emits and writers apply: one create, update or delete on one system. Operations
 * travel through the pipeline as objects of their own (`kind: 'operation'`), beside records;
 * each writer applies those for its system and passes everything on, so `write-sqlite` and
 * `write-airtable` can follow each other and `report` sees all of them.
 */
export interface Operation {
  kind: 'operation';
  action: 'create' | 'update' | 'delete';
  system: SourceSystem;
  /** The record's id in `system`; absent for a create until the writer assigns one. */
  id?: string;
  /** Canonical field names and the values to set (create: every field; update: changed fields only). */
  fields: Record<string, unknown>;
  /** The values the operation replaces (update, delete), for the journal and for undo. */
  replaces: Record<string, unknown>;
  /** Why the operation exists (`manual decision`: a person decided it, see lib/review). */
  reason: 'standardize' | 'dedupe' | 'merge' | 'sync' | 'manual decision';
  /**
   * Per changed field, the rule that produced its new value (`email.lowercase`, `dedupe.merge`,
   * `sync.most_recent`, …), for the audit log and the report's "changes by field and rule".
   */
  rules?: Record<string, string>;
  /** The entity (cluster) key, so the two systems' records of one lead can be linked. */
  entity: string;
  /** For a create: the record in the other system it belongs to, so the writer can link the two (`airtable_id`). */
  link?: { system: SourceSystem; id: string };
  /** Set by a writer once applied: the id it was given (creates) and the outcome. */
  result?: { status: 'applied' | 'skipped' | 'failed' | 'dry_run'; id?: string; error?: string };
}

/** True for the operation objects that `diff` emits (as opposed to records). */
export function isOperation(value: unknown): value is Operation {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'operation';
}

/** How a run's summary counts an operation: `system.action.status`, `planned` when no writer handled it. */
export function operationKey(op: Operation): string {
  return `${op.system}.${op.action}.${op.result?.status ?? 'planned'}`;
}
