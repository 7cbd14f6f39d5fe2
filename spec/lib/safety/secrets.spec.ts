import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { startEmulator, type Emulator } from '../../../lib/airtable-emulator/index.js';
import { createLogger } from '../../../lib/core/log.js';
import { runPipeline } from '../../../lib/core/runner.js';
import { rollbackRun } from '../../../lib/safety/rollback.js';
import { filesBelow, localWorkspace } from './support.js';

const TOKEN = 'patSecretTokenAb.0123456789abcdef0123456789abcdef0123456789abcdef';
const KEY = 'correct horse battery staple, really';

describe('secrets in what a run leaves behind', () => {
  let emulator: Emulator;
  const saved = { ...process.env };
  before(async () => {
    emulator = await startEmulator({ tokens: [TOKEN], rateLimit: { enabled: false } });
    emulator.seed('Leads', [{ 'Full Name': 'Ada Lovelace', Email: 'ada@engines.co.uk' }]);
    Object.assign(process.env, { AIRTABLE_TOKEN: TOKEN, AIRTABLE_BASE_ID: emulator.baseId, AIRTABLE_ENDPOINT_URL: emulator.url, LEADS_BACKUP_KEY: KEY });
  });
  after(async () => {
    for (const name of ['AIRTABLE_TOKEN', 'AIRTABLE_BASE_ID', 'AIRTABLE_ENDPOINT_URL', 'LEADS_BACKUP_KEY']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    await emulator.close();
  });

  it('puts neither the Airtable token nor the backup key in any log, journal, backup, alert or rejects file', async () => {
    const work = localWorkspace();
    fs.writeFileSync(
      path.join(work.dir, 'maintenance.yaml'),
      [
        'maintenance_config:',
        '  backup: { encryption: true, encryption_key_env: LEADS_BACKUP_KEY }',
        '  synchronization: { max_retries: 0 }',
        `  alerting: { command: "cat > ${path.join(work.dir, 'alert.json')}" }`,
      ].join('\n'),
    );
    const pipeline = fs.readFileSync(work.pipeline, 'utf8').replace('systems: [local]', 'systems: [local, airtable]');
    fs.writeFileSync(work.pipeline, `config: maintenance.yaml\nrejects: rejects.jsonl\n${pipeline}`);
    const logFile = path.join(work.dir, 'run.log');
    const out = fs.createWriteStream(logFile);
    const log = createLogger({ level: 'debug', format: 'json', stream: out });

    const summary = await runPipeline(work.pipeline, { runId: 'full', log });
    await rollbackRun('full', { stateDir: path.join(work.dir, '.lead-maintenance'), log });
    // A failing Airtable makes the next backup fail: error messages, the alert and the log see it.
    emulator.injectFault({ preset: 'server-error', path: '/v0/meta', count: -1 });
    const failure = await runPipeline(work.pipeline, { runId: 'failing', log }).then(
      () => undefined,
      (e: Error) => e,
    );
    emulator.clearFaults();
    expect(failure?.message).to.contain('Airtable');
    await new Promise<void>((resolve) => out.end(resolve));

    const files = filesBelow(work.dir).filter((f) => !f.endsWith('.db') && !f.endsWith('.yaml'));
    expect(files).to.include.members([logFile, summary.journal!, path.join(work.dir, 'alert.json'), path.join(work.dir, 'backups', 'full', 'manifest.json')]);
    expect(files.filter((f) => f.endsWith('.enc'))).to.have.length(3);
    for (const file of files) {
      const text = fs.readFileSync(file).toString('latin1');
      expect(text.includes(TOKEN), `the token is in ${file}`).to.equal(false);
      expect(text.includes(KEY), `the key is in ${file}`).to.equal(false);
    }
    expect(failure!.message.includes(TOKEN)).to.equal(false);
    expect(fs.readFileSync(logFile, 'utf8')).to.contain('Backup written.');
  });
});
