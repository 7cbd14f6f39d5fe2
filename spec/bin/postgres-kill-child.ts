/**
 * Runs db-maintenance's full maintenance on the PostgreSQL table LEADS_DB names, as the command
 * does (its pipeline, its run state, its journal's invocation, so --resume rebuilds it), and at a
 * chosen journal event kills itself with SIGKILL, or, given SQL, has another writer (psql, PSQL in
 * the environment) run it there and goes on.
 * Usage: LEADS_DB=… LEADS_DATA_DIR=… node postgres-kill-child.js RUN_ID STATE_DIR EVENT COUNT BATCH_SIZE [SQL]
 */
import { execFileSync } from 'node:child_process';
import { runPipeline } from '../../lib/core/runner.js';
import { maintenancePipeline } from '../../lib/maintenance/commands.js';
import { usePostgresEnvironment } from '../../lib/maintenance/postgres.js';

const [runId, stateDir, event, count, batchSize, sql] = process.argv.slice(2);
usePostgresEnvironment(process.env, process.env.LEADS_DATA_DIR!);
const overrides = { batchSize: Number(batchSize) };
let seen = 0;
await runPipeline(maintenancePipeline('full-maintenance', { ...overrides, env: process.env }), {
  runId,
  stateDir,
  invocation: { command: 'full-maintenance', overrides },
  journalObserver: (name) => {
    if (name !== event || ++seen !== Number(count)) return;
    if (sql) execFileSync(process.env.PSQL!, [process.env.LEADS_DB!, '-v', 'ON_ERROR_STOP=1', '-qc', sql]);
    else process.kill(process.pid, 'SIGKILL');
  },
});
