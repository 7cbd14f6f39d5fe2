import { createHash } from 'node:crypto';
import type { Lead } from '../core/record.js';

/**
 * What clustering finds and resolution works on: an entity's records with why each is in it, and
 * the ids that name records and clusters the same way whatever the input order.
 */

/** Why a record is in its cluster: the key it shares, or `fuzzy` with the score. */
export interface MatchReason {
  key: string;
  value?: string;
  score: number;
}

/** One entity: its members (in input order), their match reasons, and the cluster id. */
export interface Cluster {
  id: string;
  members: Lead[];
  /** Per member, its identity (system and id). */
  idents: string[];
  /** Per member, why it joined (undefined for a singleton). */
  reasons: Array<MatchReason | undefined>;
}

/** A stable id for a record, independent of input order: its system and id, else its content. */
export function identityOf(record: Lead): string {
  const meta = record._meta ?? {};
  if (meta.id !== undefined && meta.id !== null && meta.id !== '') return `${meta.source ?? 'record'}:${meta.id}`;
  if (typeof record.id === 'string' || typeof record.id === 'number') return `${meta.source ?? 'record'}:${record.id}`;
  const { _meta, ...fields } = record;
  return `content:${createHash('sha1').update(JSON.stringify(fields)).digest('hex')}`;
}

/**
 * The cluster id: the smallest member identity (`airtable:rec…`, `local:42`). Unique per cluster,
 * the same whatever the input order, and the same for both systems' records of the entity.
 */
export function clusterIdOf(idents: readonly string[]): string {
  let smallest = idents[0] ?? '';
  for (const ident of idents) if (ident < smallest) smallest = ident;
  return smallest;
}
