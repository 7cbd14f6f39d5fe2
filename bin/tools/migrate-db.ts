import { createLogger } from '../../lib/core/log.js';
import { parseCommandLine } from '../cli.js';
import { exitCodeOf } from '../../lib/core/errors.js';
import { exitCodesHelp } from '../../lib/core/exit-codes.js';
import { openDatabase } from '../../lib/sqlite/open.js';
import { appliedVersions, migrate, MIGRATIONS } from '../../lib/sqlite/schema.js';

const USAGE = `Usage: migrate-db --database FILE [--check] [--version]
Applies the default leads schema's pending migrations to a database this tool created (--check lists them and changes nothing).

${exitCodesHelp('migrate-db')}`;
const log = createLogger();

try {
  const values = parseCommandLine({ database: { type: 'string' }, check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }).values as {
    database?: string;
    check?: boolean;
    help?: boolean;
  };
  if (values.help) {
    process.stdout.write(USAGE);
  } else {
    if (!values.database) throw Object.assign(new Error(`--database is required.\n${USAGE}`), { exitCode: 2 });
    const db = openDatabase(values.database, { readonly: values.check, wal: false, who: 'migrate-db' });
    try {
      if (values.check) {
        const done = new Set(appliedVersions(db));
        const pending = MIGRATIONS.filter((m) => !done.has(m.version)).map((m) => m.version);
        log.info(pending.length ? 'Migrations pending.' : 'Schema up to date.', { database: values.database, applied: [...done], pending });
      } else {
        const applied = migrate(db, { file: values.database });
        log.info(applied.length ? 'Migrations applied.' : 'Schema already up to date.', { database: values.database, applied });
      }
    } finally {
      db.close();
    }
  }
} catch (error) {
  log.error((error as Error).message);
  process.exitCode = exitCodeOf(error);
}
