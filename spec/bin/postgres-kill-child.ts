/**
 * Runs db-maintenance's full maintenance on the PostgreSQL table LEADS_DB names, as the command
 * does (its pipeline, its run state, its journal's invocation, so --resume rebuilds it), and
 * kills itself with SIGKILL at a chosen journal event.
 * Usage: LEADS_DB=… LEADS_DATA_DIR=… node postgres-kill-child.js RUN_ID STATE_DIR EVENT COUNT BATCH_SIZE
 */
import { runPipeline } from '../../lib/core/runner.js';
import { maintenancePipeline } from '../../lib/maintenance/commands.js';
import { usePostgresEnvironment } from '../../lib/maintenance/postgres.js';

const [runId, stateDir, event, count, batchSize] = process.argv.slice(2);
usePostgresEnvironment(process.env, process.env.LEADS_DATA_DIR!);
const overrides = { batchSize: Number(batchSize) };
let seen = 0;
await runPipeline(maintenancePipeline('full-maintenance', { ...overrides, env: process.env }), {
  runId,
  stateDir,
  invocation: { command: 'full-maintenance', overrides },
  journalObserver: (name) => {
    if (name === event && ++seen === Number(count)) process.kill(process.pid, 'SIGKILL');
  },
});
