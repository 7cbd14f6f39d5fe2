import { ConfigError } from '../core/errors.js';
import type { Operation } from '../core/operation.js';
import type { OptionSpec } from '../core/stage.js';
import type { AirtableTable } from './schema.js';

/**
 * `delete_mode: archive`: an Airtable record the run would delete (the losing duplicate, the
 * counterpart of a lead deleted locally) is marked in a field instead, so its id lives on for
 * whatever links to it from elsewhere (other bases, automations, bookmarks). Airtable never
 * reuses an id, so a deleted record can come back only under a new one; an archived record is
 * the same record, and undoing the archive (rollback) is an update. Archived records are left out
 * of every read, so they are neither deduplicated nor synchronized again.
 *
 * Local rows are always deleted: their ids are the database's own, nothing outside it points at
 * them, and a rollback puts a deleted row back under the same id (the journal holds the row).
 */

/** What becomes of an Airtable record a run removes (`delete_mode`). */
const DELETE_MODES = ['delete', 'archive'] as const;

export interface ArchiveOptions {
  delete_mode: (typeof DELETE_MODES)[number];
  archive_field: string;
  archive_value: string;
}

/** The options, declared once for the stages that write, read and check Airtable. */
export const ARCHIVE_OPTIONS: { [K in keyof ArchiveOptions]-?: OptionSpec } = {
  delete_mode: {
    type: 'string',
    values: DELETE_MODES,
    default: 'delete',
    config: 'synchronization.airtable.delete_mode',
    description:
      'What happens to an Airtable record the run removes (a duplicate, a lead deleted locally): `delete` it, or `archive` it (mark it in archive_field, keeping its id for links from elsewhere; archived records are not read again).',
    example: 'archive',
  },
  archive_field: {
    type: 'string',
    default: 'Archived',
    config: 'synchronization.airtable.archive_field',
    description:
      'With delete_mode: archive, the Airtable field that marks a record archived: a checkbox (checked) or a single select or text field (set to archive_value).',
    example: 'Archived',
  },
  archive_value: {
    type: 'string',
    default: 'Archived',
    config: 'synchronization.airtable.archive_value',
    description: 'With delete_mode: archive, the value that marks a record archived in a single select or text archive_field (a checkbox is checked).',
    example: 'Archived',
  },
};

/** How records are archived in one table: the field and the value that marks them. */
export interface Archive {
  field: string;
  value: true | string;
}

const ARCHIVE_TYPES = new Set(['checkbox', 'singleSelect', 'singleLineText']);

/** The table's archive setting, or undefined under `delete_mode: delete`; a missing or unsuitable field is a configuration error. */
export function archiveOf(options: ArchiveOptions, table: AirtableTable, stage: string): Archive | undefined {
  if (options.delete_mode !== 'archive') return undefined;
  const field = table.fields.find((f) => f.name === options.archive_field);
  if (!field || !ARCHIVE_TYPES.has(field.type)) {
    const problem = field ? `its field '${field.name}' is a ${field.type}` : `it has no field '${options.archive_field}'`;
    throw new ConfigError([
      {
        path: `${stage}.archive_field`,
        message: `delete_mode: archive marks records in Airtable table ${table.name}, but ${problem}. Add a checkbox (or single select) field named '${options.archive_field}' to the table, or set synchronization.airtable.archive_field to one it has.`,
      },
    ]);
  }
  return { field: field.name, value: field.type === 'checkbox' ? true : options.archive_value };
}

/** True for a record (its Airtable fields) the archive marks. */
export function isArchived(fields: Record<string, unknown>, archive: Archive | undefined): boolean {
  return archive !== undefined && fields[archive.field] === archive.value;
}

/**
 * Turns a delete into the update that archives the record, in place (the report and the journal
 * see what was done). Its field is the Airtable field itself, which the journal's undo passes as
 * it is, so a rollback clears the mark.
 */
export function archiveInstead(op: Operation, archive: Archive): void {
  op.action = 'update';
  op.fields = { [archive.field]: archive.value };
  op.replaces = { [archive.field]: null };
  op.rules = { [archive.field]: 'dedupe.archive' };
}
