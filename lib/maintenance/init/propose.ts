import { ENGAGEMENT_STATUS_DEFAULTS } from '../../normalize/status.js';
import { chooseBookkeeping, type Bookkeeping } from './bookkeeping.js';
import type { LocalTable, RemoteTable } from './inspect.js';
import { leftOutWhy, matchColumns, type LeftOut, type Mapped, type SideMatch } from './match.js';
import { nameKey, NOT_PROPOSED } from './names.js';

/** A field both systems hold, kept in step. */
export interface Synced {
  field: string;
  column: string;
  airtable: string;
  /** Not a lead field: the two sides share the name. */
  sameName?: boolean;
}

/** A pair that would be kept in step but for values the Airtable select refuses. */
export interface HeldBack extends Synced {
  why: string;
}

/** The configuration `--init` proposes, with the reasons its comments give. */
export interface Proposal {
  local: LocalTable;
  airtable: RemoteTable;
  bookkeeping: Bookkeeping;
  /** Local columns → canonical fields (all of them go to local.columns). */
  columns: SideMatch;
  /** Airtable fields → canonical fields, before pairing with the local side. */
  fields: SideMatch;
  synced: Synced[];
  heldBack: HeldBack[];
  /** Canonical fields one system has and the other lacks: not synchronized. */
  localOnly: Mapped[];
  airtableOnly: Mapped[];
  /** The maintenance_config sections that differ from the bundled defaults. */
  maintenance: MaintenanceProposal;
}

export interface MaintenanceProposal {
  /** synchronization.airtable.table, when it is not the default `Leads`. */
  airtableTable?: string;
  /** field_standardization.engagement_status, when the defaults do not fit. */
  engagement?: { enabled: false; why: string } | { valid_values: string[]; default_value: string; why: string };
}

/**
 * Proposes the mapping of both tables to the canonical lead fields. Fields both sides map are
 * kept in step; columns left out on both sides under the same name are kept in step under that
 * name; a field only one side has stays there.
 */
export function propose(local: LocalTable, airtable: RemoteTable): Proposal {
  const bookkeeping = chooseBookkeeping(local.columns);
  const skip = new Set([bookkeeping.id?.name, bookkeeping.modified?.name, bookkeeping.created?.name].filter((n): n is string => n !== undefined));
  const columns = matchColumns(local.columns, { airtable: false, skip });
  const fields = matchColumns(airtable.columns, { airtable: true });

  const remoteOf = new Map(fields.mapped.map((m) => [m.field, m]));
  const localFields = new Set(columns.mapped.map((m) => m.field));
  const synced: Synced[] = columns.mapped
    .filter((m) => remoteOf.has(m.field))
    .map((m) => ({ field: m.field, column: m.source, airtable: remoteOf.get(m.field)!.source }));
  const localOnly = columns.mapped.filter((m) => !remoteOf.has(m.field));
  const airtableOnly = fields.mapped.filter((m) => !localFields.has(m.field));

  // Same name on both sides, no lead field: kept in step under the local column's name.
  const own = new Set<string>(NOT_PROPOSED.map(nameKey));
  const remoteLeft = new Map(fields.leftOut.map((l) => [nameKey(l.source), l]));
  const computed = (name: string): boolean => leftOutWhy(airtable.columns.find((c) => c.name === name)!, true).startsWith('computed');
  const paired = new Set<LeftOut>();
  for (const left of columns.leftOut) {
    const key = nameKey(left.source);
    const remote = remoteLeft.get(key);
    if (!remote || own.has(key) || computed(remote.source) || left.why.startsWith('also looks like') || remote.why.startsWith('also looks like')) continue;
    synced.push({ field: left.source, column: left.source, airtable: remote.source, sameName: true });
    paired.add(left).add(remote);
  }
  columns.leftOut = columns.leftOut.filter((l) => !paired.has(l));
  fields.leftOut = fields.leftOut.filter((l) => !paired.has(l));

  const heldBack = refusedBySelects(local, airtable, synced);
  const kept = synced.filter((s) => !heldBack.some((h) => h.field === s.field));
  return {
    local,
    airtable,
    bookkeeping,
    columns,
    fields,
    synced: kept,
    heldBack,
    localOnly,
    airtableOnly,
    maintenance: maintenanceFor(local, airtable, kept, localFields),
  };
}

/**
 * Pairs whose Airtable field is a select without some of the local values: every write of such a
 * value would be refused, so the pair is held back until the options exist. The engagement status
 * is not one: its values are standardized to the select's options (see maintenanceFor).
 */
function refusedBySelects(local: LocalTable, airtable: RemoteTable, synced: Synced[]): HeldBack[] {
  const held: HeldBack[] = [];
  for (const pair of synced) {
    const choices = airtable.columns.find((c) => c.name === pair.airtable)?.choices;
    if (!choices || pair.field === 'engagement_status') continue;
    const values = local.columns.find((c) => c.name === pair.column)?.values ?? [];
    const missing = [...new Set(values.filter((v) => typeof v === 'string' && v.trim() !== '').map(String))].filter((v) => !choices.includes(v));
    if (missing.length)
      held.push({
        ...pair,
        why: `local values ${missing
          .slice(0, 5)
          .map((v) => `'${v}'`)
          .join(', ')}${missing.length > 5 ? ', …' : ''} are not options of this select: add them in Airtable, then add the pair to both sections`,
      });
  }
  return held;
}

function maintenanceFor(local: LocalTable, airtable: RemoteTable, synced: Synced[], localFields: Set<string>): MaintenanceProposal {
  const result: MaintenanceProposal = {};
  if (airtable.table !== 'Leads') result.airtableTable = airtable.table;
  if (!localFields.has('engagement_status')) {
    result.engagement = { enabled: false, why: `table '${local.table}' has no engagement status column, so none is written into empty ones` };
    return result;
  }
  const status = synced.find((s) => s.field === 'engagement_status');
  const choices = status && airtable.columns.find((c) => c.name === status.airtable)?.choices;
  const defaults = ENGAGEMENT_STATUS_DEFAULTS.valid_values;
  if (choices?.length && (choices.length !== defaults.length || choices.some((c) => !defaults.includes(c)))) {
    const fallback = choices.includes(ENGAGEMENT_STATUS_DEFAULTS.default_value) ? ENGAGEMENT_STATUS_DEFAULTS.default_value : choices[0]!;
    result.engagement = {
      valid_values: choices,
      default_value: fallback,
      why: `the options of Airtable's '${status!.airtable}'; empty statuses get '${fallback}'`,
    };
  }
  return result;
}
