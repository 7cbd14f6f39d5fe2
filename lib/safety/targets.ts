import path from 'node:path';
import type { Logger } from '../core/log.js';
import { isPostgresUrl, postgresId } from '../postgres/side.js';
import { TargetMismatchError } from './errors.js';
import type { JournalContents } from '../core/journal-read.js';
import type { JournalTarget } from '../core/journal.js';

/** Where a recovery may write: what the configuration names, never what a journal recorded. */
export interface ConfiguredTargets {
  /** The configured database (LEADS_DB, config, or --database); the journal's when not given. */
  database?: string;
  /** The configured Airtable base (AIRTABLE_BASE_ID); the journal's when not given. */
  baseId?: string;
  /** The user confirmed (--yes) acting on the configured targets although the journal names others. */
  confirmed?: boolean;
}

/**
 * The journal's targets pointed at the configured database and base. A journal copied with its
 * folder, or edited, names another file: the recovery acts on the configured one, and says so
 * and waits for a confirmation first.
 */
export function configuredTargets(contents: JournalContents, what: 'resume' | 'rollback', configured: ConfiguredTargets, log?: Logger): JournalTarget[] {
  const differences: string[] = [];
  const targets = contents.targets.map((target): JournalTarget => {
    if (target.system === 'local' && configured.database !== undefined && (isPostgresUrl(configured.database) || isPostgresUrl(target.database))) {
      // A server is named by user, host, port and database, never with its password (the journal has none).
      const database = isPostgresUrl(configured.database) ? postgresId(configured.database) : path.resolve(configured.database);
      if (database !== (isPostgresUrl(target.database) ? postgresId(target.database) : target.database))
        differences.push(`the database ${target.database}, but the configuration points at ${database}`);
      return { ...target, database };
    }
    if (target.system === 'local' && configured.database !== undefined) {
      const database = path.resolve(configured.database);
      if (database !== path.resolve(target.database)) differences.push(`the database ${target.database}, but the configuration points at ${database}`);
      return { ...target, database };
    }
    if (target.system === 'airtable' && configured.baseId) {
      if (configured.baseId !== target.base_id) differences.push(`Airtable base ${target.base_id}, but the configuration points at ${configured.baseId}`);
      return { ...target, base_id: configured.baseId };
    }
    return target;
  });
  if (differences.length === 0) return targets;
  const said = `Run ${contents.runId} wrote to ${differences.join('; and to ')}.`;
  if (!configured.confirmed) {
    throw new TargetMismatchError(
      `${said} --${what} acts only on what the configuration names. Add --yes to ${what === 'rollback' ? 'roll back' : 'resume'} there, or point LEADS_DB (or --database) and AIRTABLE_BASE_ID at what the run wrote.`,
    );
  }
  log?.warn(`${said} Acting on the configured one, as confirmed.`);
  return targets;
}
