import { exitCodesHelp } from '../../lib/core/exit-codes.js';
import { COMMAND_PIPELINES, CONFLICT_STRATEGIES, EXIT, type MaintenanceCommand, type MaintenanceOverrides } from '../../lib/maintenance/commands.js';
import { runMaintenance } from '../../lib/maintenance/index.js';
import { askOnTerminal, init } from '../../lib/maintenance/init/index.js';
import { reportError } from '../../lib/maintenance/output.js';
import { parseDuration } from '../../lib/maintenance/schedule.js';
import { USER_CONFIG_FILE } from '../../lib/maintenance/user-config.js';
import type { SystemName } from '../../lib/safety/recover.js';
import { finish, interruptSignal, makeLogger, parseCommandLine, usage } from '../cli.js';

const HELP = `Usage: db-maintenance COMMAND [options]

Keeps the lead database (SQLite) and the Airtable base clean and in step.

Commands (one):
  --full-maintenance     backup, standardize, remove duplicates, synchronize both ways, report
  --remove-duplicates    backup, then merge duplicate leads within each system
  --standardize-fields   backup, then standardize field values in both systems
  --sync-data            backup, then make both systems hold the same leads
  --backup-only          back up the database and the Airtable base, verified
  --restore BACKUP       put a backup (its directory or manifest.json) back into both systems
  --resume RUN           finish an interrupted run from its journal
  --rollback RUN         undo a run from its journal (with --system, in one system only)
  --status               recent runs, their outcome, locks held, and the latest report
  --review               list the duplicate groups and conflicts waiting for a decision (left by
                         runs with the manual strategies), with the record ids and versions a
                         decisions file needs
  --apply-decisions FILE
                         apply a decisions file (config/decisions.schema.json; from the review
                         page or written by hand from --review) as a run: backup, journal,
                         report; --dry-run, --resume and --rollback work as for any run. A
                         decision whose records changed since the review is reported as stale
                         and not applied
  --init                 look at LEADS_DB and the Airtable base and write ./lead-maintenance.yaml
                         (or the --config FILE): a proposed mapping of your columns and fields;
                         never overwrites a file

Options:
  --sample               work on sample data: data/leads.db and an emulated Airtable base in
                         data/, created with messy sample leads the first time (no account
                         needed; your own database and base are never touched)
  --dry-run              plan everything and report it; change nothing anywhere
  --yes                  apply without asking (needed off a terminal, e.g. cron)
  --config FILE          the configuration (default: ./${USER_CONFIG_FILE} when there is one,
                         else the bundled defaults); one file holds maintenance_config and the
                         field mapping (field_mapping, or field_mapping_file)
  --no-backup            skip the backup step (not recommended)
  --engagement-status V  engagement status written into empty ones (e.g. Auto-Send)
  --matching-fields F,G  fields whose equal values make two leads one (e.g. email,linkedin_url)
  --conflict-strategy S  ${CONFLICT_STRATEGIES.join(', ')}
  --batch-size N         records per database transaction / Airtable request (at most 10 there)
  --incremental          read from Airtable only what changed since the last successful run
                         (a full scan still runs every synchronization.full_scan_every_hours)
  --full-scan            read everything, even when synchronization.incremental is on
  --local-file FILE      with --dry-run: read a CSV or JSON export (.json) as the local side, in
                         place of the database, and show what would change in Airtable; the
                         file is only read (without --dry-run this is refused)
  --every DURATION       run again every DURATION (30m, 6h, 1d), re-reading the configuration
                         before each run; needs --yes unless --dry-run
  --system SYSTEM        with --rollback: local or airtable only
  --table NAME           with --init: the local table holding the leads
  --airtable-table NAME  with --init: the Airtable table holding the leads
  --database FILE        with --restore, --resume, --rollback: the database to write (default LEADS_DB)
  --data-dir DIR         where the sample data, reports, backups and journals live (default ./data)
  --log-level LEVEL      error, warn, info (default) or debug
  --log-format FORMAT    text (default) or json
  --version              the package's version
  -h, --help             this text

Flags are kebab-case (snake_case is taken too).

Your own data: set AIRTABLE_TOKEN (a personal access token), AIRTABLE_BASE_ID and LEADS_DB (the
SQLite file); with part of them missing it stops and says what is missing. Sample data is used
only with --sample.

${exitCodesHelp('db-maintenance')}`;

const COMMANDS = (Object.keys(COMMAND_PIPELINES) as MaintenanceCommand[]).filter((c) => c !== 'restore' && c !== 'apply-decisions');
/** Commands that work on earlier runs and backups, or set up a configuration, rather than run a maintenance pipeline. */
const RECOVERY = ['restore', 'resume', 'rollback', 'status', 'init'] as const;
/** Manual review: list what waits for a decision, apply a file of decisions. */
const REVIEW = ['review', 'apply-decisions'] as const;

type Values = Record<string, string | boolean | undefined>;

function readCommandLine(): Values {
  return parseCommandLine({
    ...Object.fromEntries(COMMANDS.map((c) => [c, { type: 'boolean' as const }])),
    'dry-run': { type: 'boolean' },
    yes: { type: 'boolean', short: 'y' },
    config: { type: 'string' },
    'no-backup': { type: 'boolean' },
    'engagement-status': { type: 'string' },
    'matching-fields': { type: 'string' },
    'conflict-strategy': { type: 'string' },
    incremental: { type: 'boolean' },
    'full-scan': { type: 'boolean' },
    'local-file': { type: 'string' },
    'batch-size': { type: 'string' },
    every: { type: 'string' },
    'data-dir': { type: 'string' },
    restore: { type: 'string' },
    resume: { type: 'string' },
    rollback: { type: 'string' },
    status: { type: 'boolean' },
    review: { type: 'boolean' },
    'apply-decisions': { type: 'string' },
    system: { type: 'string' },
    database: { type: 'string' },
    'log-level': { type: 'string' },
    'log-format': { type: 'string' },
    sample: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    init: { type: 'boolean' },
    table: { type: 'string' },
    'airtable-table': { type: 'string' },
  }).values as Values;
}

async function main(): Promise<number> {
  const values = readCommandLine();
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  const chosen = [...COMMANDS, ...RECOVERY, ...REVIEW].filter((c) => values[c] !== undefined && values[c] !== false);
  if (chosen.length !== 1)
    usage(
      chosen.length
        ? `choose one command, not ${chosen.map((c) => `--${c}`).join(' and ')}`
        : `choose a command: ${[...COMMANDS, ...RECOVERY, ...REVIEW].map((c) => `--${c}`).join(', ')}`,
    );
  const command = chosen[0];
  if (values.system !== undefined && (command !== 'rollback' || !['local', 'airtable'].includes(String(values.system))))
    usage('--system goes with --rollback and is local or airtable');
  if ((values.table ?? values['airtable-table']) !== undefined && command !== 'init') usage('--table and --airtable-table go with --init');
  if (command === 'init') return runInit(values);
  if (values.database !== undefined && !['restore', 'resume', 'rollback'].includes(command))
    usage('--database goes with --restore, --resume or --rollback (elsewhere set LEADS_DB)');
  const dryRun = Boolean(values['dry-run']);
  let every: number | undefined;
  try {
    every = values.every === undefined ? undefined : parseDuration(String(values.every));
  } catch (error) {
    usage((error as Error).message);
  }
  if (every !== undefined && !dryRun && !values.yes) usage('--every runs unattended: add --yes (or --dry-run)');
  if (every !== undefined && (command === 'apply-decisions' || command === 'review')) usage(`--every goes with a maintenance command, not --${command}`);
  const overrides = parseOverrides(values);
  const log = makeLogger(values['log-level'] as string | undefined, values['log-format'] as string | undefined);
  return runMaintenance(
    {
      command,
      argument: typeof values[command] === 'string' ? values[command] : undefined,
      system: values.system as SystemName | undefined,
      dryRun,
      yes: Boolean(values.yes),
      sample: Boolean(values.sample),
      config: values.config as string | undefined,
      dataDir: values['data-dir'] as string | undefined,
      database: values.database as string | undefined,
      every: every === undefined ? undefined : { text: String(values.every), ms: every },
      overrides,
      interruptSignal: () => interruptSignal(log),
    },
    log,
  );
}

/** --init: writes a proposed configuration (asking on a terminal), or shows it with --dry-run. */
function runInit(values: Values): Promise<number> {
  const options = {
    table: values.table as string | undefined,
    airtableTable: values['airtable-table'] as string | undefined,
    out: values.config as string | undefined,
  };
  return init({
    ...options,
    env: process.env,
    cwd: process.cwd(),
    ask: process.stdin.isTTY ? askOnTerminal : undefined,
    print: (text) => process.stderr.write(text),
    dryRun: Boolean(values['dry-run']),
    show: (text) => process.stdout.write(text),
  }).then(
    () => EXIT.ok,
    (error) => reportError(error, makeLogger(values['log-level'] as string | undefined, values['log-format'] as string | undefined)),
  );
}

function parseOverrides(values: Values): MaintenanceOverrides {
  const overrides: MaintenanceOverrides = { noBackup: Boolean(values['no-backup']) };
  if (values.incremental && values['full-scan']) usage('choose --incremental or --full-scan, not both');
  if (values.incremental) overrides.incremental = true;
  if (values['full-scan']) overrides.incremental = false;
  if (typeof values['local-file'] === 'string') overrides.localFile = values['local-file'];
  if (typeof values['engagement-status'] === 'string') overrides.engagementStatus = values['engagement-status'];
  if (typeof values['matching-fields'] === 'string') {
    overrides.matchingFields = values['matching-fields']
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean);
    if (!overrides.matchingFields.length) usage('--matching-fields needs at least one field, e.g. email,linkedin_url');
  }
  if (typeof values['conflict-strategy'] === 'string') {
    if (!CONFLICT_STRATEGIES.includes(values['conflict-strategy'])) usage(`--conflict-strategy must be one of ${CONFLICT_STRATEGIES.join(', ')}`);
    overrides.conflictStrategy = values['conflict-strategy'];
  }
  if (typeof values['batch-size'] === 'string') {
    const n = Number(values['batch-size']);
    if (!Number.isInteger(n) || n < 1) usage('--batch-size must be a whole number of at least 1');
    overrides.batchSize = n;
  }
  return overrides;
}

finish(await main());
