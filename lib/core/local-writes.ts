import { StageError } from './errors.js';
import { isOperation, type Operation } from './operation.js';
import type { StageContext } from './stage.js';
import type { StreamItem } from './types.js';
import type { WriteResult, WriterMessages } from './writer.js';

/**
 * What the writers of the local lead database (write-sqlite, write-postgres) share whatever the
 * database: their messages, and the link write-back after write-airtable created a record.
 */

const NEW_AIRTABLE_ID = '(id of the new Airtable record)';

/** The messages of a local database writer; `database` names it in the log (never with a password). */
export function localWriterMessages(ctx: StageContext, database: string): WriterMessages {
  return {
    failed: (op, error) => ({ status: 'failed', id: op.id, error }),
    failure: (op, { result }) => failureOf(op, result),
    failures: (failed) =>
      new StageError(
        ctx.stage,
        `${failed.map((op) => failureOf(op, op.result!)).join('\n')}\nThe rest of the batch was applied. Fix the operations or run with on_error: tag to continue past failures.`,
      ),
    stopped: (fatal) => {
      ctx.log.error('Writing to the database failed; no further operations will be applied.', { database, error: fatal });
      return `Not applied: ${fatal}`;
    },
  };
}

/** The local update that stores the Airtable id of a record `write-airtable` just created for a local one. */
export function linkFor(item: StreamItem, linkField: string, dryRun: boolean): Operation | undefined {
  if (!isOperation(item) || item.system !== 'airtable' || item.action !== 'create' || item.link?.system !== 'local') return undefined;
  const planned = dryRun && item.result?.status === 'dry_run';
  if (!planned && (item.result?.status !== 'applied' || !item.result.id)) return undefined;
  return {
    kind: 'operation',
    action: 'update',
    system: 'local',
    id: item.link.id,
    fields: { [linkField]: planned ? NEW_AIRTABLE_ID : item.result!.id },
    replaces: {},
    reason: 'sync',
    entity: item.entity,
  };
}

function failureOf(op: Operation, result: WriteResult): string {
  return `Local ${op.action} of record ${result.id ?? op.id ?? '(new)'} failed: ${result.error}`;
}
