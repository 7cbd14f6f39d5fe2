/**
 * Takes a run's advisory lock on a PostgreSQL table and holds it until killed.
 * Usage: LEADS_DATABASE_URL=… node hold-lock-child.js TABLE RUN_ID STATE_DIR; prints `locked` once it holds it.
 */
import { postgresSide } from '../../../lib/postgres/side.js';

const [table, runId, stateDir] = process.argv.slice(2);
await postgresSide({ url: process.env.LEADS_DATABASE_URL!, table: table! }).lock(stateDir!, [], { runId: runId! });
process.stdout.write('locked\n');
setInterval(() => undefined, 60_000);
