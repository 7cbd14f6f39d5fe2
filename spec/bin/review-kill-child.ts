/**
 * Runs `db-maintenance --apply-decisions` as the command does (its pipeline, its run state, its
 * journal's invocation, so --resume rebuilds it) and kills itself with SIGKILL at a chosen journal
 * event: `intended`, `settling` or `settled` (see spec/lib/safety/kill-child.ts).
 * Usage: LEADS_DB=… LEADS_DATA_DIR=… AIRTABLE_…=… node review-kill-child.js RUN_ID STATE_DIR DECISIONS CONFIG EVENT COUNT BATCH_SIZE
 */
import { runPipeline } from '../../lib/core/runner.js';
import { maintenancePipeline } from '../../lib/maintenance/commands.js';

const [runId, stateDir, decisionsFile, configFile, event, count, batchSize] = process.argv.slice(2);
const overrides = { decisionsFile: decisionsFile!, batchSize: Number(batchSize) };
let seen = 0;
await runPipeline(maintenancePipeline('apply-decisions', { ...overrides, env: process.env, configFile }), {
  runId,
  stateDir,
  invocation: { command: 'apply-decisions', overrides, config_file: configFile },
  journalObserver: (name) => {
    if (name === event && ++seen === Number(count)) process.kill(process.pid, 'SIGKILL');
  },
});
