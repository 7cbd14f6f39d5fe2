#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startEmulator, DEFAULT_TOKEN } from '../lib/airtable-emulator/index.js';

const USAGE = `Usage: airtable-emulator [--port N] [--data FILE] [--schema FILE] [--token T]... [--base-id appXXXXXXXXXXXXXX]
                         [--no-rate-limit] [--penalty-ms N] [--iterator-ttl-ms N]
Serves an emulated Airtable Web API on 127.0.0.1 until SIGINT or SIGTERM.
Token: --token, else AIRTABLE_TOKEN, else "${DEFAULT_TOKEN}". Control API under /_emulator.`;

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, not "${v}".`);
  return n;
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' }, data: { type: 'string' }, schema: { type: 'string' },
        token: { type: 'string', multiple: true }, 'base-id': { type: 'string' },
        'no-rate-limit': { type: 'boolean' }, 'penalty-ms': { type: 'string' }, 'iterator-ttl-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
    if (values.help) {
      process.stderr.write(USAGE + '\n');
      return 0;
    }
    int('port', values.port);
    int('penalty-ms', values['penalty-ms']);
    int('iterator-ttl-ms', values['iterator-ttl-ms']);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
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

main().then((code) => { process.exitCode = code; }, (e: unknown) => {
  process.stderr.write(`airtable-emulator: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
