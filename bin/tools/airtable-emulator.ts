import { startEmulator, DEFAULT_TOKEN } from '../../lib/airtable-emulator/index.js';
import { exitCodesHelp } from '../../lib/core/exit-codes.js';
import { parseCommandLine } from '../cli.js';

const USAGE = `Usage: airtable-emulator [--port N] [--data FILE] [--schema FILE] [--token T]... [--base-id appXXXXXXXXXXXXXX]
                         [--no-rate-limit] [--penalty-ms N] [--iterator-ttl-ms N]
                         [--control-token T] [--log-max-entries N] [--log-max-bytes N] [--version]
Serves an emulated Airtable Web API on 127.0.0.1 until SIGINT or SIGTERM; it answers only to
Host 127.0.0.1:PORT or localhost:PORT.
Token: --token, else AIRTABLE_TOKEN, else "${DEFAULT_TOKEN}". Control API under /_emulator: it needs
"Authorization: Bearer" with one of those tokens or the control token (--control-token, else
AIRTABLE_EMULATOR_CONTROL_TOKEN; none by default).

${exitCodesHelp('airtable-emulator')}`;

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, not "${v}".`);
  return n;
}

async function main(): Promise<number> {
  const values = parseCommandLine({
    port: { type: 'string' },
    data: { type: 'string' },
    schema: { type: 'string' },
    token: { type: 'string', multiple: true },
    'base-id': { type: 'string' },
    'no-rate-limit': { type: 'boolean' },
    'penalty-ms': { type: 'string' },
    'iterator-ttl-ms': { type: 'string' },
    'control-token': { type: 'string' },
    'log-max-entries': { type: 'string' },
    'log-max-bytes': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }).values as Record<string, string | undefined> & { token?: string[]; help?: boolean; 'no-rate-limit'?: boolean };
  try {
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    int('port', values.port);
    int('penalty-ms', values['penalty-ms']);
    int('iterator-ttl-ms', values['iterator-ttl-ms']);
    for (const name of ['log-max-entries', 'log-max-bytes'] as const) {
      if (int(name, values[name]) === 0) throw new Error(`--${name} must be at least 1.`);
    }
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const tokens = values.token ?? (process.env.AIRTABLE_TOKEN ? [process.env.AIRTABLE_TOKEN] : [DEFAULT_TOKEN]);
  const emulator = await startEmulator({
    port: int('port', values.port) ?? 0,
    dataFile: values.data,
    schema: values.schema,
    tokens,
    baseId: values['base-id'],
    rateLimit: { enabled: !values['no-rate-limit'], penaltyMs: int('penalty-ms', values['penalty-ms']) },
    iteratorTtlMs: int('iterator-ttl-ms', values['iterator-ttl-ms']),
    controlToken: values['control-token'] ?? (process.env.AIRTABLE_EMULATOR_CONTROL_TOKEN || undefined),
    requestLogMaxEntries: int('log-max-entries', values['log-max-entries']),
    requestLogMaxBytes: int('log-max-bytes', values['log-max-bytes']),
  });
  process.stderr.write(`Airtable emulator listening on ${emulator.url} with base ${emulator.baseId}.\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await emulator.close();
  process.stderr.write('Airtable emulator stopped.\n');
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`airtable-emulator: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
