import { spawn } from 'node:child_process';
import type { Logger } from '../core/log.js';
import { redact, redactText } from '../core/redact.js';

/**
 * Alerts (seed "Alerting Thresholds"): a high error rate, a run that takes longer than expected,
 * a failed backup, a failed integrity check. An alert is always logged; it is also handed to the user's own alerting when configured:
 * a command (gets the alert as JSON on stdin, and ALERT_MESSAGE in its environment, so a one-line
 * `mail -s "$ALERT_MESSAGE"` works) and/or a webhook (the alert POSTed as JSON). Delivery problems
 * are logged, never thrown: a broken alert hook must not hide the failure it reports.
 */
export interface Alert {
  kind: 'error_rate' | 'backup_failed' | 'integrity_failed' | 'run_failed' | 'slow_run';
  message: string;
  run_id: string;
  details?: Record<string, unknown>;
}

export interface AlertSettings {
  /** Shell command run with the alert on stdin. */
  command?: string;
  /** URL the alert is POSTed to as JSON. */
  webhook?: string;
  /** How long delivery may take before it is abandoned (default 10 s). */
  timeout_ms?: number;
}

export async function raiseAlert(settings: AlertSettings, alert: Alert, log: Logger): Promise<void> {
  const body = JSON.stringify(redact({ ...alert, time: new Date().toISOString() }));
  log.error(`ALERT (${alert.kind}): ${redactText(alert.message)}`);
  const timeout = settings.timeout_ms ?? 10_000;
  const deliveries: Promise<void>[] = [];
  if (settings.command)
    deliveries.push(
      runCommand(settings.command, body, redactText(alert.message), timeout).catch((e: Error) => {
        log.warn(`Alert command failed: ${redactText(e.message)}`);
      }),
    );
  if (settings.webhook)
    deliveries.push(
      postWebhook(settings.webhook, body, timeout).catch((e: Error) => {
        log.warn(`Alert webhook failed: ${redactText(e.message)}`);
      }),
    );
  await Promise.all(deliveries);
}

function runCommand(command: string, body: string, message: string, timeout: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, { shell: true, stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, ALERT_MESSAGE: message }, timeout });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`"${command}" exited with ${signal ?? code}${stderr ? `: ${stderr.trim().slice(0, 300)}` : ''}`));
    });
    child.stdin.on('error', () => {}); // the command may not read its input
    child.stdin.end(body);
  });
}

async function postWebhook(url: string, body: string, timeout: number): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(timeout) });
  if (!response.ok) throw new Error(`${new URL(url).host} answered ${response.status}`);
}
