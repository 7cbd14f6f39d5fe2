import { createLogger } from '../../lib/core/log.js';
import { parseCommandLine } from '../cli.js';
import { exitCodeOf } from '../../lib/core/errors.js';
import { exitCodesHelp } from '../../lib/core/exit-codes.js';
import { createSampleDatabase } from '../../lib/sqlite/sample.js';

const USAGE = `Usage: create-sample-db --out FILE [--count N] [--seed S] [--version]
Creates a new SQLite lead database with realistic messy sample leads (duplicates, variants, missing values).

${exitCodesHelp('create-sample-db')}`;
const log = createLogger();

function integer(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw Object.assign(new Error(`--${name} must be a whole number, not '${value}'.\n${USAGE}`), { exitCode: 2 });
  return Number(value);
}

try {
  const values = parseCommandLine({ out: { type: 'string' }, count: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } })
    .values as { out?: string; count?: string; seed?: string; help?: boolean };
  if (values.help) {
    process.stdout.write(USAGE);
  } else {
    if (!values.out) throw Object.assign(new Error(`--out is required.\n${USAGE}`), { exitCode: 2 });
    const result = createSampleDatabase(values.out, { count: integer(values.count, 'count', 500), seed: integer(values.seed, 'seed', 1) });
    log.info('Sample lead database created.', { database: result.path, leads: result.count });
  }
} catch (error) {
  log.error((error as Error).message);
  process.exitCode = exitCodeOf(error);
}
