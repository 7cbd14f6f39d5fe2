import fs from 'node:fs';
import readline from 'node:readline';

/**
 * The baseline every JSONL figure is compared with: what a careful person writes by hand
 * (readline, JSON.parse, JSON.stringify, honouring backpressure), with no pipeline around it.
 * Usage: node dist/bench/bare-loop.js IN OUT
 */
const [input, output] = process.argv.slice(2);
const lines = readline.createInterface({ input: fs.createReadStream(input), crlfDelay: Infinity });
const out = fs.createWriteStream(output);
for await (const line of lines) {
  if (!line) continue;
  if (!out.write(JSON.stringify(JSON.parse(line)) + '\n')) await new Promise((resolve) => out.once('drain', () => resolve(undefined)));
}
await new Promise((resolve) => out.end(resolve));
