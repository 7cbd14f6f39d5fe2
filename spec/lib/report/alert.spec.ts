import { expect } from 'chai';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Writable } from 'node:stream';
import { raiseAlert } from '../../../lib/report/alert.js';
import { createLogger } from '../../../lib/core/log.js';
import { tempDir } from '../../helpers.js';

const PAT = 'patAbCdEfGhIjKlMn.0123456789abcdef0123456789abcdef0123456789abcdef';

function logger(): { log: ReturnType<typeof createLogger>; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _e, cb) {
      text += chunk;
      cb();
    },
  });
  return { log: createLogger({ level: 'info', stream }), text: () => text };
}

describe('alerts', () => {
  it('runs the alert command with the alert as JSON on stdin and the message in ALERT_MESSAGE, secrets masked', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'alert.json');
    const { log, text } = logger();
    await raiseAlert(
      { command: `cat > "${out}"; echo "$ALERT_MESSAGE" > "${out}.msg"` },
      { kind: 'backup_failed', message: `backup failed with token ${PAT}`, run_id: 'r1' },
      log,
    );
    const alert = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(alert).to.include({ kind: 'backup_failed', run_id: 'r1' });
    expect(alert.message).to.equal('backup failed with token [REDACTED]');
    expect(fs.readFileSync(`${out}.msg`, 'utf8').trim()).to.equal('backup failed with token [REDACTED]');
    expect(text()).to.contain('ALERT (backup_failed)').and.not.contain(PAT);
  });

  it('POSTs the alert to the webhook', async () => {
    const received: unknown[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        received.push({ method: req.method, type: req.headers['content-type'], body: JSON.parse(body) });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      await raiseAlert(
        { webhook: `http://127.0.0.1:${port}/hook` },
        { kind: 'error_rate', message: 'error rate 7% over 5%', run_id: 'r2', details: { rate: 0.07 } },
        logger().log,
      );
    } finally {
      server.close();
    }
    expect(received).to.have.length(1);
    expect(received[0]).to.deep.include({ method: 'POST', type: 'application/json' });
    expect((received[0] as { body: unknown }).body).to.deep.include({ kind: 'error_rate', run_id: 'r2', details: { rate: 0.07 } });
  });

  it('logs a failing command or an unreachable webhook instead of throwing', async () => {
    const { log, text } = logger();
    await raiseAlert(
      { command: 'echo broken >&2; exit 3', webhook: 'http://127.0.0.1:9/nothing-listens', timeout_ms: 2000 },
      { kind: 'run_failed', message: 'x', run_id: 'r3' },
      log,
    );
    expect(text()).to.contain('Alert command failed').and.contain('exited with 3: broken').and.contain('Alert webhook failed');
  });
});
