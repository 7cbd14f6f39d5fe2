/**
 * Runs a pipeline and kills itself with SIGKILL at a chosen journal event: `intended` (the batch
 * is on disk, not yet applied), `settling` (applied and committed, not yet marked) or `settled`.
 * Usage: node kill-child.js PIPELINE RUN_ID EVENT COUNT NOW_ISO
 */
import { runPipeline } from '../../../lib/core/runner.js';
// The pipelines name their stages: the catalogue registers them.
import '../../../stages/index.js';

const [pipeline, runId, event, count, now] = process.argv.slice(2);
let seen = 0;
await runPipeline(pipeline!, {
  runId,
  now: () => new Date(now!),
  journalObserver: (name) => {
    if (name === event && ++seen === Number(count)) process.kill(process.pid, 'SIGKILL');
  },
});
